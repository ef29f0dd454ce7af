import { Resolver } from 'node:dns/promises';
import { startTestPlatform, testInfra, waitFor, type TestPlatform } from '@fedops/testing';
import { ApiClient, readEvents } from './api-client';
import { newTenant } from './factories';
import { namespaces, sandboxHosts } from './sandbox-state';

interface Tenant {
  id: string;
  org: string;
  domain: string;
  status: string;
  apps: Array<{ app: string; url: string }>;
  operation: { id: string };
  error?: string;
}
interface Machine {
  machineId: string;
  tenantId: string;
  address: string;
}

let env: TestPlatform;
let api: ApiClient;

beforeAll(async () => {
  env = await startTestPlatform('lifecycle');
  api = new ApiClient(env.apiUrl, env.tokens.acme);
}, 180_000);

afterAll(async () => {
  await env?.stop();
});

async function waitForStatus(id: string, status: string, timeoutMs = 120_000): Promise<Tenant> {
  return waitFor(
    async () => {
      const res = await api.get<Tenant>(`/v1/tenants/${id}`);
      if (res.body.status === 'failed' && status !== 'failed') {
        throw new Error(`tenant failed: ${res.body.error ?? '(no error)'}`);
      }
      return res.body.status === status ? res.body : undefined;
    },
    { description: `tenant ${id} to be ${status}`, timeoutMs, intervalMs: 250 },
  );
}

function resolver(): Resolver {
  const r = new Resolver({ timeout: 2000, tries: 1 });
  r.setServers([`127.0.0.1:${testInfra().powerdns.dnsPort}`]);
  return r;
}

/** tenant-api's count of deployTenant workflows it really started (a repeated start is not counted). */
async function deployWorkflowsStarted(): Promise<number> {
  const text = await (await fetch(`${env.platform.serviceUrl('tenant-api')}/metrics`)).text();
  const line = text
    .split('\n')
    .find((l) => l.startsWith('fedops_workflow_started_total{workflow="deployTenant"'));
  return line === undefined ? 0 : Number(line.split(' ').pop());
}

/** The network namespace of a sandbox machine (labelled with its machine id), from the provisioner's sandbox state. */
function sandboxNamespaceOf(machineId: string): string | undefined {
  return sandboxHosts(env.dataDir).find((h) => h.label === machineId)?.name;
}

