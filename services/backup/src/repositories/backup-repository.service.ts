import { Injectable } from '@nestjs/common';
import { DataSource, IsNull, LessThanOrEqual } from 'typeorm';
import type { BackupRepositorySummary } from '@fedops/contracts';
import { FedopsError, FedopsErrorCode } from '@fedops/domain';
import { EventPublisher, JsonLogger, SecretBox } from '@fedops/service-kit';
import { generateRepositoryPassword } from '../restic/repository-password';
import { SnapshotEntity } from '../snapshots/snapshot.entity';
import { S3Objects } from '../targets/s3-objects';
import { S3Repositories } from '../targets/s3-target';
import { BackupRepositoryEntity } from './backup-repository.entity';

/** An open repository: where it is and the password that opens it (never logged or returned). */
export interface OpenRepository {
  tenantId: string;
  location: string;
  password: string;
  /** The last `restic check` that passed. */
  checkedAt: Date | null;
  /** restic's id of the repository; null until a backup has initialised it. */
  resticId: string | null;
}

const DAY_MS = 24 * 3600_000;

/**
 * One restic repository per tenant on the backup target. Setting one up only records it, its
 * password generated and sealed first: `restic init` runs with the first backup, on the machine,
 * so a tenant's path to `ready` does not pay for it. Deleting a tenant keeps the repository for the
 * grace period; it stays restorable meanwhile.
 */
@Injectable()
export class BackupRepositoryService {
  private readonly log;

  constructor(
    private readonly dataSource: DataSource,
    private readonly repositories: S3Repositories,
    private readonly objects: S3Objects,
    private readonly secrets: SecretBox,
    private readonly events: EventPublisher,
    private readonly graceDays: number,
    logger: JsonLogger,
  ) {
    this.log = logger.child('repositories');
  }

  async ensure(tenantId: string): Promise<BackupRepositorySummary> {
    const repo = this.dataSource.getRepository(BackupRepositoryEntity);
    let row = await repo.findOneBy({ tenantId });
    if (row === null) {
      row = repo.create({
        tenantId,
        target: 's3',
        location: this.repositories.locationFor(tenantId),
        resticId: null,
        passwordSealed: this.secrets.seal(generateRepositoryPassword(), tenantId),
        deletedAt: null,
        purgeAfter: null,
        checkedAt: null,
      });
      // Two attempts at once: the second insert loses and reads the first one's row.
      await repo.createQueryBuilder().insert().values(row).orIgnore().execute();
      row = await repo.findOneByOrFail({ tenantId });
      this.log.info('repository set up', { tenantId, location: row.location });
    } else if (row.deletedAt !== null) {
      // The tenant is back (recreated within the grace period): its snapshots are its own again.
      row.deletedAt = null;
      row.purgeAfter = null;
      await repo.save(row);
    }
    await this.events.publish(tenantId, 'backup.repository.initialised', `backup/${tenantId}/repository`, {
      target: row.target,
      initialised: row.resticId !== null,
    });
    return { repositoryId: row.resticId, location: row.location };
  }

  /** The tenant's repository with its password, for a backup or restore run. */
  async open(tenantId: string): Promise<OpenRepository> {
    const row = await this.dataSource.getRepository(BackupRepositoryEntity).findOneBy({ tenantId });
    if (row === null) {
      throw new FedopsError(FedopsErrorCode.NotFound, `Tenant ${tenantId} has no backup repository`);
    }
    return {
      tenantId,
      location: row.location,
      password: this.secrets.open(row.passwordSealed, tenantId),
      checkedAt: row.checkedAt,
      resticId: row.resticId,
    };
  }

  /** Records restic's id of the repository once a backup has initialised it. */
  async markInitialised(tenantId: string, resticId: string): Promise<void> {
    await this.dataSource
      .getRepository(BackupRepositoryEntity)
      .update({ tenantId, resticId: IsNull() }, { resticId });
  }

  /** Purges every repository whose grace period has ended; the tenants whose repositories went. */
  async purgeExpired(): Promise<string[]> {
    const expired = await this.dataSource
      .getRepository(BackupRepositoryEntity)
      .find({ where: { purgeAfter: LessThanOrEqual(new Date()) } });
    for (const row of expired) await this.purge(row);
    return expired.map((r) => r.tenantId);
  }

  /**
   * Deletes the repository's objects, then its records: a purge that stops half-way leaves the row,
   * and the next purge (or retry) deletes what is left.
   */
  private async purge(row: BackupRepositoryEntity): Promise<void> {
    const objects = await this.objects.deleteAll(`${row.tenantId}/`);
    await this.dataSource.transaction(async (tx) => {
      await tx.getRepository(SnapshotEntity).delete({ tenantId: row.tenantId });
      await tx.getRepository(BackupRepositoryEntity).delete({ tenantId: row.tenantId });
    });
    this.log.info('repository purged', { tenantId: row.tenantId, objects });
    await this.events.publish(
      row.tenantId,
      'backup.repository.purged',
      `backup/${row.tenantId}/repository/purged`,
      {
        objects,
      },
    );
  }

  async markChecked(tenantId: string, at: Date): Promise<void> {
    await this.dataSource.getRepository(BackupRepositoryEntity).update({ tenantId }, { checkedAt: at });
  }

  /**
   * The tenant is deleted: its repository is kept until the grace period ends (`purgeAfter`), or
   * purged at once when asked. Idempotent; true when a repository was there.
   */
  async delete(tenantId: string, purge = false): Promise<boolean> {
    const repo = this.dataSource.getRepository(BackupRepositoryEntity);
    const row = await repo.findOneBy({ tenantId });
    if (row === null) return false;
    if (purge) {
      await this.purge(row);
      return true;
    }
    if (row.deletedAt === null) {
      row.deletedAt = new Date();
      row.purgeAfter = new Date(row.deletedAt.getTime() + this.graceDays * DAY_MS);
      await repo.save(row);
      this.log.info('repository kept for the grace period', {
        tenantId,
        purgeAfter: row.purgeAfter.toISOString(),
      });
    }
    await this.events.publish(
      tenantId,
      'backup.repository.deleted',
      `backup/${tenantId}/repository/deleted`,
      {
        retainedUntil: row.purgeAfter?.toISOString(),
      },
    );
    return true;
  }
}
