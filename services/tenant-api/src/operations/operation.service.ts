import { Injectable } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import {
  OPERATION_KINDS,
  OPEN_OPERATION_STATUSES,
  OPERATION_STATUSES,
  isFinalOperationStatus,
  type OperationKind,
  type OperationOutcome,
  type OperationProgressReport,
  type SetTenantStatusInput,
} from '@fedops/contracts';
import { FedopsError, FedopsErrorCode, describeError } from '@fedops/domain';
import { EventPublisher, JsonLogger, ServiceMetrics } from '@fedops/service-kit';
import type { Principal } from '../auth';
import { IdempotentRequests, type Answer } from '../idempotency/idempotent-requests';
import { Orchestrator } from '../orchestration/orchestrator';
import { fetchPage, parseListQuery, toPage, type Page } from '../pagination/list-query';
import { TenantEntity } from '../tenants/tenant.entity';
import { OPERATION_KIND_SPECS, abandonedMessage, operatorMessage } from './operation-kinds';
import { OperationEntity, type OperationParams, type TenantChange } from './operation.entity';
import { BackupSchedules, SCHEDULE_REQUESTER } from '../backups/backup-schedules';
import { toOperationView, type OperationView } from './operation.view';

const OPERATION_ID = /^[A-Za-z0-9-]{1,80}$/;
/** An unfinished operation without any progress for this long is listed as stuck for ops staff. */
export const STUCK_AFTER_MINUTES = 15;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const OPERATION_LIST_FILTERS = [
  { name: 'tenant', pattern: UUID, description: 'a tenant id (UUID)' },
  { name: 'kind', values: OPERATION_KINDS, description: 'an operation kind' },
  { name: 'status', values: OPERATION_STATUSES, description: 'an operation status' },
  {
    name: 'stuck',
    values: ['true'],
    description: `unfinished and without progress for ${STUCK_AFTER_MINUTES} minutes`,
  },
] as const;

/**
 * Operations as rows: created with the change they carry out, started as a workflow whose id is the
 * operation id, progressed and finished by that workflow's activities, cancelled and retried
 * through the API. The tenant's status follows its latest operation.
 */
@Injectable()
export class OperationService {
  private readonly log;

  constructor(
    private readonly dataSource: DataSource,
    private readonly orchestrator: Orchestrator,
    private readonly events: EventPublisher,
    private readonly metrics: ServiceMetrics,
    private readonly idempotent: IdempotentRequests,
    private readonly schedules: BackupSchedules,
    logger: JsonLogger,
  ) {
    this.log = logger.child('operations');
  }

  /**
   * Stores a new operation of `kind` on the tenant within `tx` and makes it the tenant's latest
   * (setting the tenant's status for the kind). Its workflow is started by `start` after commit.
   */
  async create(
    tx: EntityManager,
    tenant: TenantEntity,
    kind: OperationKind,
    requestedBy: string,
    options: { retryOf?: string; change?: TenantChange; params?: OperationParams } = {},
  ): Promise<OperationEntity> {
    const op = tx.getRepository(OperationEntity).create({
      id: randomUUID(),
      kind,
      tenantId: tenant.id,
      orgId: tenant.orgId,
      requestedBy,
      status: 'pending',
      steps: [],
      failedStep: null,
      error: null,
      errorDetail: null,
      retryOf: options.retryOf ?? null,
      change: options.change ?? null,
      params: options.params ?? null,
      startedAt: null,
      finishedAt: null,
      checkedAt: null,
    });
    tenant.status = OPERATION_KIND_SPECS[kind].tenantStatusWhileRunning;
    tenant.lastOperationId = op.id;
    tenant.error = null;
    await tx.getRepository(TenantEntity).save(tenant);
    return tx.getRepository(OperationEntity).save(op);
  }

