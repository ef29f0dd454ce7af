import { randomBytes, randomUUID } from 'node:crypto';
import { connect, type NatsConnection } from 'nats';
import type { DataSource } from 'typeorm';
import { DEFAULT_BACKUP_POLICY, TaskQueue } from '@fedops/contracts';
import { BackupSchedules } from '../backups/backup-schedules';
import { FedopsError } from '@fedops/domain';
import {
  EventPublisher,
  JsonLogger,
  ServiceMetrics,
  ensureEventsStream,
  openServiceDataSource,
} from '@fedops/service-kit';
import {
  createTestDatabase,
  dropTestDatabase,
  openTemporalTestNamespace,
  testInfra,
  type TemporalTestNamespace,
} from '@fedops/testing';
import type { Principal } from '../auth';
import { TENANT_API_MIGRATIONS } from '../migrations/tenant-api-migrations';
import { Orchestrator } from '../orchestration/orchestrator';
import { IdempotencyKeyEntity } from '../idempotency/idempotency-key.entity';
import { IdempotentRequests } from '../idempotency/idempotent-requests';
import { TenantEntity } from '../tenants/tenant.entity';
import { OperationEntity } from './operation.entity';
import { OperationReconciler } from './operation-reconciler';
import { OperationService } from './operation.service';
import { DriftRecorder } from '../drift/drift-recorder';

/**
 * Operations on real PostgreSQL, NATS and Temporal, in a Temporal namespace no worker polls: a
 * started workflow stays RUNNING until the test terminates it, as a stuck or killed one would.
 */