describe('an operator runs a tenant from creation to deletion', () => {
  it('deploys Mastodon on a sandbox machine with DNS, health and backups, then removes every trace but the backups, kept for the grace period', async () => {
    const body = newTenant({
      apps: [{ app: 'mastodon', options: { singleUserMode: true, registrations: 'closed' } }],
    });
    const created = await api.post<Tenant>('/v1/tenants', body);
    expect(created.status).toBe(202);
    expect(created.body.status).toBe('provisioning');
    expect(created.body.org).toBe('acme');
    expect(created.headers.get('location')).toBe(`/v1/tenants/${created.body.id}`);
    const id = created.body.id;

    const ready = await waitForStatus(id, 'ready');
    expect(ready.apps).toEqual([
      {
        app: 'mastodon',
        options: { singleUserMode: true, registrations: 'closed' },
        url: `https://social.${body['domain'] as string}/`,
      },
    ]);

    // The operation, a row recorded in the same transaction as the tenant's status, shows every step done.
    type Operation = {
      kind: string;
      status: string;
      requestedBy: string;
      steps: Array<{ name: string; status: string }>;
    };
    const operation = await api.get<Operation>(`/v1/operations/${ready.operation.id}`);
    expect(operation.status).toBe(200);
    expect(operation.body).toMatchObject({ kind: 'deploy', status: 'succeeded' });
    expect(operation.body.requestedBy).toEqual(expect.any(String));
    expect(operation.body.steps.map((s) => [s.name, s.status])).toEqual([
      ['provision', 'succeeded'],
      ['dns', 'succeeded'],
      ['deploy', 'succeeded'],
      ['backup', 'succeeded'],
    ]);

    // Ops see the machine in the fleet; the record in PowerDNS points at it; the app answers there.
    const fleet = await api.as(env.tokens.ops).get<{ items: Machine[] }>('/v1/machines');
    const machines = fleet.body.items.filter((m) => m.tenantId === id);
    expect(machines).toHaveLength(1);
    const address = machines[0]!.address;
    const machineId = machines[0]!.machineId;
    const fqdn = `social.${body['domain'] as string}`;
    expect(await resolver().resolve4(fqdn)).toEqual([address]);
    // The tenant's zone has the SOA and NS the harness configures, not PowerDNS's placeholder SOA.
    const zone = body['domain'] as string;
    expect(await resolver().resolveSoa(zone)).toMatchObject({
      nsname: 'ns1.fedops.localhost',
      hostmaster: 'hostmaster.fedops.localhost',
    });
    expect((await resolver().resolveNs(zone)).sort()).toEqual([
      'ns1.fedops.localhost',
      'ns2.fedops.localhost',
    ]);
    const health = await fetch(`http://${address}:3000/health`, { headers: { host: fqdn } });
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ app: 'mastodon', status: 'ok' });

    // The tenant's backup repository is set up (restic initialises it with the first backup): its
    // snapshot list answers, empty.
    const snapshots = await api.get<{ items: unknown[] }>(`/v1/tenants/${id}/snapshots`);
    expect([snapshots.status, snapshots.body.items]).toEqual([200, []]);

    // Every step published an event; the stream replays them.
    const events = await readEvents(
      `${env.apiUrl}/v1/tenants/${id}/events`,
      env.tokens.acme,
      (e) =>
        e.event === 'tenant.status.changed' &&
        e.data['data'] !== undefined &&
        (e.data['data'] as { status: string }).status === 'ready',
      20_000,
    );
    expect(events.map((e) => e.event)).toEqual(
      expect.arrayContaining([
        'machine.created',
        'dns.records.applied',
        'deployment.activated',
        'backup.repository.initialised',
        'tenant.status.changed',
      ]),
    );

    // Deletion removes machine, records, deployment and repository.
    const namespace = sandboxNamespaceOf(machineId);
    expect(namespaces()).toContain(namespace);
    const deleted = await api.delete<Tenant>(`/v1/tenants/${id}`);
    expect(deleted.status).toBe(202);
    expect(deleted.body.status).toBe('deleting');
    await waitForStatus(id, 'deleted');
    const fleetAfter = await api.as(env.tokens.ops).get<{ items: Machine[] }>('/v1/machines');
    expect(fleetAfter.body.items.filter((m) => m.tenantId === id)).toEqual([]);
    expect(namespaces()).not.toContain(namespace);
    expect(sandboxNamespaceOf(machineId)).toBeUndefined();
    // The zone is gone: PowerDNS refuses (or knows nothing of) the name; a timeout would not count.
    await expect(resolver().resolve4(fqdn)).rejects.toMatchObject({
      code: expect.stringMatching(/^(EREFUSED|ENOTFOUND|ENODATA)$/),
    });

    // Deleting again is harmless.
    const again = await api.delete<Tenant>(`/v1/tenants/${id}`);
    expect(again.status).toBe(200);
    expect(again.body.status).toBe('deleted');

    // Both operations are kept, newest first; the destroy announced its steps and its end as events.
    type OperationList = { items: Array<{ id: string; kind: string; status: string }> };
    const history = await api.get<OperationList>(`/v1/operations?tenant=${id}`);
    expect(history.body.items.map((o) => [o.kind, o.status])).toEqual([
      ['destroy', 'succeeded'],
      ['deploy', 'succeeded'],
    ]);
    expect(history.body.items[0]?.id).toBe(deleted.body.operation.id);
    const foreign = await api.as(env.tokens.globex).get<OperationList>(`/v1/operations?tenant=${id}`);
    expect(foreign.body.items).toEqual([]);
    const finished = await readEvents(
      `${env.apiUrl}/v1/tenants/${id}/events`,
      env.tokens.acme,
      (e) => e.event === 'operation.finished' && (e.data['data'] as { kind?: string }).kind === 'destroy',
      20_000,
    );
    expect(finished.filter((e) => e.event === 'operation.progress').length).toBeGreaterThanOrEqual(10);
    // The backups are kept for the grace period (30 days by default), restorable meanwhile.
    const retired = finished.find((e) => e.event === 'backup.repository.deleted');
    const retainedUntil = Date.parse(
      (retired?.data['data'] as { retainedUntil?: string }).retainedUntil ?? '',
    );
    expect(retainedUntil - Date.now()).toBeGreaterThan(29 * 24 * 3600_000);
    // A finished operation can be neither cancelled nor retried.
    const cancel = await api.post<{ code: string }>(`/v1/operations/${deleted.body.operation.id}/cancel`, {});
    expect([cancel.status, cancel.body.code]).toEqual([409, 'CONFLICT']);
    const retry = await api.post<{ code: string }>(`/v1/operations/${deleted.body.operation.id}/retry`, {});
    expect([retry.status, retry.body.code]).toEqual([409, 'CONFLICT']);
  });
});