  /** Operations of the tenant that have not finished, oldest first. */
  openOperations(tx: EntityManager, tenantId: string): Promise<OperationEntity[]> {
    return tx
      .getRepository(OperationEntity)
      .createQueryBuilder('o')
      .where('o.tenant_id = :tenantId', { tenantId })
      .andWhere('o.status IN (:...open)', { open: OPEN_OPERATION_STATUSES })
      .orderBy('o.created_at', 'ASC')
      .getMany();
  }

  /**
   * Starts the workflow of a pending operation. Idempotent; a failure to reach Temporal is logged,
   * not thrown: the operation is stored, and the reconciler starts it once Temporal answers.
   */
  async start(op: OperationEntity, tenant: TenantEntity): Promise<void> {
    try {
      await this.orchestrator.start(op, tenant);
    } catch (err) {
      this.log.warn('could not start the workflow; the reconciler will retry', {
        operationId: op.id,
        tenantId: op.tenantId,
        error: describeError(err),
      });
      return;
    }
    const moved = await this.dataSource.query(
      `UPDATE operations SET status = 'running', started_at = COALESCE(started_at, now()), updated_at = now()
        WHERE id = $1 AND status = 'pending' RETURNING id`,
      [op.id],
    );
    if (rowCount(moved) > 0) {
      op.status = 'running';
      return;
    }
    // Cancelled while it was being started: the workflow that just started must not run on.
    const current = await this.dataSource.getRepository(OperationEntity).findOneBy({ id: op.id });
    if (current?.status === 'cancelled') await this.orchestrator.requestCancel(op.id);
  }

  /** Starts the operation if it is still pending (a replayed request whose first attempt died). */
  async startIfPending(id: string): Promise<void> {
    const op = await this.dataSource.getRepository(OperationEntity).findOneBy({ id });
    if (op?.status !== 'pending') return;
    const tenant = await this.dataSource.getRepository(TenantEntity).findOneBy({ id: op.tenantId });
    if (tenant !== null) await this.start(op, tenant);
  }

  async get(principal: Principal, id: string): Promise<OperationView> {
    return toOperationView(await this.findVisible(principal, id), principal);
  }

  /** A page of operations the caller may see, newest first, with optional filters. */
  async list(principal: Principal, query: Record<string, unknown>): Promise<Page<OperationView>> {
    const { page, filters } = parseListQuery(query, OPERATION_LIST_FILTERS);
    const qb = this.dataSource.getRepository(OperationEntity).createQueryBuilder('o');
    if (!isOps(principal)) qb.andWhere('o.org_id = :org', { org: principal.orgId ?? '\u0000' });
    if (filters.tenant !== undefined) qb.andWhere('o.tenant_id = :tenant', { tenant: filters.tenant });
    if (filters.kind !== undefined) qb.andWhere('o.kind = :kind', { kind: filters.kind });
    if (filters.status !== undefined) qb.andWhere('o.status = :status', { status: filters.status });
    if (filters.stuck !== undefined) {
      qb.andWhere('o.status IN (:...open)', { open: OPEN_OPERATION_STATUSES }).andWhere(
        'o.updated_at < :quiet',
        {
          quiet: new Date(Date.now() - STUCK_AFTER_MINUTES * 60_000),
        },
      );
    }
    const rows = await fetchPage(qb, page, { at: 'o.created_at', id: 'o.id', order: 'DESC' });
    return toPage(rows, page.limit, (op) => toOperationView(op, principal));
  }

