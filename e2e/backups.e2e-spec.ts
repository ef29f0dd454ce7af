import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  SANDBOX_POSTGRES_BIN_DIR,
  SANDBOX_POSTGRES_SUPERUSER,
  hostLayout,
  sandboxPostgresSocketDir,
} from '@fedops/sandbox-host';
import { Client, Connection } from '@temporalio/client';
import { backupScheduleId, type BackupPolicy } from '@fedops/contracts';
import { signS3Request } from '@fedops/service-kit';
import { startTestPlatform, testInfra, waitFor, type TestPlatform } from '@fedops/testing';
import { ApiClient, readEvents } from './api-client';
import { newTenant } from './factories';
import { front } from './machine-front';
import { sandboxHosts } from './sandbox-state';
import { waitForTenantStatus } from './tenant-status';

/**
 * Backups and restores as an operator drives them: restic runs on the tenant's sandbox machine
 * (through an SSH tunnel to the platform's real S3 server, versitygw) and the stand-in apps keep real
 * data, each item as a file under the app's data path and a row in its database on the machine's
 * PostgreSQL. What the apps serve is compared before the backup and after each restore.
 */

interface Tenant {
  id: string;
  domain: string;
  status: string;
  error?: string;
  backups: { policy: BackupPolicy; lastSucceededAt?: string; lastFailedAt?: string };
}
interface Operation {
  id: string;
  kind: string;
  status: string;
  requestedBy: string;
  steps: Array<{ name: string; status: string }>;
  error?: string;
  backup?: { apps: string[]; reason: string };
  restore?: { snapshotIds: string[]; strategy: string };
}
interface Snapshot {
  id: string;
  app: string;
  reason: string;
  operationId: string;
  paths: string[];
  databases: string[];
  totalBytes: number;
  addedBytes: number;
  files: number;
  protected: boolean;
}
interface Listing {
  count: number;
  sha256: string;
  consistent: boolean;
  stores: { files: { count: number }; database?: { count: number } };
}

const APPS = [
  { app: 'gotosocial', host: 'gts', dataPath: '/var/lib/gotosocial', database: 'gotosocial' },
  { app: 'pixelfed', host: 'pixelfed', dataPath: '/var/lib/pixelfed', database: 'pixelfed' },
] as const;
type AppName = (typeof APPS)[number]['app'];

let env: TestPlatform;
let acme: ApiClient;
let tenant: Tenant;
let address: string;
let fsRoot: string;
let temporal: Connection;

beforeAll(async () => {
  env = await startTestPlatform('backups');
  acme = new ApiClient(env.apiUrl, env.tokens.acme);
  const created = await acme.post<Tenant>('/v1/tenants', newTenant({ apps: APPS.map((a) => a.app) }));
  expect(created.status).toBe(202);
  tenant = await waitForTenantStatus<Tenant>(acme, created.body.id, 'ready');
  const fleet = await acme
    .as(env.tokens.ops)
    .get<{ items: Array<{ tenantId: string; machineId: string; address: string }> }>('/v1/machines');
  const machine = fleet.body.items.find((m) => m.tenantId === tenant.id);
  if (machine === undefined) throw new Error('the tenant has no machine');
  address = machine.address;
  const host = sandboxHosts(env.dataDir).find((h) => h.label === machine.machineId);
  if (host === undefined) throw new Error(`no sandbox machine ${machine.machineId}`);
  fsRoot = hostLayout(join(env.dataDir, 'sandbox'), host.name).rootDir;
}, 300_000);

afterAll(async () => {
  await temporal?.close();
  await env?.stop();
});

/** Runs the tenant's backup schedule now, as Temporal would at its next time. */
async function triggerSchedule(): Promise<void> {
  const { address, namespace } = testInfra().temporal;
  temporal ??= await Connection.connect({ address });
  await new Client({ connection: temporal, namespace }).schedule
    .getHandle(backupScheduleId(tenant.id))
    .trigger();
}

/** The operation of the next scheduled backup, once it has ended. */
async function nextScheduledBackup(known: Set<string>): Promise<Operation> {
  const op = await waitFor(
    async () => {
      const list = await acme.get<{ items: Operation[] }>(
        `/v1/operations?tenant=${tenant.id}&kind=backup&limit=200`,
      );
      return list.body.items.find((o) => o.requestedBy === 'schedule' && !known.has(o.id));
    },
    { description: 'a scheduled backup operation', timeoutMs: 60_000, intervalMs: 250 },
  );
  return finished(op.id);
}