describe('the API refuses bad requests with problem details', () => {
  it('names every bad field of a tenant request', async () => {
    const res = await api.post<{ status: number; code: string; errors: Array<{ field: string }> }>(
      '/v1/tenants',
      {
        domain: 'not a domain',
        apps: [
          { app: 'myspace', options: {} },
          { app: 'mastodon', options: { registrations: 'sometimes', colour: 'blue' } },
          { app: 'pixelfed', options: { maxPhotoSizeKiB: 'lots' } },
        ],
        flavour: 'gold',
      },
    );
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.body.code).toBe('VALIDATION_FAILED');
    expect(res.body.errors.map((e) => e.field).sort()).toEqual(
      [
        'apps[0].app',
        'apps[1].options.colour',
        'apps[1].options.registrations',
        'apps[2].options.maxPhotoSizeKiB',
        'domain',
        'flavour',
      ].sort(),
    );
  });

  it('serves its OpenAPI document without a token', async () => {
    const res = await api
      .as(undefined)
      .get<{ openapi: string; paths: Record<string, unknown> }>('/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toMatch(/^3\./);
    expect(Object.keys(res.body.paths)).toEqual(
      expect.arrayContaining(['/v1/tenants', '/v1/tenants/{id}', '/v1/operations/{id}']),
    );
  });

  it('requires a token and hides other organisations’ tenants', async () => {
    const anonymous = await api.as(undefined).get('/v1/tenants');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer/);

    const created = await api.post<Tenant>('/v1/tenants', newTenant());
    expect(created.status).toBe(202);
    const foreign = await api.as(env.tokens.globex).get(`/v1/tenants/${created.body.id}`);
    expect(foreign.status).toBe(404);
    const foreignOperation = await api
      .as(env.tokens.globex)
      .get(`/v1/operations/${created.body.operation.id}`);
    expect(foreignOperation.status).toBe(404);
    const foreignDelete = await api.as(env.tokens.globex).delete(`/v1/tenants/${created.body.id}`);
    expect(foreignDelete.status).toBe(404);
    const operatorFleet = await api.get('/v1/machines');
    expect(operatorFleet.status).toBe(403);

    await waitForStatus(created.body.id, 'ready');
    await api.delete(`/v1/tenants/${created.body.id}`);
    await waitForStatus(created.body.id, 'deleted');
  });

  it('answers 409 for a domain another live tenant has', async () => {
    const body = newTenant();
    const first = await api.post<Tenant>('/v1/tenants', body);
    expect(first.status).toBe(202);
    const second = await api.as(env.tokens.globex).post<{ code: string }>('/v1/tenants', body);
    expect(second.status).toBe(409);
    expect(second.body.code).toBe('CONFLICT');
    const child = await api
      .as(env.tokens.globex)
      .post<{ code: string; detail: string }>(
        '/v1/tenants',
        newTenant({ domain: `git.${body['domain'] as string}` }),
      );
    expect(child.status).toBe(409);
    expect(child.body.detail).toMatch(/overlaps/);
    await waitForStatus(first.body.id, 'ready');
    await api.delete(`/v1/tenants/${first.body.id}`);
    await waitForStatus(first.body.id, 'deleted');
  });

  it('replays the first answer for a retried POST with the same Idempotency-Key and starts nothing new', async () => {
    const body = newTenant();
    const key = `retry-${Date.now()}`;
    const startsBefore = await deployWorkflowsStarted();
    const first = await api.post<Tenant>('/v1/tenants', body, { 'idempotency-key': key });
    const retry = await api.post<Tenant>('/v1/tenants', body, { 'idempotency-key': key });
    expect(await deployWorkflowsStarted()).toBe(startsBefore + 1);
    expect(first.status).toBe(202);
    expect(retry.status).toBe(202);
    expect(retry.body).toEqual(first.body);
    const list = await api.get<{ items: Tenant[] }>('/v1/tenants');
    expect(list.body.items.filter((t) => t.domain === body['domain'])).toHaveLength(1);

    const reused = await api.post<{ code: string }>('/v1/tenants', newTenant(), { 'idempotency-key': key });
    expect(reused.status).toBe(422);
    expect(reused.body.code).toBe('IDEMPOTENCY_KEY_REUSED');

    await waitForStatus(first.body.id, 'ready');
    await api.delete(`/v1/tenants/${first.body.id}`);
    await waitForStatus(first.body.id, 'deleted');
  });
});
