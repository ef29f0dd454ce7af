import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import {
  BACKUP_SNAPSHOTS_GET_SUBJECT,
  BACKUP_SNAPSHOTS_LIST_SUBJECT,
  SNAPSHOT_REASONS,
  type AppSnapshot,
  type BackupPolicy,
  type ScheduledBackupResult,
} from '@fedops/contracts';
import { FedopsError, FedopsErrorCode } from '@fedops/domain';
import { EventPublisher, JsonLogger } from '@fedops/service-kit';
import type { Principal } from '../auth';
import { IdempotentRequests, type Answer } from '../idempotency/idempotent-requests';
import type { OperationEntity } from '../operations/operation.entity';
import { OperationService } from '../operations/operation.service';
import { toOperationView, type OperationView } from '../operations/operation.view';
import { parseListQuery, toPage, type Page, type ListFilterSpec } from '../pagination/list-query';
import { TenantEntity } from '../tenants/tenant.entity';
import { TenantService, tenantTag } from '../tenants/tenant.service';
import type { BackupCommand, RestoreCommand } from './backup-requests';
import { BackupRpc } from './backup-rpc';
import { BackupSchedules, SCHEDULE_REQUESTER } from './backup-schedules';

export const SNAPSHOT_LIST_FILTERS = [
  { name: 'app', pattern: /^[a-z][a-z0-9-]{0,39}$/, description: 'an app id' },
  { name: 'reason', values: SNAPSHOT_REASONS, description: 'why the snapshot was taken' },
  { name: 'refresh', values: ['true', 'false'], description: '`true`: read the repository again first' },
] as const satisfies readonly ListFilterSpec[];

/**
 * A tenant's backups through the API: its snapshots (the backup service's record, or read from the
 * repository again), and the backup and restore operations. Who may see and change the tenant is
 * TenantService's rule (another organisation's tenant is a 404).
 */
@Injectable()
export class TenantBackupService {
  private readonly log;

  constructor(
    private readonly dataSource: DataSource,
    private readonly tenants: TenantService,
    private readonly operations: OperationService,
    private readonly idempotent: IdempotentRequests,
    private readonly backup: BackupRpc,
    private readonly schedules: BackupSchedules,
    private readonly events: EventPublisher,
    logger: JsonLogger,
  ) {
    this.log = logger.child('backups');
  }

  /** Newest first; paged here over the backup service's list. */
  async listSnapshots(
    principal: Principal,
    tenantId: string,
    query: Record<string, unknown>,
  ): Promise<Page<AppSnapshot>> {
    const { page, filters } = parseListQuery(query, SNAPSHOT_LIST_FILTERS);
    const tenant = await this.tenants.findVisible(principal, tenantId);
    const all = await this.backup.call<AppSnapshot[]>(BACKUP_SNAPSHOTS_LIST_SUBJECT, {
      tenantId: tenant.id,
      ...(filters.refresh === 'true' ? { refresh: true } : {}),
    });
    const after = page.after;
    const rows = all
      .filter(
        (s) =>
          (filters.app === undefined || s.app === filters.app) &&
          (filters.reason === undefined || s.reason === filters.reason),
      )
      .map((s) => ({ createdAt: new Date(s.takenAt), id: s.id, snapshot: s }))
      .filter(
        (r) =>
          after === undefined ||
          r.createdAt < after.createdAt ||
          (r.createdAt.getTime() === after.createdAt.getTime() && r.id > after.id),
      );
    return toPage(rows.slice(0, page.limit + 1), page.limit, (r) => r.snapshot);
  }

  /** Starts a `backup` operation of the apps asked (every app of the tenant by default). */
  async startBackup(
    principal: Principal,
    tenantId: string,
    command: BackupCommand,
    idempotencyKey: string | undefined,
  ): Promise<Answer<OperationView>> {
    const run = await this.idempotent.run(
      principal,
      idempotencyKey,
      { operation: 'backupTenant', params: { tenantId, ...command } },
      async (tx) => {
        const tenant = await this.lockRunning(principal, tenantId, tx);
        const own = tenant.apps.map((a) => a.app);
        const apps = command.apps ?? own;
        const foreign = apps.map((app, i) => ({ app, i })).filter(({ app }) => !own.includes(app));
        if (foreign.length > 0) {
          throw FedopsError.validation(
            foreign.map(({ app, i }) => ({
              field: `apps[${i}]`,
              message: `${app} is not an app of this tenant (${own.join(', ')})`,
            })),
          );
        }
        const op = await this.operations.create(tx, tenant, 'backup', principal.subject, {
          params: { backup: { apps, reason: 'manual' } },
        });
        const body = toOperationView(op, principal);
        return { status: 202, body, location: body.links.self };
      },
    );
    await this.operations.startIfPending(run.answer.body.id);
    if (!run.replayed)
      this.log.info('backup requested', { tenantId, operationId: run.answer.body.id, by: principal.subject });
    return run.answer;
  }