const spec = (app: AppName) => APPS.find((a) => a.app === app)!;
const fqdn = (app: AppName): string => `${spec(app).host}.${tenant.domain}`;

async function addItems(app: AppName, n: number, label: string): Promise<void> {
  for (let i = 0; i < n; i++) {
    const res = await front(address, fqdn(app), 'POST', '/_fedops/standin/items', {
      body: { label, i, filler: 'x'.repeat(1000 * (i + 1)) },
    });
    expect([app, res.status]).toEqual([app, 201]);
  }
}

async function listing(app: AppName): Promise<Listing> {
  const res = await front(address, fqdn(app), 'GET', '/_fedops/standin/items');
  expect([app, res.status]).toEqual([app, 200]);
  return JSON.parse(res.body) as Listing;
}

/** Deletes an app's data on the machine, files and rows, as a mistake or a broken disk would. */
function destroyData(app: AppName): void {
  rmSync(join(fsRoot, spec(app).dataPath, 'standin-items'), { recursive: true, force: true });
  execFileSync(join(SANDBOX_POSTGRES_BIN_DIR, 'psql'), [
    '-h',
    sandboxPostgresSocketDir(fsRoot),
    '-U',
    SANDBOX_POSTGRES_SUPERUSER,
    '-d',
    spec(app).database,
    '-v',
    'ON_ERROR_STOP=1',
    '-c',
    'DELETE FROM standin_items',
  ]);
}

async function finished(operationId: string): Promise<Operation> {
  return waitFor(
    async () => {
      const op = (await acme.get<Operation>(`/v1/operations/${operationId}`)).body;
      return ['succeeded', 'failed', 'cancelled'].includes(op.status) ? op : undefined;
    },
    { description: `operation ${operationId} to end`, timeoutMs: 180_000, intervalMs: 250 },
  );
}

async function snapshots(query = ''): Promise<Snapshot[]> {
  const res = await acme.get<{ items: Snapshot[] }>(`/v1/tenants/${tenant.id}/snapshots${query}`);
  expect(res.status).toBe(200);
  return res.body.items;
}