  /**
   * Cancels an operation: a pending one at once, a running one by cancelling its workflow, which
   * undoes what it did and then records `cancelled`. 409 for a finished or non-cancellable one.
   */
  async cancel(principal: Principal, id: string, key?: string): Promise<Answer<OperationView>> {
    const run = await this.idempotent.run(
      principal,
      key,
      { operation: 'cancelOperation', params: { id } },
      async (tx) => {
        const op = await this.findVisible(principal, id, tx, true);
        if (op.status !== 'cancelling') {
          if (isFinalOperationStatus(op.status)) {
            throw new FedopsError(FedopsErrorCode.Conflict, `Operation ${id} has already ${op.status}`);
          }
          if (!OPERATION_KIND_SPECS[op.kind].cancellable) {
            throw new FedopsError(
              FedopsErrorCode.Conflict,
              `A ${op.kind} operation cannot be cancelled; retry it if it fails`,
            );
          }
          if (op.status === 'pending') {
            await this.finish(
              tx,
              op,
              { status: 'cancelled' },
              OPERATION_KIND_SPECS[op.kind].tenantStatusIfNotRun,
            );
          } else {
            op.status = 'cancelling';
            await tx.getRepository(OperationEntity).save(op);
          }
        }
        return { status: 202, body: toOperationView(op, principal) };
      },
    );
    if (run.replayed) return run.answer;
    const op = run.answer.body;
    if (op.status === 'cancelling') {
      try {
        await this.orchestrator.requestCancel(op.id);
      } catch (err) {
        // The row says `cancelling`; the reconciler asks again on its next look.
        this.log.warn('could not request cancellation; the reconciler will retry', {
          operationId: op.id,
          error: describeError(err),
        });
      }
    } else {
      await this.announceFinished(
        await this.dataSource.getRepository(OperationEntity).findOneByOrFail({ id }),
      );
    }
    this.log.info('operation cancel requested', { operationId: op.id, by: principal.subject });
    return run.answer;
  }

  /**
   * Starts a new operation of the same kind as a failed or cancelled one, when it is still the
   * tenant's latest. The new operation names the old one in `retryOf`.
   */
  async retry(principal: Principal, id: string, key?: string): Promise<Answer<OperationView>> {
    const run = await this.idempotent.run(
      principal,
      key,
      { operation: 'retryOperation', params: { id } },
      async (tx) => {
        const previous = await this.findVisible(principal, id, tx, true);
        if (previous.status !== 'failed' && previous.status !== 'cancelled') {
          throw new FedopsError(
            FedopsErrorCode.Conflict,
            `Operation ${id} is ${previous.status}; only a failed or cancelled operation can be retried`,
          );
        }
        const tenant = await tx
          .getRepository(TenantEntity)
          .findOne({ where: { id: previous.tenantId }, lock: { mode: 'pessimistic_write' } });
        if (tenant === null) throw new FedopsError(FedopsErrorCode.NotFound, `Operation ${id} not found`);
        if (tenant.lastOperationId !== previous.id) {
          throw new FedopsError(
            FedopsErrorCode.Conflict,
            `Operation ${id} is not the tenant's latest; its latest is ${tenant.lastOperationId}`,
          );
        }
        if (tenant.status === 'deleted') {
          throw new FedopsError(FedopsErrorCode.Conflict, `Tenant ${tenant.id} is deleted`);
        }
        // An update is retried from what the tenant runs now towards the same apps as before.
        const change =
          previous.change === null
            ? undefined
            : { from: { apps: tenant.apps, hostnames: tenant.hostnames }, to: previous.change.to };
        const created = await this.create(tx, tenant, previous.kind, principal.subject, {
          retryOf: previous.id,
          ...(change !== undefined ? { change } : {}),
          ...(previous.params !== null ? { params: previous.params } : {}),
        });
        const body = toOperationView(created, principal);
        return { status: 202, body, location: body.links.self };
      },
    );
    await this.startIfPending(run.answer.body.id);
    if (!run.replayed) {
      this.log.info('operation retried', {
        operationId: run.answer.body.id,
        retryOf: id,
        by: principal.subject,
      });
    }
    return run.answer;
  }