describe('OperationService and the reconciler', () => {
  const ops: Principal = { subject: 'ops-alice', roles: ['ops'] };
  const acme: Principal = { subject: 'op-bob', roles: ['operator'], orgId: 'acme' };
  const globex: Principal = { subject: 'op-carol', roles: ['operator'], orgId: 'globex' };
  let databaseUrl: string;
  let dataSource: DataSource;
  let nc: NatsConnection;
  let ns: TemporalTestNamespace;
  let service: OperationService;
  let reconciler: OperationReconciler;
  let drift: DriftRecorder;

  beforeAll(async () => {
    databaseUrl = await createTestDatabase('tenant_api_operations');
    dataSource = await openServiceDataSource({
      url: databaseUrl,
      schema: 'tenant_api',
      entities: [TenantEntity, IdempotencyKeyEntity, OperationEntity],
      migrations: TENANT_API_MIGRATIONS,
    });
    const { url, admin } = testInfra().nats;
    nc = await connect({ servers: url, user: admin.user, pass: admin.password });
    await ensureEventsStream(nc);
    ns = await openTemporalTestNamespace('tenant-api-ops');
    const logger = new JsonLogger('tenant-api', 'warn', () => undefined);
    const metrics = new ServiceMetrics('tenant-api', false);
    service = new OperationService(
      dataSource,
      new Orchestrator(ns.client, metrics),
      new EventPublisher(nc, 'tenant-api'),
      metrics,
      new IdempotentRequests(dataSource),
      new BackupSchedules(ns.client, dataSource, logger),
      logger,
    );
    reconciler = new OperationReconciler(service, logger);
    drift = new DriftRecorder(dataSource, new EventPublisher(nc, 'tenant-api'), logger);
  });

  afterAll(async () => {
    await ns?.close();
    await dataSource?.destroy();
    await nc?.close();
    if (databaseUrl !== undefined) await dropTestDatabase(databaseUrl);
  });

  /** A tenant of `org` with a pending deploy operation, stored as TenantService.create stores them. */
  async function tenantWithDeploy(org = 'acme'): Promise<{ tenant: TenantEntity; op: OperationEntity }> {
    return dataSource.transaction(async (tx) => {
      const domain = `t${randomBytes(4).toString('hex')}.example.org`;
      const tenant = tx.getRepository(TenantEntity).create({
        id: randomUUID(),
        orgId: org,
        domain,
        apps: [{ app: 'mastodon', options: {} }],
        hostnames: [{ app: 'mastodon', fqdn: `social.${domain}`, port: 3000 }],
        provider: 'sandbox',
        error: null,
        backupPolicy: DEFAULT_BACKUP_POLICY,
      });
      const op = await service.create(tx, tenant, 'deploy', 'op-bob');
      return { tenant, op };
    });
  }

  const reload = (id: string) => dataSource.getRepository(OperationEntity).findOneByOrFail({ id });
  const reloadTenant = (id: string) => dataSource.getRepository(TenantEntity).findOneByOrFail({ id });
  /** Makes the operation look old enough for the reconciler (past its grace period). */
  const age = (id: string) =>
    dataSource.query(`UPDATE operations SET updated_at = now() - interval '1 hour' WHERE id = $1`, [id]);

  async function problemOf(promise: Promise<unknown>): Promise<FedopsError> {
    const err = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    if (!(err instanceof FedopsError)) throw new Error(`expected a FedopsError, got ${String(err)}`);
    return err;
  }

  it('starts the workflow under the operation id and marks the operation running', async () => {
    const { tenant, op } = await tenantWithDeploy();
    await service.start(op, tenant);
    const description = await ns.client.workflow.getHandle(op.id).describe();
    expect(description.type).toBe('deployTenant');
    expect(description.taskQueue).toBe(TaskQueue.workflows);
    expect((await reload(op.id)).status).toBe('running');
    expect((await reloadTenant(tenant.id)).status).toBe('provisioning');
  });

  it('the reconciler starts an operation whose workflow never started (the outbox)', async () => {
    const { op } = await tenantWithDeploy();
    await age(op.id);
    await reconciler.sweep(500, 1_000);
    expect((await reload(op.id)).status).toBe('running');
    expect((await ns.client.workflow.getHandle(op.id).describe()).status.name).toBe('RUNNING');
  });

  it('ends an operation whose workflow was terminated, with a curated message, and frees its tenant', async () => {
    const { tenant, op } = await tenantWithDeploy();
    await service.start(op, tenant);
    await ns.client.workflow.getHandle(op.id).terminate('operator pulled the plug on 10.0.0.7');
    await age(op.id);
    await reconciler.sweep(500, 1_000);

    const ended = await reload(op.id);
    expect(ended.status).toBe('failed');
    expect(ended.errorDetail).toContain('TERMINATED');
    expect(ended.error).toBe(
      'The deployment stopped unexpectedly. Retry the operation; ops staff can see the details.',
    );
    const after = await reloadTenant(tenant.id);
    expect(after.status).toBe('failed');
    expect(after.error).toBe(ended.error);
    // Operators read the curated message only; ops see the detail too.
    expect((await service.get(acme, op.id)).errorDetail).toBeUndefined();
    expect((await service.get(ops, op.id)).errorDetail).toContain('TERMINATED');
  });

  it('ends an operation whose workflow Temporal does not know (lost)', async () => {
    const { op } = await tenantWithDeploy();
    await dataSource.query(`UPDATE operations SET status = 'running' WHERE id = $1`, [op.id]);
    await age(op.id);
    await reconciler.sweep(500, 1_000);
    const ended = await reload(op.id);
    expect(ended.status).toBe('failed');
    expect(ended.errorDetail).toContain('unknown to Temporal');
  });

  it('is not starved by old stuck operations: each sweep takes those looked at least recently', async () => {
    // Twelve operations whose workflows stay RUNNING (no worker), older than a new one.
    const stuck = await Promise.all(Array.from({ length: 12 }, () => tenantWithDeploy()));
    for (const { tenant, op } of stuck) await service.start(op, tenant);
    await dataSource.query(
      `UPDATE operations SET updated_at = now() - interval '2 hours' WHERE id = ANY($1)`,
      [stuck.map((s) => s.op.id)],
    );
    // Everything else open from earlier tests has been looked at: the stuck ones come first.
    await dataSource.query(`UPDATE operations SET checked_at = now() WHERE id <> ALL($1)`, [
      stuck.map((s) => s.op.id),
    ]);
    expect(await reconciler.sweep(10, 1_000)).toBe(10);

    const fresh = await tenantWithDeploy();
    await age(fresh.op.id);
    await reconciler.sweep(10, 1_000);
    expect((await reload(fresh.op.id)).status).toBe('running');
    const looked = await dataSource.query(
      `SELECT count(*)::int AS n FROM operations WHERE id = ANY($1) AND checked_at IS NOT NULL`,
      [stuck.map((s) => s.op.id)],
    );
    expect(looked[0].n).toBe(12);
  });

  it('cancels a pending operation at once and leaves its tenant failed', async () => {
    const { tenant, op } = await tenantWithDeploy();
    const { body: view } = await service.cancel(acme, op.id);
    expect(view.status).toBe('cancelled');
    expect(view.error).toBe('The deployment was cancelled; what it had done was undone.');
    expect((await reloadTenant(tenant.id)).status).toBe('failed');
    // Already cancelled: a second cancel is a conflict naming the state.
    expect((await problemOf(service.cancel(acme, op.id))).message).toBe(
      `Operation ${op.id} has already cancelled`,
    );
  });

  it('cancels a running operation by cancelling its workflow, which then reports cancelled', async () => {
    const { tenant, op } = await tenantWithDeploy();
    await service.start(op, tenant);
    expect((await service.cancel(acme, op.id)).body.status).toBe('cancelling');
    const history = await ns.client.workflow.getHandle(op.id).fetchHistory();
    expect(history.events?.some((e) => Boolean(e.workflowExecutionCancelRequestedEventAttributes))).toBe(
      true,
    );
    // The workflow's compensation ends with this report:
    await service.recordOutcome({
      tenantId: tenant.id,
      operationId: op.id,
      status: 'failed',
      outcome: { status: 'cancelled', failedStep: 'provision', errorDetail: 'cancelled' },
      steps: [{ name: 'provision', status: 'failed', error: 'cancelled' }],
    });
    expect((await reload(op.id)).status).toBe('cancelled');
  });

  it('retries a failed operation as a new one that names it, and refuses to retry it twice', async () => {
    const { tenant, op } = await tenantWithDeploy();
    await service.recordOutcome({
      tenantId: tenant.id,
      operationId: op.id,
      status: 'failed',
      outcome: {
        status: 'failed',
        failedStep: 'deploy',
        errorType: 'HEALTH_CHECK_FAILED',
        errorDetail: 'ssh root@10.213.0.4: curl http://127.0.0.1:3000/health: connection refused',
      },
      steps: [{ name: 'deploy', status: 'failed', error: 'ssh root@10.213.0.4: connection refused' }],
    });
    const failed = await service.get(acme, op.id);
    expect(failed.error).toBe(
      'The deployment failed while deploying the apps: the apps did not become healthy. ' +
        'What it had done was undone; retry the operation. Ops staff can see the details.',
    );
    expect(JSON.stringify(failed)).not.toContain('10.213.0.4');
    expect((await reloadTenant(tenant.id)).error).toBe(failed.error);

    const { body: retried, status } = await service.retry(acme, op.id, 'retry-once');
    expect(status).toBe(202);
    // The same request again (a client retrying after a lost answer) gets the same operation back.
    expect((await service.retry(acme, op.id, 'retry-once')).body.id).toBe(retried.id);
    expect(retried).toMatchObject({ kind: 'deploy', retryOf: op.id, requestedBy: 'op-bob' });
    expect(retried.id).not.toBe(op.id);
    expect(await reloadTenant(tenant.id)).toMatchObject({
      status: 'provisioning',
      lastOperationId: retried.id,
      error: null,
    });
    expect((await problemOf(service.retry(acme, op.id))).message).toContain('is not the tenant');
  });

  /** A ready tenant with Mastodon and a pending update to Mastodon and Jitsi, as TenantService.update stores it. */
  async function tenantWithUpdate(): Promise<{ tenant: TenantEntity; op: OperationEntity }> {
    const { tenant: created, op: deploy } = await tenantWithDeploy();
    await service.recordOutcome({
      tenantId: created.id,
      operationId: deploy.id,
      status: 'ready',
      outcome: { status: 'succeeded' },
    });
    return dataSource.transaction(async (tx) => {
      const tenant = await tx.getRepository(TenantEntity).findOneByOrFail({ id: created.id });
      const jitsi = { app: 'jitsi', fqdn: `meet.${tenant.domain}`, port: 443 };
      const op = await service.create(tx, tenant, 'update', 'op-bob', {
        change: {
          from: { apps: tenant.apps, hostnames: tenant.hostnames },
          to: {
            apps: [...tenant.apps, { app: 'jitsi', options: {} }],
            hostnames: [...tenant.hostnames, jitsi],
          },
        },
      });
      return { tenant, op };
    });
  }

  it("applies an update's apps to the tenant when it succeeds", async () => {
    const { tenant, op } = await tenantWithUpdate();
    expect(await reloadTenant(tenant.id)).toMatchObject({ status: 'updating' });
    await service.recordOutcome({
      tenantId: tenant.id,
      operationId: op.id,
      status: 'ready',
      outcome: { status: 'succeeded' },
    });
    const after = await reloadTenant(tenant.id);
    expect(after.status).toBe('ready');
    expect(after.apps.map((a) => a.app)).toEqual(['mastodon', 'jitsi']);
    expect(after.hostnames.map((h) => h.fqdn)).toEqual([`social.${tenant.domain}`, `meet.${tenant.domain}`]);
  });

  it('keeps the previous apps of a failed update whose workflow put them back, the tenant ready with why', async () => {
    const { tenant, op } = await tenantWithUpdate();
    await service.recordOutcome({
      tenantId: tenant.id,
      operationId: op.id,
      status: 'ready',
      outcome: {
        status: 'failed',
        failedStep: 'deploy',
        errorType: 'HEALTH_CHECK_FAILED',
        errorDetail: 'raw',
      },
    });
    const after = await reloadTenant(tenant.id);
    expect(after.apps.map((a) => a.app)).toEqual(['mastodon']);
    expect(after.status).toBe('ready');
    expect(after.error).toBe(
      'The update failed while deploying the new configuration: the apps did not become healthy. The tenant was ' +
        'put back on its previous configuration and keeps running it; correct the change and try again. ' +
        'Ops staff can see the details.',
    );
  });

  it('says ops staff must repair a tenant whose failed update could not be undone', async () => {
    const { tenant, op } = await tenantWithUpdate();
    await service.recordOutcome({
      tenantId: tenant.id,
      operationId: op.id,
      status: 'failed',
      outcome: { status: 'failed', failedStep: 'deploy', errorDetail: 'raw' },
    });
    expect((await reloadTenant(tenant.id)).error).toContain(
      'Putting the previous configuration back failed too',
    );
  });

  it('leaves a tenant ready when its update is cancelled before the workflow started', async () => {
    const { tenant, op } = await tenantWithUpdate();
    await service.cancel(acme, op.id);
    expect((await reload(op.id)).status).toBe('cancelled');
    expect(await reloadTenant(tenant.id)).toMatchObject({ status: 'ready', apps: tenant.apps });
  });

  it('retries a failed update from what the tenant runs towards the same apps', async () => {
    const { tenant, op } = await tenantWithUpdate();
    await service.recordOutcome({
      tenantId: tenant.id,
      operationId: op.id,
      status: 'ready',
      outcome: { status: 'failed', failedStep: 'deploy', errorDetail: 'raw' },
    });
    const { body: retried } = await service.retry(acme, op.id);
    const row = await reload(retried.id);
    expect(row.kind).toBe('update');
    expect(row.change?.from.apps).toEqual(tenant.apps);
    expect(row.change?.to.apps.map((a) => a.app)).toEqual(['mastodon', 'jitsi']);
  });

  /** A ready tenant whose deploy ended a moment ago. */
  async function readyTenant(): Promise<TenantEntity> {
    const { tenant, op } = await tenantWithDeploy();
    await service.recordOutcome({
      tenantId: tenant.id,
      operationId: op.id,
      status: 'ready',
      outcome: { status: 'succeeded' },
    });
    return reloadTenant(tenant.id);
  }
  const finding = (tenantId: string) => ({
    tenantId,
    machineId: 'm-1',
    expected: { generation: 2, configHash: 'a'.repeat(64) },
    found: { generation: 1 },
  });
  const later = (): string => new Date(Date.now() + 1_000).toISOString();

  it('records drift on a settled tenant and clears it when the machine is in sync again', async () => {
    const tenant = await readyTenant();
    await drift.record({ checkedAt: later(), inSync: [], drifted: [finding(tenant.id)], unreachable: [] });
    expect((await reloadTenant(tenant.id)).drift).toMatchObject({
      expected: { generation: 2 },
      found: { generation: 1 },
    });
    await drift.record({ checkedAt: later(), inSync: [tenant.id], drifted: [], unreachable: [] });
    expect((await reloadTenant(tenant.id)).drift).toBeNull();
  });

  it('ignores a finding about a tenant changed since the check looked, or being changed', async () => {
    const tenant = await readyTenant();
    // The check looked before the deploy ended: the machine may have been mid-switch.
    const before = new Date(Date.now() - 60_000).toISOString();
    await drift.record({ checkedAt: before, inSync: [], drifted: [finding(tenant.id)], unreachable: [] });
    expect((await reloadTenant(tenant.id)).drift).toBeNull();

    const { tenant: changing } = await tenantWithUpdate();
    await drift.record({ checkedAt: later(), inSync: [], drifted: [finding(changing.id)], unreachable: [] });
    expect(await reloadTenant(changing.id)).toMatchObject({ status: 'updating', drift: null });
  });

  it('clears drift when an operation on the tenant succeeds', async () => {
    const tenant = await readyTenant();
    await drift.record({ checkedAt: later(), inSync: [], drifted: [finding(tenant.id)], unreachable: [] });
    const op = await dataSource.transaction(async (tx) => {
      const current = await tx.getRepository(TenantEntity).findOneByOrFail({ id: tenant.id });
      return service.create(tx, current, 'reconcile', 'op-bob');
    });
    await service.recordOutcome({
      tenantId: tenant.id,
      operationId: op.id,
      status: 'ready',
      outcome: { status: 'succeeded' },
    });
    expect(await reloadTenant(tenant.id)).toMatchObject({ status: 'ready', drift: null });
  });

  it("answers not found for another organisation's operation, on every call", async () => {
    const { op } = await tenantWithDeploy('acme');
    for (const call of [
      service.get(globex, op.id),
      service.cancel(globex, op.id),
      service.retry(globex, op.id),
    ]) {
      expect((await problemOf(call)).message).toBe(`Operation ${op.id} not found`);
    }
    const listed = await service.list(globex, {});
    expect(listed.items.map((o) => o.id)).not.toContain(op.id);
  });

  it('pages through operations newest first without repeating or skipping one', async () => {
    const org = `pages-${randomBytes(3).toString('hex')}`;
    const created = [];
    for (let i = 0; i < 7; i += 1) created.push((await tenantWithDeploy(org)).op.id);
    const caller: Principal = { subject: 'op-pages', roles: ['operator'], orgId: org };
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await service.list(caller, { limit: '3', ...(cursor !== undefined ? { cursor } : {}) });
      seen.push(...page.items.map((o) => o.id));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor !== undefined);
    expect(pages).toBe(3);
    expect(seen).toEqual([...created].reverse());
  });

  it('lists as stuck the unfinished operations without progress for a while, and only those', async () => {
    const quiet = await tenantWithDeploy();
    const busy = await tenantWithDeploy();
    await dataSource.query(`UPDATE operations SET updated_at = now() - interval '1 hour' WHERE id = $1`, [
      quiet.op.id,
    ]);
    const stuck = (await service.list(ops, { stuck: 'true', limit: '200' })).items.map((o) => o.id);
    expect(stuck).toContain(quiet.op.id);
    expect(stuck).not.toContain(busy.op.id);
    const all = await service.list(ops, { stuck: 'true', limit: '200' });
    expect(all.items.every((o) => ['pending', 'running', 'cancelling'].includes(o.status))).toBe(true);
  });

  it('refuses unknown parameters, bad limits, foreign cursors and bad filter values, naming each', async () => {
    const err = await problemOf(
      service.list(acme, { limit: '0', cursor: 'bm90LWEtY3Vyc29y', status: 'sleeping', sort: 'id' }),
    );
    expect(err.details.fields?.map((f) => f.field).sort()).toEqual(['cursor', 'limit', 'sort', 'status']);
  });
});