describe('backups and restores', () => {
  let before: Record<AppName, Listing>;
  let taken: Snapshot[];

  it('takes one snapshot per app on the machine: its data path and a dump of its database', async () => {
    await addItems('gotosocial', 6, 'before');
    await addItems('pixelfed', 4, 'before');
    before = { gotosocial: await listing('gotosocial'), pixelfed: await listing('pixelfed') };
    expect(before.gotosocial).toMatchObject({ count: 6, consistent: true });
    expect(before.pixelfed).toMatchObject({ count: 4, consistent: true });
    expect(await snapshots()).toEqual([]);

    const started = await acme.post<Operation>(`/v1/tenants/${tenant.id}/backups`, {});
    expect(started.status).toBe(202);
    expect(started.headers.get('location')).toBe(`/v1/operations/${started.body.id}`);
    expect(started.body).toMatchObject({
      kind: 'backup',
      backup: { apps: ['gotosocial', 'pixelfed'], reason: 'manual' },
    });
    const op = await finished(started.body.id);
    expect([op.status, op.error]).toEqual(['succeeded', undefined]);
    // The tenant kept running as it was.
    expect((await acme.get<Tenant>(`/v1/tenants/${tenant.id}`)).body.status).toBe('ready');

    taken = await snapshots();
    expect(taken.map((s) => s.app).sort()).toEqual(['gotosocial', 'pixelfed']);
    for (const s of taken) {
      expect(s).toMatchObject({
        reason: 'manual',
        operationId: op.id,
        paths: [spec(s.app as AppName).dataPath],
        databases: [spec(s.app as AppName).database],
        protected: false,
      });
      expect(s.id).toMatch(/^[0-9a-f]{64}$/);
      // The items' files (several KiB) and the dump.
      expect(s.totalBytes).toBeGreaterThan(10_000);
      expect(s.addedBytes).toBeGreaterThan(0);
    }
    // Read from the repository again: the same snapshots.
    expect((await snapshots('?refresh=true')).map((s) => s.id).sort()).toEqual(taken.map((s) => s.id).sort());
    expect((await snapshots('?app=pixelfed')).map((s) => s.app)).toEqual(['pixelfed']);
  });

  it('restores safely (new location, verified, swapped): what the app serves is what it served at the backup', async () => {
    await addItems('gotosocial', 2, 'after the backup');
    destroyData('gotosocial');
    expect((await listing('gotosocial')).count).toBe(0);

    const snapshot = taken.find((s) => s.app === 'gotosocial')!;
    const started = await acme.post<Operation>(`/v1/tenants/${tenant.id}/restores`, {
      snapshotIds: [snapshot.id],
      strategy: 'safe',
    });
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({
      kind: 'restore',
      restore: { snapshotIds: [snapshot.id], strategy: 'safe' },
    });
    expect((await acme.get<Tenant>(`/v1/tenants/${tenant.id}`)).body.status).toBe('restoring');
    const op = await finished(started.body.id);
    expect([op.status, op.error]).toEqual(['succeeded', undefined]);
    expect((await acme.get<Tenant>(`/v1/tenants/${tenant.id}`)).body.status).toBe('ready');

    // Files and rows as at the backup: the items written after it are gone, the others back.
    const restored = await listing('gotosocial');
    expect(restored).toMatchObject({ count: 6, sha256: before.gotosocial.sha256, consistent: true });
    expect(restored.stores.database?.count).toBe(6);
    // The other app was not touched.
    expect((await listing('pixelfed')).sha256).toBe(before.pixelfed.sha256);
  });

  it('restores in place after a pre-restore snapshot of the live data, which retention keeps', async () => {
    await addItems('pixelfed', 1, 'after the backup');
    const live = await listing('pixelfed');
    const snapshot = taken.find((s) => s.app === 'pixelfed')!;
    const started = await acme.post<Operation>(`/v1/tenants/${tenant.id}/restores`, {
      snapshotIds: [snapshot.id],
      strategy: 'in-place',
    });
    expect(started.status).toBe(202);
    const op = await finished(started.body.id);
    expect([op.status, op.error]).toEqual(['succeeded', undefined]);
    expect(await listing('pixelfed')).toMatchObject({
      count: 4,
      sha256: before.pixelfed.sha256,
      consistent: true,
    });

    const preRestore = (await snapshots('?reason=pre-restore')).filter((s) => s.operationId === op.id);
    expect(preRestore).toEqual([expect.objectContaining({ app: 'pixelfed', protected: true })]);

    // The pre-restore snapshot holds the data as it was before the restore: restoring it goes back.
    const back = await acme.post<Operation>(`/v1/tenants/${tenant.id}/restores`, {
      snapshotIds: [preRestore[0]!.id],
      strategy: 'safe',
    });
    expect((await finished(back.body.id)).status).toBe('succeeded');
    expect(await listing('pixelfed')).toMatchObject({ count: 5, sha256: live.sha256, consistent: true });
  });

  it('announces snapshots and restores as events on the tenant', async () => {
    const events = await readEvents(
      `${env.apiUrl}/v1/tenants/${tenant.id}/events`,
      env.tokens.acme,
      (e) =>
        e.event === 'backup.restored' && (e.data['data'] as { strategy?: string }).strategy === 'in-place',
      20_000,
    );
    const kinds = events.map((e) => e.event);
    expect(kinds).toEqual(expect.arrayContaining(['backup.snapshot.taken', 'backup.restored']));
    // Never the repository password or the storage's keys.
    const text = JSON.stringify(events);
    expect(text).not.toMatch(/RESTIC_PASSWORD|AWS_SECRET_ACCESS_KEY/);
  });

  it('refuses bad requests with a problem naming the field, starting nothing', async () => {
    const operationsBefore = (
      await acme.get<{ items: unknown[] }>(`/v1/operations?tenant=${tenant.id}&limit=200`)
    ).body.items.length;
    const unknown = await acme.post<{ code: string; errors?: Array<{ field: string }> }>(
      `/v1/tenants/${tenant.id}/restores`,
      { snapshotIds: ['f'.repeat(64)], strategy: 'safe' },
    );
    expect([unknown.status, unknown.body.code]).toEqual([422, 'INVALID_REFERENCE']);
    const strategy = await acme.post<{ errors: Array<{ field: string }> }>(
      `/v1/tenants/${tenant.id}/restores`,
      {
        snapshotIds: [taken[0]!.id],
        strategy: 'overwrite-everything',
      },
    );
    expect([strategy.status, strategy.body.errors.map((e) => e.field)]).toEqual([400, ['strategy']]);
    // Two snapshots of one app (its manual and its pre-restore one).
    const pixelfed = await snapshots('?app=pixelfed');
    expect(pixelfed.length).toBeGreaterThanOrEqual(2);
    const twice = await acme.post<{ errors: Array<{ field: string }> }>(`/v1/tenants/${tenant.id}/restores`, {
      snapshotIds: pixelfed.slice(0, 2).map((s) => s.id),
      strategy: 'safe',
    });
    expect([twice.status, twice.body.errors.map((e) => e.field)]).toEqual([400, ['snapshotIds']]);
    const foreignApp = await acme.post<{ errors: Array<{ field: string }> }>(
      `/v1/tenants/${tenant.id}/backups`,
      {
        apps: ['mastodon'],
      },
    );
    expect([foreignApp.status, foreignApp.body.errors.map((e) => e.field)]).toEqual([400, ['apps[0]']]);
    // Another organisation's tenant does not exist for them.
    const globex = await acme.as(env.tokens.globex).get(`/v1/tenants/${tenant.id}/snapshots`);
    expect(globex.status).toBe(404);
    expect(
      (await acme.get<{ items: unknown[] }>(`/v1/operations?tenant=${tenant.id}&limit=200`)).body.items,
    ).toHaveLength(operationsBefore);
  });

  it('backs up on its schedule, then applies retention: per app what the policy keeps, and every protected snapshot', async () => {
    expect((await acme.get<Tenant>(`/v1/tenants/${tenant.id}`)).body.backups.policy.intervalHours).toBe(0);
    const policy: BackupPolicy = {
      intervalHours: 24,
      retention: { keepLast: 1 },
      checkIntervalDays: 1,
      checkReadDataPercent: 100,
    };
    const keepsNothing = await acme.request<{ errors: Array<{ field: string; message: string }> }>(
      'PUT',
      `/v1/tenants/${tenant.id}/backup-policy`,
      { body: { ...policy, retention: {} } },
    );
    expect([keepsNothing.status, keepsNothing.body.errors[0]?.message]).toEqual([
      400,
      expect.stringContaining('keeps nothing'),
    ]);
    const set = await acme.request<BackupPolicy>('PUT', `/v1/tenants/${tenant.id}/backup-policy`, {
      body: policy,
    });
    expect([set.status, set.body]).toEqual([200, policy]);
    expect((await acme.get<BackupPolicy>(`/v1/tenants/${tenant.id}/backup-policy`)).body).toEqual(policy);

    const before = await snapshots();
    const protectedBefore = before.filter((s) => s.protected).map((s) => s.id);
    expect(protectedBefore.length).toBeGreaterThanOrEqual(1);
    const known = new Set(
      (await acme.get<{ items: Operation[] }>(`/v1/operations?tenant=${tenant.id}&limit=200`)).body.items.map(
        (o) => o.id,
      ),
    );
    await triggerSchedule();
    const op = await nextScheduledBackup(known);
    expect([op.status, op.error, op.backup]).toEqual([
      'succeeded',
      undefined,
      { apps: ['gotosocial', 'pixelfed'], reason: 'scheduled' },
    ]);
    expect(op.steps.map((s) => `${s.name}:${s.status}`)).toEqual([
      'machine:succeeded',
      'backup:succeeded',
      'retention:succeeded',
    ]);

    // Per app: the scheduled snapshot alone (keepLast 1), and every protected snapshot kept.
    const after = await snapshots('?refresh=true');
    for (const { app } of APPS) {
      const own = after.filter((s) => s.app === app && !s.protected);
      expect([app, own.map((s) => s.reason)]).toEqual([app, ['scheduled']]);
    }
    expect(
      after
        .filter((s) => s.protected)
        .map((s) => s.id)
        .sort(),
    ).toEqual([...protectedBefore].sort());
    // The forgotten snapshots are gone from the repository, not only from the list.
    const gone = before.filter((s) => !s.protected).map((s) => s.id);
    expect(after.map((s) => s.id).filter((id) => gone.includes(id))).toEqual([]);

    const view = (await acme.get<Tenant>(`/v1/tenants/${tenant.id}`)).body;
    expect(Date.parse(view.backups.lastSucceededAt ?? '')).toBeGreaterThan(Date.now() - 120_000);
  });

  it('a scheduled backup that fails is a failed operation, announced, and shown on the tenant', async () => {
    const known = new Set(
      (await acme.get<{ items: Operation[] }>(`/v1/operations?tenant=${tenant.id}&limit=200`)).body.items.map(
        (o) => o.id,
      ),
    );
    const lastGood = (await acme.get<Tenant>(`/v1/tenants/${tenant.id}`)).body.backups.lastSucceededAt;
    // The app's database is gone from the machine: its dump, and so its backup, fails.
    execFileSync(join(SANDBOX_POSTGRES_BIN_DIR, 'psql'), [
      '-h',
      sandboxPostgresSocketDir(fsRoot),
      '-U',
      SANDBOX_POSTGRES_SUPERUSER,
      '-d',
      'postgres',
      '-c',
      'DROP DATABASE pixelfed WITH (FORCE)',
    ]);
    await triggerSchedule();
    const op = await nextScheduledBackup(known);
    expect(op.status).toBe('failed');
    expect(op.error).toMatch(/^The backup failed while taking the apps' snapshots/);
    const view = (await acme.get<Tenant>(`/v1/tenants/${tenant.id}`)).body;
    expect(view.status).toBe('ready');
    expect(view.backups.lastSucceededAt).toBe(lastGood);
    expect(Date.parse(view.backups.lastFailedAt ?? '')).toBeGreaterThan(Date.now() - 120_000);
    const events = await readEvents(
      `${env.apiUrl}/v1/tenants/${tenant.id}/events`,
      env.tokens.acme,
      (e) => e.event === 'tenant.backup.failed',
      20_000,
    );
    const failed = events.find((e) => e.event === 'tenant.backup.failed');
    expect(failed?.data['data']).toMatchObject({ operationId: op.id, scheduled: true });
  });

  it('refuses a restore while another operation runs on the tenant (409 naming it)', async () => {
    const backup = await acme.post<Operation>(`/v1/tenants/${tenant.id}/backups`, { apps: ['gotosocial'] });
    expect(backup.status).toBe(202);
    const restore = await acme.post<{ code: string; operation?: { id: string } }>(
      `/v1/tenants/${tenant.id}/restores`,
      {
        snapshotIds: [taken[0]!.id],
        strategy: 'safe',
      },
    );
    expect([restore.status, restore.body.code, restore.body.operation?.id]).toEqual([
      409,
      'CONFLICT',
      backup.body.id,
    ]);
    expect((await finished(backup.body.id)).status).toBe('succeeded');
  });

  it("keeps a deleted tenant's backups for the grace period (listed, in the storage); purgeBackups deletes them with the tenant", async () => {
    // Another tenant, deleted with its backups.
    const other = await acme.post<Tenant>('/v1/tenants', newTenant({ apps: ['gotosocial'] }));
    await waitForTenantStatus<Tenant>(acme, other.body.id, 'ready');
    const backedUp = await acme.post<Operation>(`/v1/tenants/${other.body.id}/backups`, {});
    expect((await finished(backedUp.body.id)).status).toBe('succeeded');
    expect(await s3Keys(`${other.body.id}/`)).not.toEqual([]);
    const purged = await acme.delete<Tenant>(`/v1/tenants/${other.body.id}?purgeBackups=true`);
    expect(purged.status).toBe(202);
    await waitForTenantStatus<Tenant>(acme, other.body.id, 'deleted');
    expect(await s3Keys(`${other.body.id}/`)).toEqual([]);

    // This one, deleted as usual: its snapshots stay, listed and in the storage.
    const kept = (await snapshots()).map((s) => s.id).sort();
    expect((await acme.delete<Tenant>(`/v1/tenants/${tenant.id}`)).status).toBe(202);
    await waitForTenantStatus<Tenant>(acme, tenant.id, 'deleted');
    expect((await snapshots()).map((s) => s.id).sort()).toEqual(kept);
    const objects = await s3Keys(`${tenant.id}/snapshots/`);
    expect(objects.map((k) => k.split('/').pop()).sort()).toEqual(expect.arrayContaining(kept));
    // Purging after the fact is refused, saying when they go.
    const late = await acme.delete<{ code: string; detail: string }>(
      `/v1/tenants/${tenant.id}?purgeBackups=true`,
    );
    expect([late.status, late.body.code]).toEqual([409, 'CONFLICT']);
  });
});

/** The keys under `prefix` in the platform's S3 bucket, listed with its keys. */
async function s3Keys(prefix: string): Promise<string[]> {
  const s3 = testInfra().s3;
  const url = `${s3.endpoint}/${s3.bucket}?list-type=2&prefix=${encodeURIComponent(prefix)}`;
  const res = await fetch(url, { headers: signS3Request({ method: 'GET', url }, s3, new Date()) });
  expect(res.status).toBe(200);
  const body = await res.text();
  return [...body.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1] ?? '');
}
