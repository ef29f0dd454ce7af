import type { BackupActivities } from '@fedops/contracts';
import type { BackupRepositoryService } from './backup-repository.service';

export function createBackupActivities(deps: { repositories: BackupRepositoryService }): BackupActivities {
  return {
    initRepository: ({ tenantId }) => deps.repositories.ensure(tenantId),
    deleteRepository: async ({ tenantId }) => ({ deleted: await deps.repositories.delete(tenantId) }),
  };
}