  /**
   * The tenant-api activity ending a workflow: records the operation's outcome and steps, and the
   * tenant's status when this is its latest operation. The workflow's report wins over what
   * tenant-api may have concluded meanwhile (cancelled before start, given up as lost).
   */
  async recordOutcome(input: SetTenantStatusInput): Promise<void> {
    const outcome: OperationOutcome = input.outcome ?? legacyOutcome(input);
    const result = await this.dataSource.transaction(async (tx) => {
      const op = await tx
        .getRepository(OperationEntity)
        .findOne({ where: { id: input.operationId }, lock: { mode: 'pessimistic_write' } });
      if (op === null) {
        this.log.warn('outcome of an operation that has no row', { ...input });
        return undefined;
      }
      const wasOpen = !isFinalOperationStatus(op.status);
      if (input.steps !== undefined) op.steps = input.steps;
      await this.finish(tx, op, outcome, input.status);
      return { op, wasOpen };
    });
    if (result === undefined) return;
    const { op, wasOpen } = result;
    if (wasOpen) {
      const labels = { workflow: OPERATION_KIND_SPECS[op.kind].workflow, outcome: metricOutcome(outcome) };
      this.metrics.workflowCompleted.inc(labels);
      this.metrics.workflowDuration.observe(labels, (Date.now() - op.createdAt.getTime()) / 1000);
    }
    await this.announceFinished(op);
    await this.afterFinished(op);
  }

  /**
   * What follows from an operation's end outside tenant-api's database: a tenant that runs gets its
   * backup schedule, a deleted one loses it (a failure here is logged: the start-up sweep of
   * BackupSchedules repairs it); a failed backup is announced as `tenant.backup.failed`.
   */
  private async afterFinished(op: OperationEntity): Promise<void> {
    try {
      if (op.kind === 'deploy' && op.status === 'succeeded') {
        const tenant = await this.dataSource.getRepository(TenantEntity).findOneBy({ id: op.tenantId });
        if (tenant !== null) await this.schedules.apply(tenant.id, tenant.backupPolicy);
      } else if (op.kind === 'destroy' && op.status === 'succeeded') {
        await this.schedules.remove(op.tenantId);
      }
    } catch (err) {
      this.log.error('backup schedule not updated', { tenantId: op.tenantId, error: describeError(err) });
    }
    if (op.kind === 'backup' && op.status === 'failed') {
      await this.events.publish(op.tenantId, 'tenant.backup.failed', `${op.id}/backup-failed`, {
        operationId: op.id,
        scheduled: op.requestedBy === SCHEDULE_REQUESTER,
        message: op.error ?? 'The backup failed',
      });
    }
  }

  /** The tenant-api activity recording a workflow's steps as they change. */
  async recordProgress(report: OperationProgressReport): Promise<void> {
    const rows: unknown = await this.dataSource.query(
      `UPDATE operations
          SET steps = $2::jsonb,
              status = CASE WHEN status = 'pending' THEN 'running' ELSE status END,
              started_at = COALESCE(started_at, now()),
              updated_at = now()
        WHERE id = $1 AND status = ANY($3)
        RETURNING id`,
      [report.operationId, JSON.stringify(report.steps), OPEN_OPERATION_STATUSES],
    );
    if (rowCount(rows) === 0) return;
    // The same steps reported twice (a retried activity) are one event.
    const digest = createHash('sha256')
      .update(report.steps.map((s) => `${s.name}=${s.status}`).join(','))
      .digest('hex')
      .slice(0, 16);
    await this.events.publish(
      report.tenantId,
      'operation.progress',
      `${report.operationId}/steps/${digest}`,
      {
        operationId: report.operationId,
        steps: report.steps.map(({ error: _raw, ...step }) => step),
      },
    );
  }

  /**
   * Cancels the tenant's open operations other than `except` (a destroy supersedes a deploy in
   * flight) and waits until their workflows have undone what they did. Runs recorded before
   * operations were rows pass no `except`: then every open deploy is cancelled.
   */
  async cancelSupersededAndWait(tenantId: string, except?: string): Promise<boolean> {
    const open = await this.openOperations(this.dataSource.manager, tenantId);
    const superseded = open.filter((o) => o.id !== except && OPERATION_KIND_SPECS[o.kind].cancellable);
    const cancelled = await Promise.all(
      superseded.map(async (o) => {
        if (o.status === 'pending') {
          // Not started: ending it here is enough (a start racing with this is cancelled by `start`).
          await this.dataSource.transaction((tx) =>
            this.finish(tx, o, { status: 'cancelled' }, OPERATION_KIND_SPECS[o.kind].tenantStatusIfNotRun),
          );
          return true;
        }
        await this.dataSource.query(
          `UPDATE operations SET status = 'cancelling', updated_at = now() WHERE id = $1 AND status = 'running'`,
          [o.id],
        );
        return this.orchestrator.cancelAndWait(o.id);
      }),
    );
    return cancelled.some(Boolean);
  }

