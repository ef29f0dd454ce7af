import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  SANDBOX_POSTGRES_BIN_DIR,
  SANDBOX_POSTGRES_SUPERUSER,
  hostLayout,
  sandboxPostgresSocketDir,
} from '@fedops/sandbox-host';
import { startTestPlatform, waitFor, type TestPlatform } from '@fedops/testing';
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
}
interface Operation {
  id: string;
  kind: string;
  status: string;
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
  await env?.stop();
});

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
});
