import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { startTestPlatform, testInfra, waitFor, type TestPlatform } from '@fedops/testing';
import { ApiClient } from './api-client';
import { logLines } from './service-logs';
import { newTenant } from './factories';
import { front } from './machine-front';
import { namespaces, sandboxHosts } from './sandbox-state';

interface Tenant {
  id: string;
  domain: string;
  status: string;
  error?: string;
  operation: { id: string };
  placement: { machineId: string };
}

// Sandbox machines boot instantly; a simulated boot time keeps ensureMachine running long enough
// to kill its worker in the middle of it, as a VM's boot would.
const BOOT_DELAY_MS = 6_000;

let env: TestPlatform;
let api: ApiClient;

beforeAll(async () => {
  env = await startTestPlatform('crash', { sandboxBootDelayMs: BOOT_DELAY_MS });
  api = new ApiClient(env.apiUrl, env.tokens.acme);
}, 180_000);

afterAll(async () => {
  await env?.stop();
});

/** Sandbox machines labelled with the machine id placement chose for the tenant. */
function sandboxHostsOf(machineId: string): Array<{ name: string }> {
  return sandboxHosts(env.dataDir).filter((h) => h.label === machineId);
}

async function zoneRRsets(zone: string): Promise<Array<{ name: string; type: string; records: unknown[] }>> {
  const { apiUrl, apiKey } = testInfra().powerdns;
  const res = await fetch(`${apiUrl}/api/v1/servers/localhost/zones/${zone}.`, {
    headers: { 'X-API-Key': apiKey },
  });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { rrsets: Array<{ name: string; type: string; records: unknown[] }> };
  return body.rrsets;
}

async function waitForStep(operationId: string, step: string, status: string): Promise<void> {
  await waitFor(
    async () => {
      const op = await api.get<{ steps: Array<{ name: string; status: string }> }>(
        `/v1/operations/${operationId}`,
      );
      return op.status === 200 && op.body.steps.find((s) => s.name === step)?.status === status;
    },
    { description: `step ${step} of ${operationId} to be ${status}`, timeoutMs: 60_000, intervalMs: 50 },
  );
}

async function waitForTenantStatus(id: string, status: string): Promise<Tenant> {
  return waitFor(
    async () => {
      const t = (await api.get<Tenant>(`/v1/tenants/${id}`)).body;
      if (t.status === 'failed' && status !== 'failed') throw new Error(`tenant failed: ${t.error ?? ''}`);
      return t.status === status ? t : undefined;
    },
    { description: `tenant ${id} to be ${status}`, timeoutMs: 120_000, intervalMs: 250 },
  );
}

/**
 * Waits until a worker has picked up `activity` of the operation's workflow (a step's row says
 * `running` a moment before its activity is dispatched: the progress report comes first).
 */
async function waitForActivityStarted(operationId: string, activity: string): Promise<void> {
  const { address, namespace } = testInfra().temporal;
  const connection = await Connection.connect({ address });
  try {
    const handle = new Client({ connection, namespace }).workflow.getHandle(operationId);
    await waitFor(
      async () => {
        const { raw } = await handle.describe();
        return (raw.pendingActivities ?? []).some(
          (a) =>
            a.activityType?.name === activity &&
            a.state === temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED,
        );
      },
      {
        description: `${activity} of ${operationId} to be started by a worker`,
        timeoutMs: 60_000,
        intervalMs: 50,
      },
    );
  } finally {
    await connection.close();
  }
}

