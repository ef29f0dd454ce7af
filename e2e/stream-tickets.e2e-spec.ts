import { startTestPlatform, waitFor, type TestPlatform } from '@fedops/testing';
import { ApiClient, readEvents } from './api-client';
import { newTenant } from './factories';

interface Tenant {
  id: string;
  status: string;
}
interface Ticket {
  ticket: string;
  expiresAt: string;
  url: string;
}

let env: TestPlatform;
let api: ApiClient;
let tenant: Tenant;
let other: Tenant;

beforeAll(async () => {
  env = await startTestPlatform('tickets');
  api = new ApiClient(env.apiUrl, env.tokens.acme);
  tenant = (await api.post<Tenant>('/v1/tenants', newTenant({ apps: ['gotosocial'] }))).body;
  other = (await api.post<Tenant>('/v1/tenants', newTenant({ apps: ['gotosocial'] }))).body;
  for (const t of [tenant, other]) {
    await waitFor(async () => (await api.get<Tenant>(`/v1/tenants/${t.id}`)).body.status === 'ready', {
      description: `tenant ${t.id} to be ready`,
      timeoutMs: 120_000,
      intervalMs: 250,
    });
  }
}, 300_000);

afterAll(async () => {
  for (const t of [tenant, other]) if (t !== undefined) await api.delete(`/v1/tenants/${t.id}`);
  await env?.stop();
});

describe('event stream tickets (EventSource sends no Authorization header)', () => {
  it("opens the tenant's stream with the ticket alone, and resumes after an event with lastEventId", async () => {
    const issued = await api.post<Ticket>(`/v1/tenants/${tenant.id}/events/tickets`, undefined);
    expect(issued.status).toBe(201);
    expect(issued.body.url).toBe(`/v1/tenants/${tenant.id}/events?ticket=${issued.body.ticket}`);
    const expiresIn = Date.parse(issued.body.expiresAt) - Date.now();
    expect(expiresIn).toBeGreaterThan(30_000);
    expect(expiresIn).toBeLessThanOrEqual(60_000);

    const events = await readEvents(
      `${env.apiUrl}${issued.body.url}`,
      undefined,
      (e) => e.event === 'deployment.activated',
      20_000,
    );
    expect(events.every((e) => (e.data['tenantId'] as string) === tenant.id)).toBe(true);
    const first = events[0]!;
    // The same ticket again (EventSource reconnects with the same URL), resuming after the first event.
    const resumed = await readEvents(
      `${env.apiUrl}${issued.body.url}&lastEventId=${first.id}`,
      undefined,
      () => true,
      20_000,
    );
    expect(Number(resumed[0]?.id)).toBeGreaterThan(Number(first.id));
  });

  it('refuses a ticket on another tenant, on any other route, a made-up one, and no credentials at all', async () => {
    const { ticket } = (await api.post<Ticket>(`/v1/tenants/${tenant.id}/events/tickets`, undefined)).body;
    const anon = api.as(undefined);
    const cases: Array<[string, string]> = [
      [`/v1/tenants/${other.id}/events?ticket=${ticket}`, "stream ticket is for another tenant's events"],
      [`/v1/tenants/${tenant.id}?ticket=${ticket}`, 'Missing bearer token'],
      [`/v1/tenants/${tenant.id}/events?ticket=fst_${'A'.repeat(43)}`, 'unknown stream ticket'],
      [`/v1/tenants/${tenant.id}/events?ticket=not-a-ticket`, 'malformed stream ticket'],
      [`/v1/tenants/${tenant.id}/events`, 'Missing bearer token'],
    ];
    for (const [path, detail] of cases) {
      const res = await anon.get<{ status: number; detail: string }>(path);
      expect([path, res.status, res.headers.get('www-authenticate')?.startsWith('Bearer')]).toEqual([
        path,
        401,
        true,
      ]);
      expect(res.body.detail).toContain(detail);
    }
  });

  it("gives no ticket for another organisation's tenant", async () => {
    const res = await api
      .as(env.tokens.globex)
      .post<{ code: string }>(`/v1/tenants/${tenant.id}/events/tickets`, undefined);
    expect([res.status, res.body.code]).toEqual([404, 'NOT_FOUND']);
  });
});