  /**
   * Starts a `restore` operation. The snapshots must be the tenant's (a 422 names those it has not)
   * and the tenant running, with no other operation on it (409).
   */
  async startRestore(
    principal: Principal,
    tenantId: string,
    command: RestoreCommand,
    idempotencyKey: string | undefined,
  ): Promise<Answer<OperationView>> {
    const tenant = await this.tenants.findVisible(principal, tenantId);
    // Checked again under the lock below; first, so a tenant that cannot be restored is told so.
    await this.tenants.requireChangeable(this.dataSource.manager, tenant);
    requireReady(tenant);
    await this.backup
      .call<AppSnapshot[]>(BACKUP_SNAPSHOTS_GET_SUBJECT, { tenantId: tenant.id, ids: command.snapshotIds })
      .catch((err: unknown) => {
        if (err instanceof FedopsError && err.code === FedopsErrorCode.NotFound) {
          throw new FedopsError(FedopsErrorCode.InvalidReference, err.message, {
            cause: err,
            fields: [{ field: 'snapshotIds', message: err.message }],
          });
        }
        throw err;
      });
    const run = await this.idempotent.run(
      principal,
      idempotencyKey,
      { operation: 'restoreTenant', params: { tenantId, ...command } },
      async (tx) => {
        const locked = await this.lockRunning(principal, tenantId, tx);
        const op = await this.operations.create(tx, locked, 'restore', principal.subject, {
          params: { restore: { snapshotIds: command.snapshotIds, strategy: command.strategy } },
        });
        const body = toOperationView(op, principal);
        return { status: 202, body, location: body.links.self };
      },
    );
    await this.operations.startIfPending(run.answer.body.id);
    if (!run.replayed) {
      this.log.info('restore requested', {
        tenantId,
        operationId: run.answer.body.id,
        strategy: command.strategy,
        by: principal.subject,
      });
    }
    return run.answer;
  }

  async getPolicy(principal: Principal, tenantId: string): Promise<{ policy: BackupPolicy; etag: string }> {
    const tenant = await this.tenants.findVisible(principal, tenantId);
    return { policy: tenant.backupPolicy, etag: tenantTag(tenant) };
  }

  /** Stores the policy and puts the tenant's schedule in step with it. */
  async setPolicy(
    principal: Principal,
    tenantId: string,
    policy: BackupPolicy,
  ): Promise<{ policy: BackupPolicy; etag: string }> {
    const tenant = await this.dataSource.transaction(async (tx) => {
      const locked = await this.tenants.findVisible(principal, tenantId, tx, true);
      if (locked.status === 'deleted' || locked.status === 'deleting') {
        throw new FedopsError(FedopsErrorCode.Conflict, `Tenant ${tenantId} is ${locked.status}`);
      }
      locked.backupPolicy = policy;
      return tx.getRepository(TenantEntity).save(locked);
    });
    // A tenant that never ran gets its schedule when its deploy succeeds (OperationService).
    if (tenant.status !== 'provisioning' && tenant.status !== 'failed')
      await this.schedules.apply(tenant.id, policy);
    this.log.info('backup policy set', {
      tenantId,
      intervalHours: policy.intervalHours,
      by: principal.subject,
    });
    return { policy: tenant.backupPolicy, etag: tenantTag(tenant) };
  }

  /**
   * A run of the tenant's backup schedule: a `backup` operation of every app with the tenant's
   * policy, started like any operation; or a skip, announced as `tenant.backup.failed`, when the
   * tenant is being changed. The schedule of a tenant that is gone is removed.
   */
  async startScheduled(tenantId: string): Promise<ScheduledBackupResult> {
    type Planned = { gone: true } | { skipped: string } | { op: OperationEntity; tenant: TenantEntity };
    const planned = await this.dataSource.transaction(async (tx): Promise<Planned> => {
      const tenant = await tx
        .getRepository(TenantEntity)
        .findOne({ where: { id: tenantId }, lock: { mode: 'pessimistic_write' } });
      if (tenant === null || tenant.status === 'deleted' || tenant.status === 'deleting') {
        return { gone: true };
      }
      const [open] = await this.operations.openOperations(tx, tenant.id);
      if (open !== undefined) return { skipped: `operation ${open.id} (${open.kind}) runs on the tenant` };
      if (tenant.status !== 'ready') return { skipped: `the tenant is ${tenant.status}` };
      const op = await this.operations.create(tx, tenant, 'backup', SCHEDULE_REQUESTER, {
        params: {
          backup: { apps: tenant.apps.map((a) => a.app), reason: 'scheduled', policy: tenant.backupPolicy },
        },
      });
      return { op, tenant };
    });
    if ('gone' in planned) {
      await this.schedules.remove(tenantId);
      return { skipped: 'the tenant is gone' };
    }
    if ('skipped' in planned) {
      const skipped = planned.skipped;
      this.log.warn('scheduled backup skipped', { tenantId, why: skipped });
      await this.events.publish(
        tenantId,
        'tenant.backup.failed',
        `backup/${tenantId}/skipped/${Date.now()}`,
        {
          scheduled: true,
          message: `The scheduled backup was not taken: ${skipped}`,
        },
      );
      return { skipped };
    }
    await this.operations.start(planned.op, planned.tenant);
    this.log.info('scheduled backup started', { tenantId, operationId: planned.op.id });
    return { operationId: planned.op.id };
  }

  /** The tenant, locked, when it runs and nothing else is being done to it. */
  private async lockRunning(
    principal: Principal,
    tenantId: string,
    tx: EntityManager,
  ): Promise<TenantEntity> {
    const tenant = await this.tenants.findVisible(principal, tenantId, tx, true);
    await this.tenants.requireChangeable(tx, tenant);
    requireReady(tenant);
    return tenant;
  }
}

function requireReady(tenant: TenantEntity): void {
  if (tenant.status !== 'ready') {
    throw new FedopsError(
      FedopsErrorCode.Conflict,
      `Tenant ${tenant.id} is ${tenant.status}: only a running tenant (ready) is backed up or restored`,
    );
  }
}
