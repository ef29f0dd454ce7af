import type { TenantApiActivities } from '@fedops/contracts';
import type { TenantBackupService } from '../backups/tenant-backup.service';
import type { DriftRecorder } from '../drift/drift-recorder';
import type { OperationService } from '../operations/operation.service';

/** Activities tenant-api hosts on its own task queue: recording operations and drift, cancelling superseded ones. */
export function createTenantApiActivities(deps: {
  operations: OperationService;
  drift: DriftRecorder;
  backups: TenantBackupService;
}): TenantApiActivities {
  return {
    recordDrift: (report) => deps.drift.record(report),
    setTenantStatus: (input) => deps.operations.recordOutcome(input),
    recordOperationProgress: (input) => deps.operations.recordProgress(input),
    cancelDeployment: async ({ tenantId, operationId }) => ({
      cancelled: await deps.operations.cancelSupersededAndWait(tenantId, operationId),
    }),
    startScheduledBackup: ({ tenantId }) => deps.backups.startScheduled(tenantId),
  };
}
