import { startTestPlatform, waitFor, type TestPlatform } from '@fedops/testing';
import { ApiClient, type ApiResponse } from './api-client';
import { ApiDocument } from './api-document';
import { newTenant, uniqueDomain } from './factories';

/**
 * Resource providers as ops staff run them through the public API: the built-in sandbox provider,
 * a second one registered beside it, placement of a tenant there (and refusals of a plan nobody
 * offers or a provider without room, before anything is stored), and removal only once it holds
 * nothing. Every answer is checked against the served OpenAPI document.
 */

interface Provider {
  id: string;
  name: string;
  kind: string;
  locations: string[];
  plans: Array<{ name: string }>;
  quotas: Record<string, number>;
  credentialFields: string[];
  lastCheck: { ok: boolean; at: string; message: string } | null;
  usage: { machines: number };
  links: { self: string; test: string };
}
interface Tenant {
  id: string;
  domain: string;
  status: string;
  provider: string;
  placement?: { machineId: string; provider: string; location: string; plan: string; reason: string };
  operation: { id: string };
  error?: string;
}
interface Problem {
  status: number;
  code: string;
  detail: string;
  errors?: Array<{ field: string; message: string }>;
  machines?: Array<{ id: string; name: string; tenantId: string }>;
  refusals?: string[];
}
interface Listed<T> {
  items: T[];
  nextCursor?: string;
}

let env: TestPlatform;
let document: ApiDocument;
let ops: ApiClient;
let operator: ApiClient;

beforeAll(async () => {
  env = await startTestPlatform('providers');
  document = await ApiDocument.fetch(env.apiUrl);
  ops = new ApiClient(env.apiUrl, env.tokens.ops);
  operator = new ApiClient(env.apiUrl, env.tokens.acme);
}, 180_000);

afterAll(async () => {
  await env?.stop();
});

/** The answer, after checking it against the operation of the served document. */
function documented<T>(operationId: string, res: ApiResponse<T>): ApiResponse<T> {
  expect({
    operationId,
    violations: document.answerViolations(document.operation(operationId), res),
  }).toEqual({
    operationId,
    violations: [],
  });
  return res;
}

/** A registration of a sandbox-kind provider (its connection test needs no credentials). */
function sandboxRegistration(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    kind: 'sandbox',
    credentials: {},
    locations: ['local'],
    plans: [
      { name: 'small', vcpus: 1, memoryMiB: 1024, diskGiB: 10 },
      { name: 'medium', vcpus: 2, memoryMiB: 2048, diskGiB: 20 },
    ],
    image: 'sandbox',
    ...extra,
  };
}

async function register(body: Record<string, unknown>, headers?: Record<string, string>): Promise<Provider> {
  const res = documented('registerProvider', await ops.post<Provider>('/v1/providers', body, headers));
  expect(res.status).toBe(201);
  return res.body;
}

async function waitForStatus(id: string, status: string): Promise<Tenant> {
  return waitFor(
    async () => {
      const res = await operator.get<Tenant>(`/v1/tenants/${id}`);
      if (res.body.status === 'failed') throw new Error(`tenant failed: ${res.body.error ?? '(no error)'}`);
      return res.body.status === status ? res.body : undefined;
    },
    { description: `tenant ${id} to be ${status}`, timeoutMs: 180_000, intervalMs: 250 },
  );
}

/** Every operation id ops staff can list now. */
async function operationIds(): Promise<string[]> {
  const res = await ops.get<Listed<{ id: string }>>('/v1/operations?limit=200');
  expect(res.status).toBe(200);
  return res.body.items.map((o) => o.id).sort();
}