  /**
   * The reconciler's look at one open operation: starts it if pending, asks again for a requested
   * cancel, and ends one whose workflow closed without reporting (terminated, timed out) or is
   * unknown to Temporal (lost), so its tenant is never stuck.
   */
  async reconcile(op: OperationEntity): Promise<void> {
    const tenant = await this.dataSource.getRepository(TenantEntity).findOneBy({ id: op.tenantId });
    if (tenant === null) return;
    if (op.status === 'pending') {
      await this.start(op, tenant);
      return;
    }
    const workflow = await this.orchestrator.workflowState(op.id);
    if (workflow.state === 'running') {
      if (op.status === 'cancelling') await this.orchestrator.requestCancel(op.id);
      return;
    }
    const detail =
      workflow.state === 'missing'
        ? 'The workflow of this operation is unknown to Temporal (lost, or removed after retention)'
        : `The workflow ended (${workflow.status}) without recording the operation's outcome`;
    const abandoned = await this.dataSource.transaction(async (tx) => {
      const current = await tx
        .getRepository(OperationEntity)
        .findOne({ where: { id: op.id }, lock: { mode: 'pessimistic_write' } });
      // Its outcome may have been recorded between our read and Temporal's answer.
      if (current === null || isFinalOperationStatus(current.status)) return undefined;
      const cancelled =
        current.status === 'cancelling' && workflow.state === 'closed' && workflow.status === 'CANCELLED';
      const outcome: OperationOutcome = cancelled
        ? { status: 'cancelled', errorDetail: detail }
        : { status: 'failed', errorDetail: detail };
      await this.finish(tx, current, outcome, 'failed', abandonedMessage(current.kind));
      return current;
    });
    if (abandoned === undefined) return;
    this.log.warn('operation abandoned by its workflow', {
      operationId: op.id,
      tenantId: op.tenantId,
      detail,
    });
    await this.announceFinished(abandoned);
  }

  /** Open operations the reconciler looked at least recently (never looked at first), older than `graceMs`. */
  async nextToReconcile(limit: number, graceMs: number): Promise<OperationEntity[]> {
    return this.dataSource.transaction(async (tx) => {
      const ops = await tx
        .getRepository(OperationEntity)
        .createQueryBuilder('o')
        .where('o.status IN (:...open)', { open: OPEN_OPERATION_STATUSES })
        .andWhere('o.updated_at < :before', { before: new Date(Date.now() - graceMs) })
        .orderBy('o.checked_at', 'ASC', 'NULLS FIRST')
        .addOrderBy('o.id', 'ASC')
        .take(limit)
        .setLock('pessimistic_write')
        .setOnLocked('skip_locked')
        .getMany();
      // Marked as looked at before the look: one that keeps failing goes to the back of the queue.
      if (ops.length > 0) {
        await tx.query(`UPDATE operations SET checked_at = now() WHERE id = ANY($1)`, [ops.map((o) => o.id)]);
      }
      return ops;
    });
  }

