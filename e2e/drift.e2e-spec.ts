import { readlinkSync, renameSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { hostLayout } from '@fedops/sandbox-host';
import { startTestPlatform, waitFor, type TestPlatform } from '@fedops/testing';
import { ApiClient } from './api-client';
import { newTenant } from './factories';
import { front } from './machine-front';
import { sandboxHosts } from './sandbox-state';
import { logLines } from './service-logs';
import { waitForTenantStatus } from './tenant-status';

/**
 * Someone rolls a tenant's machine back by hand, behind fedops' back: the scheduled drift check
 * finds it and says so on the tenant, and a reconcile operation puts the desired configuration back.
 */

interface Tenant {
  id: string;
  domain: string;
  status: string;
  error?: string;
  operation: { id: string };
  placement: { machineId: string };
  drift?: {
    expected: { generation: number; configHash: string };
    found: { generation?: number; configHash?: string };
    message: string;
  };
}

let env: TestPlatform;
let acme: ApiClient;

beforeAll(async () => {
  env = await startTestPlatform('drift', {
    extraEnv: { deployer: { FEDOPS_DRIFT_CHECK_INTERVAL_SECONDS: '2' } },
  });
  acme = new ApiClient(env.apiUrl, env.tokens.acme);
}, 180_000);

afterAll(async () => {
  await env?.stop();
});

/** The system profile folder of the tenant's sandbox machine (its root is a folder of this host). */
function profilesOf(machineId: string): string {
  const host = sandboxHosts(env.dataDir).find((h) => h.label === machineId);
  if (host === undefined) throw new Error(`no sandbox machine ${machineId}`);
  return join(hostLayout(join(env.dataDir, 'sandbox'), host.name).rootDir, 'nix/var/nix/profiles');
}

/** Drift checks the deployer finished after `since` (ISO time). */
function driftChecksSince(since: string): number {
  return logLines(env.platform.logFile('deployer')).filter(
    (e) => e.msg === 'drift checked' && (e.time ?? '') > since,
  ).length;
}

describe('drift', () => {
  it('finds a machine rolled back by hand, shows it on the tenant, and reconcile puts the desired state back', async () => {
    const created = await acme.post<Tenant>('/v1/tenants', newTenant({ apps: ['gotosocial'] }));
    expect(created.status).toBe(202);
    const { id, domain } = created.body;
    await waitForTenantStatus<Tenant>(acme, id, 'ready');
    const etag = (await acme.get<Tenant>(`/v1/tenants/${id}`)).headers.get('etag') ?? '';
    const changed = await acme.request<Tenant>('PATCH', `/v1/tenants/${id}`, {
      body: { apps: { add: [{ app: 'jitsi' }] } },
      headers: { 'if-match': etag },
    });
    expect(changed.status).toBe(202);
    await waitForTenantStatus<Tenant>(acme, id, 'ready');

    // In sync: checks run and find nothing.
    const inSyncFrom = new Date().toISOString();
    await waitFor(() => driftChecksSince(inSyncFrom) >= 2, {
      description: 'two drift checks after the update',
      timeoutMs: 60_000,
      intervalMs: 250,
    });
    expect((await acme.get<Tenant>(`/v1/tenants/${id}`)).body.drift).toBeUndefined();

    // By hand on the machine: back to the first generation (what `nixos-rebuild switch --rollback` does).
    const profiles = profilesOf(created.body.placement.machineId);
    expect(readlinkSync(join(profiles, 'system'))).toBe('system-2-link');
    symlinkSync('system-1-link', join(profiles, 'system.by-hand'));
    renameSync(join(profiles, 'system.by-hand'), join(profiles, 'system'));

    const drifted = await waitFor(
      async () => {
        const t = (await acme.get<Tenant>(`/v1/tenants/${id}`)).body;
        return t.drift !== undefined ? t : undefined;
      },
      { description: 'the drift to show on the tenant', timeoutMs: 60_000, intervalMs: 250 },
    );
    expect(drifted.status).toBe('ready');
    expect(drifted.drift).toMatchObject({ expected: { generation: 2 }, found: { generation: 1 } });
    expect(drifted.drift?.message).toContain(`POST /v1/tenants/${id}/reconcile`);

    const reconcile = await acme.post<Tenant>(`/v1/tenants/${id}/reconcile`, {});
    expect([reconcile.status, reconcile.body.status]).toEqual([202, 'updating']);
    const again = await acme.post<{ code: string }>(`/v1/tenants/${id}/reconcile`, {});
    expect([again.status, again.body.code]).toEqual([409, 'CONFLICT']);
    const ready = await waitForTenantStatus<Tenant>(acme, id, 'ready');
    expect(ready.drift).toBeUndefined();
    const operation = await acme.get<{ kind: string; status: string }>(
      `/v1/operations/${reconcile.body.operation.id}`,
    );
    expect(operation.body).toMatchObject({ kind: 'reconcile', status: 'succeeded' });
    // A new generation with the tenant's apps, both answering from it.
    expect(readlinkSync(join(profiles, 'system'))).toBe('system-3-link');
    const fleet = await acme
      .as(env.tokens.ops)
      .get<{ items: Array<{ tenantId: string; address: string }> }>('/v1/machines');
    const address = fleet.body.items.find((m) => m.tenantId === id)?.address ?? '';
    for (const [host, path] of [
      [`gts.${domain}`, '/readyz'],
      [`meet.${domain}`, '/'],
    ] as const) {
      const res = await front(address, host, 'GET', path);
      expect([host, res.status, (JSON.parse(res.body) as { generation: number }).generation]).toEqual([
        host,
        200,
        3,
      ]);
    }

    // And the checks after it find it in sync.
    const afterFrom = new Date().toISOString();
    await waitFor(() => driftChecksSince(afterFrom) >= 2, {
      description: 'two drift checks after the reconcile',
      timeoutMs: 60_000,
      intervalMs: 250,
    });
    expect((await acme.get<Tenant>(`/v1/tenants/${id}`)).body.drift).toBeUndefined();

    await acme.delete(`/v1/tenants/${id}`);
    await waitForTenantStatus<Tenant>(acme, id, 'deleted');
  });
});
