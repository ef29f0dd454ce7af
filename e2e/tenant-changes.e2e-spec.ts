import { Resolver } from 'node:dns/promises';
import { appHostnames } from '@fedops/catalog';
import type { AppSelection } from '@fedops/contracts';
import { startTestPlatform, testInfra, type TestPlatform } from '@fedops/testing';
import { ApiClient, type ApiResponse } from './api-client';
import { newTenant } from './factories';
import { waitForTenantStatus } from './tenant-status';
import { front } from './machine-front';

/**
 * An operator changes a running tenant's apps through PATCH /v1/tenants/{id}: a dry run first,
 * then an update operation that adds Matrix on the machine the tenant has, a removal that needs
 * confirmation, and a tenant whose deploy was cancelled deployed again with changed apps. Every
 * change names the version it was made against (If-Match).
 */

interface Tenant {
  id: string;
  domain: string;
  status: string;
  apps: Array<{ app: string; options: Record<string, unknown>; url: string }>;
  operation: { id: string };
  error?: string;
}
interface Operation {
  id: string;
  kind: string;
  status: string;
  change?: { added: string[]; removed: string[]; changed: string[] };
}
interface Preview {
  dryRun: boolean;
  operation: { kind: string };
  apps: { added: string[]; removed: string[]; changed: string[] };
  configuration: { files: Array<{ path: string; change: string; diff: string }> };
  dns: { added: string[]; removed: string[] };
}
interface Problem {
  status: number;
  code: string;
  detail: string;
  errors?: Array<{ field: string; message: string }>;
  operation?: { id: string; kind: string; href: string };
}
interface Machine {
  tenantId: string;
  address: string;
}

let env: TestPlatform;
let acme: ApiClient;
let tenant: Tenant;
let address: string;
const initialApps: AppSelection[] = [
  { app: 'gotosocial', options: {} },
  { app: 'jitsi', options: {} },
];

const waitForStatus = (id: string, status: string): Promise<Tenant> =>
  waitForTenantStatus<Tenant>(acme, id, status);

async function etagOf(id: string): Promise<string> {
  const res = await acme.get<Tenant>(`/v1/tenants/${id}`);
  const etag = res.headers.get('etag');
  if (etag === null) throw new Error(`GET /v1/tenants/${id} answered no ETag`);
  return etag;
}

function patch<T>(id: string, body: unknown, ifMatch?: string, query = ''): Promise<ApiResponse<T>> {
  return acme.request<T>('PATCH', `/v1/tenants/${id}${query}`, {
    body,
    ...(ifMatch !== undefined ? { headers: { 'if-match': ifMatch } } : {}),
  });
}

async function operationsOf(id: string): Promise<Operation[]> {
  return (await acme.get<{ items: Operation[] }>(`/v1/operations?tenant=${id}&limit=100`)).body.items;
}

function resolver(): Resolver {
  const r = new Resolver({ timeout: 2000, tries: 1 });
  r.setServers([`127.0.0.1:${testInfra().powerdns.dnsPort}`]);
  return r;
}

const names = (domain: string, apps: AppSelection[]): Set<string> =>
  new Set(appHostnames(domain, apps).map((h) => h.fqdn));

beforeAll(async () => {
  env = await startTestPlatform('tenant-changes');
  acme = new ApiClient(env.apiUrl, env.tokens.acme);
  const created = await acme.post<Tenant>('/v1/tenants', newTenant({ apps: initialApps }));
  expect(created.status).toBe(202);
  tenant = await waitForStatus(created.body.id, 'ready');
  const fleet = await acme.as(env.tokens.ops).get<{ items: Machine[] }>('/v1/machines');
  const machine = fleet.body.items.find((m) => m.tenantId === tenant.id);
  if (machine === undefined) throw new Error(`no machine for tenant ${tenant.id}`);
  address = machine.address;
}, 360_000);

afterAll(async () => {
  await env?.stop();
});