describe('crash safety', () => {
  it('finishes deployTenant after the provisioner is killed with SIGKILL mid-activity, with one machine and one set of records', async () => {
    const created = await api.post<Tenant>('/v1/tenants', newTenant({ apps: ['mastodon', 'gotosocial'] }));
    expect(created.status).toBe(202);
    const { id, domain } = created.body;
    const machineId = created.body.placement.machineId;

    // Wait until ensureMachine is running and the machine exists but is still "booting".
    await waitFor(
      async () => {
        const op = await api.get<{ steps: Array<{ name: string; status: string }> }>(
          `/v1/operations/${created.body.operation.id}`,
        );
        return (
          op.status === 200 &&
          op.body.steps[0]?.status === 'running' &&
          sandboxHostsOf(machineId).length === 1
        );
      },
      { description: 'ensureMachine to be in flight', timeoutMs: 30_000, intervalMs: 100 },
    );
    env.platform.kill('provisioner', 'SIGKILL');
    await env.platform.waitForExit('provisioner');
    await env.platform.startService('provisioner');

    const ready = await waitFor(
      async () => {
        const t = (await api.get<Tenant>(`/v1/tenants/${id}`)).body;
        if (t.status === 'failed') throw new Error(`tenant failed: ${t.error ?? ''}`);
        return t.status === 'ready' ? t : undefined;
      },
      { description: 'the tenant to become ready after the crash', timeoutMs: 120_000, intervalMs: 250 },
    );
    expect(ready.status).toBe('ready');

    // Exactly one machine: in the provisioner's inventory, in the sandbox state, as a network namespace.
    const fleet = await api
      .as(env.tokens.ops)
      .get<{ items: Array<{ tenantId: string; machineId: string }> }>('/v1/machines');
    expect(fleet.body.items.filter((m) => m.tenantId === id)).toHaveLength(1);
    expect(sandboxHostsOf(machineId)).toHaveLength(1);
    expect(namespaces()).toContain(sandboxHostsOf(machineId)[0]!.name);

    // Exactly one A record per app hostname.
    const aRecords = (await zoneRRsets(domain)).filter((r) => r.type === 'A');
    expect(aRecords.map((r) => [r.name, r.records.length]).sort()).toEqual([
      [`gts.${domain}.`, 1],
      [`social.${domain}.`, 1],
    ]);

    // The kill really hit the activity: the restarted provisioner completed ensureMachine on a later attempt.
    const completions = logLines(env.platform.logFile('provisioner')).filter(
      (e) =>
        e.msg === 'activity completed' &&
        e.activity === 'ensureMachine' &&
        e.workflowId === created.body.operation.id,
    );
    expect(completions.map((e) => e.attempt)).toEqual([expect.any(Number)]);
    expect(completions[0]!.attempt).toBeGreaterThanOrEqual(2);

    await api.delete(`/v1/tenants/${id}`);
    await waitFor(async () => (await api.get<Tenant>(`/v1/tenants/${id}`)).body.status === 'deleted', {
      description: 'the tenant to be deleted',
      timeoutMs: 60_000,
      intervalMs: 250,
    });
    expect(sandboxHostsOf(machineId)).toHaveLength(0);
  });

  it('drains the deployer on SIGTERM: the activity in flight completes on its first attempt', async () => {
    const created = await api.post<Tenant>('/v1/tenants', newTenant({ apps: ['forgejo'] }));
    expect(created.status).toBe(202);
    const operationId = created.body.operation.id;
    await waitForActivityStarted(operationId, 'deployConfiguration');

    const sigtermAt = new Date().toISOString();
    env.platform.kill('deployer', 'SIGTERM');
    await env.platform.waitForExit('deployer');
    const deployerLog = logLines(env.platform.logFile('deployer'));
    const completed = deployerLog.filter(
      (e) =>
        e.msg === 'activity completed' &&
        e.activity === 'deployConfiguration' &&
        e.workflowId === operationId,
    );
    expect(completed.map((e) => e.attempt)).toEqual([1]);
    // It was in flight when the signal came, and finished during the drain.
    expect(completed[0]!.time! > sigtermAt).toBe(true);
    const stopped = deployerLog.findIndex((e) => e.msg === 'worker stopped');
    expect(stopped).toBeGreaterThan(deployerLog.indexOf(completed[0]!));

    await env.platform.startService('deployer');
    await waitForTenantStatus(created.body.id, 'ready');
    await api.delete(`/v1/tenants/${created.body.id}`);
    await waitForTenantStatus(created.body.id, 'deleted');
  });

  it('finishes updateTenant after the deployer is killed with SIGKILL mid-deploy, every app on one and the same generation', async () => {
    const created = await api.post<Tenant>('/v1/tenants', newTenant({ apps: ['gotosocial'] }));
    expect(created.status).toBe(202);
    const { id, domain } = created.body;
    await waitForTenantStatus(id, 'ready');
    const etag = (await api.get<Tenant>(`/v1/tenants/${id}`)).headers.get('etag') ?? '';
    const changed = await api.request<Tenant>('PATCH', `/v1/tenants/${id}`, {
      body: { apps: { add: [{ app: 'jitsi' }] } },
      headers: { 'if-match': etag },
    });
    expect(changed.status).toBe(202);
    const operationId = changed.body.operation.id;
    await waitForActivityStarted(operationId, 'deployConfiguration');
    env.platform.kill('deployer', 'SIGKILL');
    await env.platform.waitForExit('deployer');
    await env.platform.startService('deployer');

    const ready = await waitForTenantStatus(id, 'ready');
    expect(ready.error).toBeUndefined();
    const operation = await api.get<{ kind: string; status: string }>(`/v1/operations/${operationId}`);
    expect(operation.body).toMatchObject({ kind: 'update', status: 'succeeded' });
    // The kill hit the activity: a later attempt completed it.
    const completions = logLines(env.platform.logFile('deployer')).filter(
      (e) =>
        e.msg === 'activity completed' &&
        e.activity === 'deployConfiguration' &&
        e.workflowId === operationId,
    );
    expect(completions).toHaveLength(1);
    expect(completions[0]!.attempt).toBeGreaterThanOrEqual(2);

    // Both apps answer through the machine's front, from the same (the active) generation.
    const fleet = await api
      .as(env.tokens.ops)
      .get<{ items: Array<{ tenantId: string; address: string }> }>('/v1/machines');
    const address = fleet.body.items.find((m) => m.tenantId === id)?.address ?? '';
    const generations = await Promise.all(
      [
        [`gts.${domain}`, '/readyz'],
        [`meet.${domain}`, '/'],
      ].map(async ([host, path]) => {
        const res = await front(address, host!, 'GET', path!);
        expect([host, res.status]).toEqual([host, 200]);
        return (JSON.parse(res.body) as { generation: number }).generation;
      }),
    );
    expect(new Set(generations).size).toBe(1);

    await api.delete(`/v1/tenants/${id}`);
    await waitForTenantStatus(id, 'deleted');
  });

  it('answers DELETE at once while deployTenant runs; destroyTenant cancels it and nothing is left', async () => {
    const created = await api.post<Tenant>('/v1/tenants', newTenant({ apps: ['gotosocial'] }));
    expect(created.status).toBe(202);
    const { id } = created.body;
    const machineId = created.body.placement.machineId;
    const deployOperation = created.body.operation.id;
    await waitForStep(deployOperation, 'provision', 'running');

    const deleted = await api.delete<Tenant>(`/v1/tenants/${id}`);
    expect(deleted.status).toBe(202);
    expect(deleted.body.status).toBe('deleting');
    // DELETE did not wait for the deployment: the (slowly booting) machine is still being provisioned.
    const during = await api.get<{ status: string; steps: Array<{ name: string; status: string }> }>(
      `/v1/operations/${deployOperation}`,
    );
    expect(during.body.steps[0]).toMatchObject({ name: 'provision', status: 'running' });

    await waitForTenantStatus(id, 'deleted');
    const deploy = await api.get<{ status: string }>(`/v1/operations/${deployOperation}`);
    expect(deploy.body.status).toBe('cancelled');
    const destroy = await api.get<{ steps: Array<{ name: string; status: string }> }>(
      `/v1/operations/${deleted.body.operation.id}`,
    );
    expect(destroy.body.steps.map((s) => [s.name, s.status])).toEqual([
      ['cancel-deploy', 'succeeded'],
      ['dns', 'succeeded'],
      ['backup', 'succeeded'],
      ['deployments', 'succeeded'],
      ['machine', 'succeeded'],
    ]);
    const fleet = await api.as(env.tokens.ops).get<{ items: Array<{ tenantId: string }> }>('/v1/machines');
    expect(fleet.body.items.filter((m) => m.tenantId === id)).toEqual([]);
    expect(sandboxHostsOf(machineId)).toEqual([]);
  });
});