describe('resource providers through the public API', () => {
  it('lists the built-in sandbox provider, which the provisioner registers at boot, without credentials', async () => {
    const list = documented('listProviders', await ops.get<Listed<Provider>>('/v1/providers'));
    expect(list.status).toBe(200);
    const sandbox = list.body.items.find((p) => p.name === 'sandbox');
    expect(sandbox).toMatchObject({
      kind: 'sandbox',
      locations: ['local'],
      credentialFields: [],
      lastCheck: { ok: true, message: 'connected' },
    });
    expect(sandbox?.plans.map((p) => p.name)).toEqual(expect.arrayContaining(['small', 'medium', 'large']));
    expect(list.body.items.every((p) => !('credentials' in p))).toBe(true);

    const byName = documented('getProvider', await ops.get<Provider>('/v1/providers/sandbox'));
    const byId = documented('getProvider', await ops.get<Provider>(`/v1/providers/${sandbox?.id ?? ''}`));
    expect([byName.status, byId.status]).toEqual([200, 200]);
    expect(byId.body).toEqual(byName.body);
    expect(byName.body.links.self).toBe(`/v1/providers/${byName.body.id}`);

    const others = documented('listProviders', await ops.get<Listed<Provider>>('/v1/providers?kind=hetzner'));
    expect(others.body.items.filter((p) => p.name === 'sandbox')).toEqual([]);
    const missing = documented('getProvider', await ops.get<Problem>('/v1/providers/no-such-provider'));
    expect({ status: missing.status, code: missing.body.code }).toEqual({ status: 404, code: 'NOT_FOUND' });
    const notARef = documented('getProvider', await ops.get<Problem>('/v1/providers/Not_A_Name'));
    expect(notARef.status).toBe(404);
  });

  it('runs the connection test again on request and records it', async () => {
    const before = (await ops.get<Provider>('/v1/providers/sandbox')).body;
    const tested = documented(
      'testProvider',
      await ops.post<Provider>('/v1/providers/sandbox/test', undefined),
    );
    expect(tested.status).toBe(200);
    expect(tested.body.lastCheck).toMatchObject({ ok: true, message: 'connected' });
    expect(Date.parse(tested.body.lastCheck?.at ?? '')).toBeGreaterThanOrEqual(
      Date.parse(before.lastCheck?.at ?? ''),
    );
  });

  it('refuses a bad registration with a 400 naming every bad field, echoing no credential', async () => {
    const secret = 'hcloud-e2e-credential-that-must-never-be-echoed';
    const res = documented(
      'registerProvider',
      await ops.post<Problem>('/v1/providers', {
        name: 'X',
        kind: 'sandbox',
        credentials: { token: secret },
        locations: [],
        plans: [{ name: 'small', vcpus: 0, memoryMiB: 1024, diskGiB: 10 }],
        colour: 'blue',
      }),
    );
    expect({ status: res.status, code: res.body.code }).toEqual({ status: 400, code: 'VALIDATION_FAILED' });
    expect((res.body.errors ?? []).map((e) => e.field).sort()).toEqual(
      ['colour', 'credentials.token', 'image', 'locations', 'name', 'plans[0].vcpus'].sort(),
    );
    expect(JSON.stringify(res.body)).not.toContain(secret);

    const unknownKind = documented(
      'registerProvider',
      await ops.post<Problem>('/v1/providers', sandboxRegistration('aws-main', { kind: 'aws' })),
    );
    expect(unknownKind.body.errors).toEqual([
      { field: 'kind', message: 'must be one of sandbox, proxmox, hetzner, digitalocean' },
    ]);
    // A location the provider does not offer: its connection test says which are valid.
    const elsewhere = documented(
      'registerProvider',
      await ops.post<Problem>('/v1/providers', sandboxRegistration('sandbox-mars', { locations: ['mars'] })),
    );
    expect({ status: elsewhere.status, errors: elsewhere.body.errors }).toEqual({
      status: 400,
      errors: [{ field: 'locations[0]', message: '"mars" is not offered by this provider; valid: local' }],
    });
    const names = (await ops.get<Listed<Provider>>('/v1/providers')).body.items.map((p) => p.name);
    expect(names).not.toContain('sandbox-mars');
  });

  it('refuses a plan no provider offers, or an unknown provider, with a 400 listing the valid ones', async () => {
    const before = await operationIds();
    const plan = documented(
      'createTenant',
      await operator.post<Problem>('/v1/tenants', {
        ...newTenant({ apps: ['gotosocial'] }),
        plan: 'gigantic',
      }),
    );
    expect({ status: plan.status, fields: plan.body.errors?.map((e) => e.field) }).toEqual({
      status: 400,
      fields: ['plan'],
    });
    expect(plan.body.errors?.[0]?.message).toMatch(
      /^is not offered here; valid: .*\blarge\b.*\bmedium\b.*\bsmall\b/,
    );

    const provider = documented(
      'createTenant',
      await operator.post<Problem>('/v1/tenants', {
        ...newTenant({ apps: ['gotosocial'] }),
        placement: { provider: 'nowhere' },
      }),
    );
    expect({ status: provider.status, fields: provider.body.errors?.map((e) => e.field) }).toEqual({
      status: 400,
      fields: ['placement.provider'],
    });
    expect(provider.body.errors?.[0]?.message).toMatch(/valid: .*\bsandbox\b/);
    const location = documented(
      'createTenant',
      await operator.post<Problem>('/v1/tenants', {
        ...newTenant({ apps: ['gotosocial'] }),
        placement: { location: 'atlantis' },
      }),
    );
    expect(location.body.errors).toEqual([
      { field: 'placement.location', message: expect.stringMatching(/valid: .*\blocal\b/) as unknown },
    ]);
    const kind = documented(
      'createTenant',
      await operator.post<Problem>('/v1/tenants', {
        ...newTenant({ apps: ['gotosocial'] }),
        provider: 'hetzner',
      }),
    );
    expect(kind.body.errors?.map((e) => e.field)).toEqual(['provider']);
    expect(await operationIds()).toEqual(before);
  });

  it('answers 409 before storing anything when the named provider has no room (quota of 0 machines)', async () => {
    const full = await register(sandboxRegistration('sandbox-full', { quotas: { machines: 0 } }));
    expect(full.quotas).toEqual({ machines: 0 });
    const before = await operationIds();
    const domain = uniqueDomain('full');
    const body = { ...newTenant({ apps: ['gotosocial'], domain }), placement: { provider: 'sandbox-full' } };
    const res = documented('createTenant', await operator.post<Problem>('/v1/tenants', body));
    expect({ status: res.status, code: res.body.code }).toEqual({ status: 409, code: 'CONFLICT' });
    expect(res.body.detail).toMatch(
      /^No provider has room for a small machine: sandbox-full: quota of 0 machines reached/,
    );
    expect(res.body.refusals).toEqual(['sandbox-full: quota of 0 machines reached']);

    expect(await operationIds()).toEqual(before);
    const tenants = (await operator.get<Listed<Tenant>>('/v1/tenants?limit=200')).body.items;
    expect(tenants.filter((t) => t.domain === domain)).toEqual([]);
    const removed = documented('removeProvider', await ops.delete<Provider>('/v1/providers/sandbox-full'));
    expect({ status: removed.status, name: removed.body.name }).toEqual({
      status: 200,
      name: 'sandbox-full',
    });
  });

  it('places a tenant on a second sandbox provider, which cannot be removed until the tenant is gone', async () => {
    const key = `register-sandbox-b-${Date.now()}`;
    // Room for one machine: once the tenant's is made, a new placement there is refused.
    const registration = sandboxRegistration('sandbox-b', { quotas: { machines: 1 } });
    const created = await ops.post<Provider>('/v1/providers', registration, { 'idempotency-key': key });
    documented('registerProvider', created);
    expect(created.status).toBe(201);
    const b = created.body;
    expect(created.headers.get('location')).toBe(`/v1/providers/${b.id}`);
    expect(b).toMatchObject({
      name: 'sandbox-b',
      kind: 'sandbox',
      credentialFields: [],
      usage: { machines: 0 },
    });
    expect(b.lastCheck).toMatchObject({ ok: true });
    expect('credentials' in b).toBe(false);
    // The same request again with its key gets the first answer; without it, the name is taken.
    const replayed = await ops.post<Provider>('/v1/providers', registration, { 'idempotency-key': key });
    expect({ status: replayed.status, id: replayed.body.id }).toEqual({ status: 201, id: b.id });
    const again = documented('registerProvider', await ops.post<Problem>('/v1/providers', registration));
    expect({ status: again.status, detail: again.body.detail }).toEqual({
      status: 409,
      detail: 'A provider named "sandbox-b" is already registered',
    });
    const listed = (await ops.get<Listed<Provider>>('/v1/providers')).body.items.map((p) => p.name);
    expect(listed).toEqual(expect.arrayContaining(['sandbox', 'sandbox-b']));

    const tenantRequest = {
      ...newTenant({ apps: ['gotosocial'] }),
      plan: 'small',
      placement: { provider: 'sandbox-b' },
    };
    const tenantKey = { 'idempotency-key': `tenant-on-sandbox-b-${Date.now()}` };
    const asked = await operator.post<Tenant>('/v1/tenants', tenantRequest, tenantKey);
    documented('createTenant', asked);
    expect(asked.status).toBe(202);
    expect(asked.body.placement).toMatchObject({ provider: 'sandbox-b', location: 'local', plan: 'small' });
    expect(asked.body.placement?.reason).toMatch(/provider sandbox-b as asked/);
    expect(asked.body.provider).toBe('sandbox');
    const tenant = await waitForStatus(asked.body.id, 'ready');
    expect(tenant.placement).toEqual(asked.body.placement);

    const machines = documented(
      'listMachines',
      await ops.get<Listed<{ machineId: string; tenantId: string; providerId: string; location: string }>>(
        '/v1/machines',
      ),
    );
    expect(machines.body.items.filter((m) => m.tenantId === tenant.id)).toEqual([
      expect.objectContaining({
        machineId: tenant.placement?.machineId,
        providerId: b.id,
        location: 'local',
      }),
    ]);
    const holding = (await ops.get<Provider>('/v1/providers/sandbox-b')).body;
    expect(holding.usage.machines).toBe(1);
    // The quota is used up now, yet a replay of the request gets its first answer: it is not placed again.
    const replay = await operator.post<Tenant>('/v1/tenants', tenantRequest, tenantKey);
    expect({ status: replay.status, id: replay.body.id, placement: replay.body.placement }).toEqual({
      status: 202,
      id: tenant.id,
      placement: tenant.placement,
    });
    const full = documented(
      'createTenant',
      await operator.post<Problem>('/v1/tenants', { ...tenantRequest, domain: uniqueDomain('second') }),
    );
    expect({ status: full.status, refusals: full.body.refusals }).toEqual({
      status: 409,
      refusals: ['sandbox-b: quota of 1 machines reached'],
    });

    const refused = documented('removeProvider', await ops.delete<Problem>('/v1/providers/sandbox-b'));
    expect({ status: refused.status, code: refused.body.code }).toEqual({ status: 409, code: 'CONFLICT' });
    expect(refused.body.detail).toContain(`tenant ${tenant.id}`);
    expect(refused.body.machines).toEqual([
      expect.objectContaining({ id: tenant.placement?.machineId, tenantId: tenant.id }),
    ]);
    expect((await ops.get('/v1/providers/sandbox-b')).status).toBe(200);

    expect((await operator.delete(`/v1/tenants/${tenant.id}`)).status).toBe(202);
    await waitForStatus(tenant.id, 'deleted');
    const removed = documented('removeProvider', await ops.delete<Provider>(`/v1/providers/${b.id}`));
    expect({ status: removed.status, id: removed.body.id }).toEqual({ status: 200, id: b.id });
    expect((await ops.get('/v1/providers/sandbox-b')).status).toBe(404);
    expect((await ops.delete('/v1/providers/sandbox-b')).status).toBe(404);
  });

  it('is for ops staff only: operators are refused every providers route', async () => {
    const calls: Array<[string, string, unknown]> = [
      ['GET', '/v1/providers', undefined],
      ['GET', '/v1/providers/sandbox', undefined],
      ['POST', '/v1/providers', sandboxRegistration('sandbox-operator')],
      ['POST', '/v1/providers/sandbox/test', undefined],
      ['DELETE', '/v1/providers/sandbox', undefined],
    ];
    for (const [method, path, body] of calls) {
      const res = await operator.request<Problem>(method, path, body !== undefined ? { body } : {});
      expect({ method, path, status: res.status }).toEqual({ method, path, status: 403 });
    }
    expect((await ops.get('/v1/providers/sandbox')).status).toBe(200);
  });
});