describe("an operator changes a running tenant's apps", () => {
  it('answers 428 without If-Match and 412 with a stale ETag, and starts nothing', async () => {
    const before = await operationsOf(tenant.id);
    const change = { apps: { add: [{ app: 'matrix' }] } };
    const missing = await patch<Problem>(tenant.id, change);
    expect([missing.status, missing.body.code]).toEqual([428, 'PRECONDITION_REQUIRED']);
    const stale = await patch<Problem>(tenant.id, change, '"not-the-current-version"');
    expect([stale.status, stale.body.code]).toEqual([412, 'PRECONDITION_FAILED']);
    expect(await operationsOf(tenant.id)).toEqual(before);
  });

  it('names the field of a removal of an app the tenant does not have, and refuses adding one it has (409)', async () => {
    const etag = await etagOf(tenant.id);
    const absent = await patch<Problem>(tenant.id, { apps: { remove: ['mastodon'] } }, etag);
    expect([absent.status, absent.body.errors?.map((e) => e.field)]).toEqual([400, ['apps.remove[0]']]);
    const twice = await patch<Problem>(tenant.id, { apps: { add: [{ app: 'jitsi' }] } }, etag);
    expect([twice.status, twice.body.code]).toEqual([409, 'CONFLICT']);
  });

  it('answers a dry run with the diff of the rendered configuration and the DNS names, applying nothing', async () => {
    const etag = await etagOf(tenant.id);
    const before = await operationsOf(tenant.id);
    const res = await patch<Preview>(tenant.id, { apps: { add: [{ app: 'matrix' }] } }, etag, '?dryRun=true');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      dryRun: true,
      operation: { kind: 'update' },
      apps: { added: ['matrix'], removed: [], changed: [] },
    });
    const files = new Map(res.body.configuration.files.map((f) => [f.path, f]));
    expect(files.get('apps/matrix.nix')?.change).toBe('added');
    expect(files.has('apps/gotosocial.nix')).toBe(false);
    // The base module opens Matrix's TURN ports and proxies its names.
    const base = files.get('base.nix');
    expect(base?.change).toBe('changed');
    expect(base?.diff).toMatch(new RegExp(`^\\+.*matrix\\.${tenant.domain.replace(/\./g, '\\.')}`, 'm'));
    const after = names(tenant.domain, [...initialApps, { app: 'matrix', options: {} }]);
    const now = names(tenant.domain, initialApps);
    expect(res.body.dns).toEqual({ added: [...after].filter((n) => !now.has(n)).sort(), removed: [] });
    expect(res.body.dns.added).toContain(`matrix.${tenant.domain}`);

    expect(await etagOf(tenant.id)).toBe(etag);
    expect(await operationsOf(tenant.id)).toEqual(before);
    expect((await acme.get<Tenant>(`/v1/tenants/${tenant.id}`)).body.apps.map((a) => a.app)).toEqual([
      'gotosocial',
      'jitsi',
    ]);
  });

  it('adds Matrix with an update operation on the same machine, refusing a second change meanwhile', async () => {
    const etag = await etagOf(tenant.id);
    const started = await patch<Tenant>(tenant.id, { apps: { add: [{ app: 'matrix' }] } }, etag);
    expect([started.status, started.body.status]).toEqual([202, 'updating']);
    const newEtag = started.headers.get('etag');
    expect(newEtag).not.toBeNull();
    expect(newEtag).not.toBe(etag);
    const operationId = started.body.operation.id;

    const second = await patch<Problem>(tenant.id, { apps: { remove: ['jitsi'] } }, newEtag ?? '*');
    expect([second.status, second.body.code, second.body.operation?.id]).toEqual([
      409,
      'CONFLICT',
      operationId,
    ]);

    const ready = await waitForStatus(tenant.id, 'ready');
    expect(ready.error).toBeUndefined();
    expect(ready.apps.map((a) => a.app)).toEqual(['gotosocial', 'jitsi', 'matrix']);
    const operation = (await acme.get<Operation>(`/v1/operations/${operationId}`)).body;
    expect(operation).toMatchObject({
      kind: 'update',
      status: 'succeeded',
      change: { added: ['matrix'], removed: [], changed: [] },
    });

    const fleet = await acme.as(env.tokens.ops).get<{ items: Machine[] }>('/v1/machines');
    expect(fleet.body.items.filter((m) => m.tenantId === tenant.id).map((m) => m.address)).toEqual([address]);
    const versions = await front(address, `matrix.${tenant.domain}`, 'GET', '/_matrix/client/versions');
    expect(versions.status).toBe(200);
    expect(JSON.parse(versions.body)).toMatchObject({
      versions: expect.arrayContaining([expect.any(String)]),
    });
    expect((await front(address, `gts.${tenant.domain}`, 'GET', '/readyz')).status).toBe(200);
    expect(await resolver().resolve4(`matrix.${tenant.domain}`)).toEqual([address]);
    tenant = ready;
  });

  it('removes an app that holds data only when the request confirms it; its name stops answering and resolving', async () => {
    const etag = await etagOf(tenant.id);
    const unconfirmed = await patch<Problem>(tenant.id, { apps: { remove: ['gotosocial'] } }, etag);
    expect(unconfirmed.status).toBe(400);
    expect(unconfirmed.body.errors).toEqual([
      { field: 'confirmRemoval', message: expect.stringContaining('gotosocial') },
    ]);

    const started = await patch<Tenant>(
      tenant.id,
      { apps: { remove: ['gotosocial'] }, confirmRemoval: ['gotosocial'] },
      etag,
    );
    expect(started.status).toBe(202);
    const ready = await waitForStatus(tenant.id, 'ready');
    expect(ready.apps.map((a) => a.app)).toEqual(['jitsi', 'matrix']);
    expect((await front(address, `gts.${tenant.domain}`, 'GET', '/readyz')).status).toBe(404);
    await expect(resolver().resolve4(`gts.${tenant.domain}`)).rejects.toMatchObject({ code: 'ENOTFOUND' });
    expect((await front(address, `matrix.${tenant.domain}`, 'GET', '/_matrix/client/versions')).status).toBe(
      200,
    );
  });

  it('deploys again a tenant whose deploy was cancelled, with the changed apps', async () => {
    const created = await acme.post<Tenant>('/v1/tenants', newTenant({ apps: ['jitsi'] }));
    expect(created.status).toBe(202);
    const cancel = await acme.post(`/v1/operations/${created.body.operation.id}/cancel`, {});
    expect(cancel.status).toBe(202);
    await waitForStatus(created.body.id, 'failed');

    const etag = await etagOf(created.body.id);
    const started = await patch<Tenant>(created.body.id, { apps: { add: [{ app: 'gotosocial' }] } }, etag);
    expect(started.status).toBe(202);
    expect(started.body.apps.map((a) => a.app)).toEqual(['jitsi', 'gotosocial']);
    const operation = (await acme.get<Operation>(`/v1/operations/${started.body.operation.id}`)).body;
    expect(operation.kind).toBe('deploy');
    const ready = await waitForStatus(created.body.id, 'ready');
    expect(ready.apps.map((a) => a.app)).toEqual(['jitsi', 'gotosocial']);
  });
});
