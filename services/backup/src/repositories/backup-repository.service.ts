import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { BackupRepositorySummary } from '@fedops/contracts';
import { EventPublisher, JsonLogger, SecretBox } from '@fedops/service-kit';
import { ResticRepositoryManager } from '../restic/repository-manager';
import { BackupRepositoryEntity } from './backup-repository.entity';

/** One restic repository per tenant, created retry-safely: the password is stored before `restic init`. */
@Injectable()
export class BackupRepositoryService {
  private readonly log;

  constructor(
    private readonly dataSource: DataSource,
    private readonly manager: ResticRepositoryManager,
    private readonly secrets: SecretBox,
    private readonly events: EventPublisher,
    logger: JsonLogger,
  ) {
    this.log = logger.child('repositories');
  }

  async ensure(tenantId: string): Promise<BackupRepositorySummary> {
    const repo = this.dataSource.getRepository(BackupRepositoryEntity);
    let row = await repo.findOneBy({ tenantId });
    if (row === null) {
      // Remember the password first: a crash after `restic init` must not leave a repository nobody can open.
      row = repo.create({
        tenantId,
        target: 'local',
        location: this.manager.locationFor(tenantId),
        resticId: null,
        passwordSealed: this.secrets.seal(ResticRepositoryManager.generatePassword(), tenantId),
      });
      await repo.insert(row);
    }
    const ensured = await this.manager.ensureRepository(
      tenantId,
      this.secrets.open(row.passwordSealed, tenantId),
    );
    if (row.resticId !== ensured.repositoryId) {
      row.resticId = ensured.repositoryId;
      await repo.save(row);
    }
    if (ensured.created) this.log.info('repository initialised', { tenantId, location: ensured.location });
    await this.events.publish(
      tenantId,
      'backup.repository.initialised',
      `backup/${tenantId}/repository/${ensured.repositoryId}`,
      {
        repositoryId: ensured.repositoryId,
        target: row.target,
      },
    );
    return { repositoryId: ensured.repositoryId, location: ensured.location };
  }

  async delete(tenantId: string): Promise<boolean> {
    const repo = this.dataSource.getRepository(BackupRepositoryEntity);
    const row = await repo.findOneBy({ tenantId });
    const location = row?.location ?? this.manager.locationFor(tenantId);
    const { deleted } = await this.manager.deleteRepository(location);
    if (row !== null) await repo.remove(row);
    if (deleted || row !== null) {
      this.log.info('repository deleted', { tenantId });
      await this.events.publish(
        tenantId,
        'backup.repository.deleted',
        `backup/${tenantId}/repository/deleted`,
        {
          location,
        },
      );
    }
    return deleted || row !== null;
  }
}