  /** Ends `op` with `outcome` within `tx`; sets the tenant's status if `op` is its latest operation. */
  private async finish(
    tx: EntityManager,
    op: OperationEntity,
    outcome: OperationOutcome,
    tenantStatus: SetTenantStatusInput['status'],
    message: string | null = operatorMessage(op.kind, outcome, tenantStatus),
  ): Promise<void> {
    op.status = outcome.status;
    op.failedStep = outcome.failedStep ?? null;
    op.error = message;
    op.errorDetail = outcome.errorDetail ?? null;
    op.finishedAt = new Date();
    await tx.getRepository(OperationEntity).save(op);
    const tenant = await tx
      .getRepository(TenantEntity)
      .findOne({ where: { id: op.tenantId }, lock: { mode: 'pessimistic_write' } });
    // An outcome of an older operation (a cancelled deploy ending late) never overwrites a newer one's.
    if (tenant === null || tenant.lastOperationId !== op.id) {
      this.log.info('not the latest operation: the tenant keeps its status', { operationId: op.id });
      return;
    }
    tenant.status = tenantStatus;
    tenant.error = message;
    if (outcome.status === 'succeeded') {
      // A change becomes the tenant's state once it runs; a failed one leaves the previous apps.
      if (op.change !== null) {
        tenant.apps = op.change.to.apps;
        tenant.hostnames = op.change.to.hostnames;
      }
      // Whatever the machine ran before, it runs the desired state now.
      if (OPERATION_KIND_SPECS[op.kind].appliesDesiredState) tenant.drift = null;
      if (op.kind === 'backup') tenant.lastBackupAt = op.finishedAt;
    } else if (op.kind === 'backup' && outcome.status === 'failed') {
      tenant.lastBackupFailedAt = op.finishedAt;
    }
    await tx.getRepository(TenantEntity).save(tenant);
  }

  /** Events for a finished operation; their ids are stable, so a repeat is stored once. */
  private async announceFinished(op: OperationEntity): Promise<void> {
    const tenant = await this.dataSource.getRepository(TenantEntity).findOneBy({ id: op.tenantId });
    await this.events.publish(op.tenantId, 'operation.finished', `${op.id}/finished/${op.status}`, {
      operationId: op.id,
      kind: op.kind,
      status: op.status,
      ...(op.error !== null ? { error: op.error } : {}),
    });
    if (tenant === null || tenant.lastOperationId !== op.id) return;
    await this.events.publish(op.tenantId, 'tenant.status.changed', `${op.id}/status/${tenant.status}`, {
      status: tenant.status,
      operationId: op.id,
      ...(tenant.error !== null ? { error: tenant.error } : {}),
    });
  }

  /** The operation if the caller may see it; one of another organisation's tenants is not found. */
  private async findVisible(
    principal: Principal,
    id: string,
    tx: EntityManager = this.dataSource.manager,
    forUpdate = false,
  ): Promise<OperationEntity> {
    const op = OPERATION_ID.test(id)
      ? await tx
          .getRepository(OperationEntity)
          .findOne({ where: { id }, ...(forUpdate ? { lock: { mode: 'pessimistic_write' as const } } : {}) })
      : null;
    if (op === null || (!isOps(principal) && op.orgId !== principal.orgId)) {
      throw new FedopsError(FedopsErrorCode.NotFound, `Operation ${id} not found`);
    }
    return op;
  }
}

function isOps(principal: Principal): boolean {
  return principal.roles.includes('ops');
}

/** Runs recorded before operations were rows report only the tenant status and a raw error. */
function legacyOutcome(input: SetTenantStatusInput): OperationOutcome {
  if (input.status !== 'failed') return { status: 'succeeded' };
  return {
    status: input.error === 'cancelled' ? 'cancelled' : 'failed',
    ...(input.error !== undefined ? { errorDetail: input.error } : {}),
  };
}

function metricOutcome(outcome: OperationOutcome): 'success' | 'failure' {
  return outcome.status === 'succeeded' ? 'success' : 'failure';
}

/** Rows returned by a raw `UPDATE ... RETURNING` (the pg driver answers `[rows, count]` through TypeORM). */
function rowCount(result: unknown): number {
  if (Array.isArray(result) && result.length === 2 && typeof result[1] === 'number') return result[1];
  return Array.isArray(result) ? result.length : 0;
}
