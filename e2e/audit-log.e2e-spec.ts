import { startTestPlatform, waitFor, type TestPlatform } from '@fedops/testing';
import { ApiClient } from './api-client';
import { newTenant } from './factories';

interface Line {
  at: string;
  org?: string;
  tenantId?: string;
  actor: string;
  action: string;
  target?: string;
  result: string;
  sourceIp?: string;
}
interface Tenant {
  id: string;
  status: string;
  operation: { id: string };
}

let env: TestPlatform;
let api: ApiClient;

beforeAll(async () => {
  env = await startTestPlatform('audit');
  api = new ApiClient(env.apiUrl, env.tokens.acme);
}, 180_000);

afterAll(async () => {
  await env?.stop();
});

async function auditOf(client: ApiClient, query: string, until: (lines: Line[]) => boolean): Promise<Line[]> {
  return waitFor(
    async () => {
      const res = await client.get<{ items: Line[] }>(`/v1/audit?${query}&limit=200`);
      return res.status === 200 && until(res.body.items) ? res.body.items : undefined;
    },
    { description: `audit lines for ${query}`, timeoutMs: 60_000, intervalMs: 250 },
  );
}

describe('audit log', () => {
  it("records who changed a tenant, from where, with the answer and what the platform did, for the tenant's organisation", async () => {
    const created = await api.post<Tenant>('/v1/tenants', newTenant({ apps: ['gotosocial'] }));
    expect(created.status).toBe(202);
    const { id } = created.body;
    await waitFor(
      async () => ((await api.get<Tenant>(`/v1/tenants/${id}`)).body.status === 'ready' ? true : undefined),
      { description: 'the tenant to be ready', timeoutMs: 120_000, intervalMs: 250 },
    );
    // Ops staff delete it: their address is not shown to the organisation.
    expect((await api.as(env.tokens.ops).delete(`/v1/tenants/${id}`)).status).toBe(202);
    // A refused change is a line too, filed under the tenant of the operation it targeted.
    expect((await api.post(`/v1/operations/${created.body.operation.id}/cancel`, undefined)).status).toBe(
      409,
    );

    const lines = await auditOf(
      api,
      `tenant=${id}`,
      (items) =>
        items.some((l) => l.action === 'POST /v1/operations/{id}/cancel') &&
        items.some(
          (l) =>
            l.action === 'operation.finished' &&
            l.result === 'succeeded' &&
            l.target !== created.body.operation.id,
        ),
    );
    const post = lines.find((l) => l.action === 'POST /v1/tenants');
    expect(post).toMatchObject({
      org: 'acme',
      tenantId: id,
      target: id,
      result: '202',
      sourceIp: expect.any(String),
    });
    expect(post?.actor).toEqual(expect.any(String));
    expect(lines.find((l) => l.action === 'POST /v1/operations/{id}/cancel')).toMatchObject({
      org: 'acme',
      target: created.body.operation.id,
      result: '409',
    });
    // Steps starting and ending change nothing: they are on the event stream, not in the audit log.
    expect(lines.map((l) => l.action)).not.toContain('operation.progress');
    const deletion = lines.find((l) => l.action === 'DELETE /v1/tenants/{id}');
    expect(deletion).toMatchObject({ org: 'acme', target: id, result: '202' });
    expect(deletion?.sourceIp).toBeUndefined();
    // What the platform did on the way, as the services announced it.
    expect(lines.map((l) => l.action)).toEqual(
      expect.arrayContaining([
        'machine.created',
        'deployment.activated',
        'operation.finished',
        'machine.destroyed',
      ]),
    );
    expect(lines.find((l) => l.action === 'machine.created')?.actor).toBe('system:provisioner');
    // Newest first.
    const times = lines.map((l) => l.at);
    expect([...times].sort().reverse()).toEqual(times);

    // Ops see the same lines, with their own address; another organisation sees none of them.
    const asOps = await auditOf(api.as(env.tokens.ops), `tenant=${id}`, (items) =>
      items.some((l) => l.action === 'DELETE /v1/tenants/{id}'),
    );
    expect(asOps.find((l) => l.action === 'DELETE /v1/tenants/{id}')?.sourceIp).toEqual(expect.any(String));
    const foreign = await api.as(env.tokens.globex).get<{ items: Line[] }>(`/v1/audit?tenant=${id}`);
    expect(foreign.body.items).toEqual([]);
  });

  it('records a refused change with its answer', async () => {
    const bad = await api.post('/v1/tenants', { domain: 'not a domain', apps: [] });
    expect(bad.status).toBe(400);
    const lines = await auditOf(api, 'action=POST%20%2Fv1%2Ftenants', (items) =>
      items.some((l) => l.result === '400'),
    );
    expect(lines.find((l) => l.result === '400')).toMatchObject({ org: 'acme', actor: expect.any(String) });
  });

  it('names every bad filter', async () => {
    const res = await api.get<{ errors: Array<{ field: string }> }>(
      '/v1/audit?since=yesterday&tenant=x&colour=red',
    );
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e) => e.field).sort()).toEqual(['colour', 'since', 'tenant']);
  });
});
