import { Resolver } from 'node:dns/promises';
import { APPS, appHostnames, enabledEndpoints, requireApp, resolveOptions } from '@fedops/catalog';
import { startTestPlatform, testInfra, waitFor, type TestPlatform } from '@fedops/testing';
import { ApiClient } from './api-client';
import { newTenant } from './factories';
import { front } from './machine-front';

interface Tenant {
  id: string;
  domain: string;
  status: string;
  error?: string;
  apps: Array<{ app: string; url: string }>;
}
interface Machine {
  tenantId: string;
  address: string;
}

let env: TestPlatform;
let api: ApiClient;

beforeAll(async () => {
  env = await startTestPlatform('catalog-apps');
  api = new ApiClient(env.apiUrl, env.tokens.acme);
}, 180_000);

afterAll(async () => {
  await env?.stop();
});

describe('the whole catalog on one tenant', () => {
  it('deploys all eight apps on one machine: every http endpoint answers through its nginx, every name resolves to it', async () => {
    const body = newTenant({ apps: APPS.map((a) => a.id) });
    const domain = body['domain'] as string;
    const created = await api.post<Tenant>('/v1/tenants', body);
    expect(created.status).toBe(202);
    const id = created.body.id;
    const ready = await waitFor(
      async () => {
        const res = await api.get<Tenant>(`/v1/tenants/${id}`);
        if (res.body.status === 'failed') throw new Error(`tenant failed: ${res.body.error ?? '(no error)'}`);
        return res.body.status === 'ready' ? res.body : undefined;
      },
      { description: `tenant ${id} with every app to be ready`, timeoutMs: 240_000, intervalMs: 500 },
    );
    expect(ready.apps.map((a) => a.app).sort()).toEqual(APPS.map((a) => a.id).sort());

    const fleet = await api.as(env.tokens.ops).get<{ items: Machine[] }>('/v1/machines');
    const machines = fleet.body.items.filter((m) => m.tenantId === id);
    expect(machines).toHaveLength(1);
    const address = machines[0]!.address;

    const selections = APPS.map((a) => ({ app: a.id, options: {} }));
    const resolver = new Resolver({ timeout: 2000, tries: 1 });
    resolver.setServers([`127.0.0.1:${testInfra().powerdns.dnsPort}`]);
    const names = [...new Set(appHostnames(domain, selections).map((h) => h.fqdn))];
    // Every app host, Matrix's TURN name and the apex that serves .well-known.
    expect(names).toEqual(
      expect.arrayContaining([domain, `turn.${domain}`, `element.${domain}`, `git.${domain}`]),
    );
    for (const name of names) expect([name, await resolver.resolve4(name)]).toEqual([name, [address]]);

    let checked = 0;
    for (const selection of selections) {
      const app = requireApp(selection.app);
      const options = resolveOptions(selection);
      for (const endpoint of enabledEndpoints(app, options)) {
        if (endpoint.kind !== 'http') continue;
        const fqdn = `${String(options[endpoint.subdomainOption])}.${domain}`;
        const answer = await front(address, fqdn, 'GET', endpoint.healthPath);
        expect({ app: app.id, endpoint: endpoint.id, status: answer.status }).toEqual({
          app: app.id,
          endpoint: endpoint.id,
          status: 200,
        });
        checked++;
      }
    }
    expect(checked).toBe(9);
    const wellKnown = await front(address, domain, 'GET', '/.well-known/matrix/server');
    expect(JSON.parse(wellKnown.body)).toEqual({ 'm.server': `matrix.${domain}:443` });

    expect((await api.delete(`/v1/tenants/${id}`)).status).toBe(202);
    await waitFor(
      async () => ((await api.get<Tenant>(`/v1/tenants/${id}`)).body.status === 'deleted' ? true : undefined),
      { description: `tenant ${id} to be deleted`, timeoutMs: 120_000, intervalMs: 500 },
    );
  });
});
