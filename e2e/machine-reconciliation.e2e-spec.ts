import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Client, Connection, ScheduleOverlapPolicy } from '@temporalio/client';
import {
  MACHINE_RECONCILER_SCHEDULE_ID,
  type MachineCleanupResult,
  type MachineFinding,
} from '@fedops/contracts';
import { SandboxHostManager } from '@fedops/sandbox-host';
import { startTestPlatform, testInfra, waitFor, type TestPlatform } from '@fedops/testing';
// The provisioner's own driver and host keys (its source, not its process): the orphan below is made
// exactly as the provisioner makes a machine, metadata file and labels included.
import { SandboxDriver } from '@fedops/provisioner/src/drivers/sandbox/sandbox.driver';
import { generateHostKeyPair } from '@fedops/provisioner/src/machines/host-keys';
import { ApiClient, type ApiResponse } from './api-client';
import { ApiDocument } from './api-document';
import { newTenant } from './factories';
import { namespaces } from './sandbox-state';

/**
 * The machine reconciler as ops staff see it through the public API. An orphan is made the way a
 * create whose record was lost leaves one (the sandbox driver, in this process, over the platform's
 * sandbox state, with the platform's labels and key); the Temporal Schedule is triggered by hand
 * (its interval stays the default 300 s). The orphan shows up in GET /v1/machines and as a
 * `machine.orphaned` line of the audit log, a dry-run cleanup lists it and deletes nothing, a real one
 * deletes it; a tenant's machine is never an orphan, and one destroyed behind the platform's back is
 * `missing` (and never cleaned up: cleanup deletes orphans only).
 */

interface Tenant {
  id: string;
  status: string;
  error?: string;
  placement?: { machineId: string };
}
interface Machine {
  machineId: string;
  tenantId: string;
}
interface Reconciliation {
  checkedAt: string;
  providers: Array<{ name: string; ok: boolean; machines: number }>;
  findings: MachineFinding[];
}
interface MachineList {
  items: Machine[];
  reconciliation: Reconciliation | null;
}
interface AuditLine {
  actor: string;
  action: string;
  target?: string;
  tenantId?: string;
}

/** startTestPlatform's network-namespace prefix for sandbox machines (FEDOPS_SANDBOX_PREFIX). */
const SANDBOX_PREFIX = 'fte';
/** The provisioner's FEDOPS_PLATFORM_LABEL default. */
const PLATFORM_LABEL = 'fedops';

let env: TestPlatform;
let document: ApiDocument;
let ops: ApiClient;
let connection: Connection;
let schedule: ReturnType<Client['schedule']['getHandle']>;
let hosts: SandboxHostManager;
let driver: SandboxDriver;
let platformKey: string;
let tenant: Tenant & { placement: { machineId: string } };

beforeAll(async () => {
  env = await startTestPlatform('reconcile');
  document = await ApiDocument.fetch(env.apiUrl);
  ops = new ApiClient(env.apiUrl, env.tokens.ops);
  const { address, namespace } = testInfra().temporal;
  connection = await Connection.connect({ address });
  schedule = new Client({ connection, namespace }).schedule.getHandle(MACHINE_RECONCILER_SCHEDULE_ID);
  platformKey = (await readFile(join(env.dataDir, 'keys', 'id_ed25519.pub'), 'utf8')).trim();
  hosts = new SandboxHostManager({
    stateDir: join(env.dataDir, 'sandbox'),
    namePrefix: SANDBOX_PREFIX,
    authorizedKeys: [platformKey],
  });
  driver = new SandboxDriver(hosts, 0);
  // A real tenant, whose machine the reconciler must never take for an orphan.
  const operator = new ApiClient(env.apiUrl, env.tokens.acme);
  const created = await operator.post<Tenant>('/v1/tenants', newTenant({ apps: ['gotosocial'] }));
  expect(created.status).toBe(202);
  const ready = await waitFor(
    async () => {
      const res = await operator.get<Tenant>(`/v1/tenants/${created.body.id}`);
      if (res.body.status === 'failed') throw new Error(`tenant failed: ${res.body.error ?? '(no error)'}`);
      return res.body.status === 'ready' ? res.body : undefined;
    },
    { description: 'the tenant to be ready', timeoutMs: 120_000, intervalMs: 250 },
  );
  if (ready.placement === undefined) throw new Error('the tenant has no placement');
  tenant = { ...ready, placement: ready.placement };
}, 180_000);

afterAll(async () => {
  await connection?.close();
  await env?.stop();
});

const callContext = (): { signal: AbortSignal; heartbeat: () => void } => ({
  signal: AbortSignal.timeout(60_000),
  heartbeat: () => undefined,
});

/** A machine with this platform's labels that the inventory never heard of: what a lost create leaves. */
async function makeOrphan(): Promise<{ machineId: string; tenantId: string; externalId: string }> {
  const machineId = randomUUID();
  const tenantId = randomUUID();
  const made = await driver.create(
    {
      machineId,
      name: `fedops-${machineId.slice(0, 8)}`,
      sizing: { vcpus: 1, memoryMiB: 1024, diskGiB: 10 },
      image: 'sandbox',
      location: 'local',
      sshAuthorizedKeys: [platformKey],
      hostKey: await generateHostKeyPair(),
      labels: { 'fedops-machine': machineId, 'fedops-tenant': tenantId, 'fedops-platform': PLATFORM_LABEL },
    },
    callContext(),
  );
  return { machineId, tenantId, externalId: made.providerId };
}

/** GET /v1/machines, checked against the served document. */
async function machines(): Promise<MachineList> {
  const res = documented('listMachines', await ops.get<MachineList>('/v1/machines'));
  expect(res.status).toBe(200);
  return res.body;
}

/**
 * Triggers the schedule (after a run in progress, if any: never two at once) and waits for a run that
 * began after the trigger and whose report satisfies `until`.
 */
async function reconcile(until: (r: Reconciliation) => boolean, what: string): Promise<Reconciliation> {
  const since = Date.now();
  await schedule.trigger(ScheduleOverlapPolicy.BUFFER_ONE);
  return waitFor(
    async () => {
      const { reconciliation } = await machines();
      return reconciliation !== null && Date.parse(reconciliation.checkedAt) >= since && until(reconciliation)
        ? reconciliation
        : undefined;
    },
    { description: `a reconciliation after the trigger: ${what}`, timeoutMs: 30_000, intervalMs: 200 },
  );
}

async function cleanup(dryRun: boolean): Promise<MachineCleanupResult> {
  const res = documented(
    'cleanupMachines',
    await ops.post<MachineCleanupResult>('/v1/machines/cleanup', { dryRun }),
  );
  expect(res.status).toBe(200);
  return res.body;
}

/** The audit lines of an event kind about one tenant id (ops staff see every line). */
async function auditLines(action: string, tenantId: string): Promise<AuditLine[]> {
  const res = await ops.get<{ items: AuditLine[] }>(`/v1/audit?action=${action}&tenant=${tenantId}`);
  expect(res.status).toBe(200);
  return res.body.items;
}

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

const findingsOf = (r: Reconciliation, externalId: string): MachineFinding[] =>
  r.findings.filter((f) => f.externalId === externalId);

describe('the machine reconciler through the public API', () => {
  it('finds an orphan, announces it, lists it on a dry run and deletes it only when asked', async () => {
    const orphan = await makeOrphan();
    expect(namespaces()).toContain(orphan.externalId);

    const found = await reconcile((r) => findingsOf(r, orphan.externalId).length > 0, 'the orphan found');
    expect(findingsOf(found, orphan.externalId)).toEqual([
      expect.objectContaining({
        kind: 'orphan',
        providerName: 'sandbox',
        externalId: orphan.externalId,
        machineId: orphan.machineId,
        tenantId: orphan.tenantId,
      }),
    ]);
    expect(found.providers).toContainEqual(expect.objectContaining({ name: 'sandbox', ok: true }));
    // The tenant's machine is the inventory's: never an orphan, and not missing either.
    const own = (await machines()).items.filter((m) => m.tenantId === tenant.id);
    expect(own.map((m) => m.machineId)).toEqual([tenant.placement.machineId]);
    expect(
      found.findings.filter((f) => f.tenantId === tenant.id || f.machineId === tenant.placement.machineId),
    ).toEqual([]);

    // The event reaches the audit log (the events stream of a tenant that does not exist is not open
    // to anyone through the API; its line in the audit log is how ops staff see it).
    const announced = await waitFor(
      async () => {
        const lines = await auditLines('machine.orphaned', orphan.tenantId);
        return lines.length > 0 ? lines : undefined;
      },
      { description: 'the machine.orphaned audit line', timeoutMs: 15_000, intervalMs: 200 },
    );
    expect(announced).toEqual([
      expect.objectContaining({
        actor: 'system:provisioner',
        action: 'machine.orphaned',
        target: orphan.machineId,
      }),
    ]);

    // A dry run lists it and deletes nothing.
    const dry = await cleanup(true);
    expect(dry.dryRun).toBe(true);
    expect(dry.orphans.map((o) => o.externalId)).toEqual([orphan.externalId]);
    expect(namespaces()).toContain(orphan.externalId);
    expect(await driver.get(orphan.externalId, callContext())).toBeDefined();
    expect(findingsOf((await machines()).reconciliation!, orphan.externalId)).toHaveLength(1);

    // Asked for real: it goes (and nothing else), and the next run does not find it again.
    const before = namespaces();
    const done = await cleanup(false);
    expect({
      dryRun: done.dryRun,
      orphans: done.orphans.map((o) => o.externalId),
      skipped: done.skipped,
    }).toEqual({
      dryRun: false,
      orphans: [orphan.externalId],
      skipped: [],
    });
    expect(before.filter((n) => !namespaces().includes(n))).toEqual([orphan.externalId]);
    expect(await driver.get(orphan.externalId, callContext())).toBeUndefined();
    expect(findingsOf((await machines()).reconciliation!, orphan.externalId)).toEqual([]);
    const after = await reconcile(() => true, 'after the cleanup');
    expect(findingsOf(after, orphan.externalId)).toEqual([]);
    expect((await cleanup(true)).orphans).toEqual([]);
  });

  it("reports a tenant's machine destroyed behind the platform's back as missing, and never cleans it up", async () => {
    const host = await hosts.findHost(tenant.placement.machineId);
    expect(host).toBeDefined();
    expect(await hosts.destroyHost(tenant.placement.machineId)).toBe(true);

    const report = await reconcile((r) => findingsOf(r, host!.name).length > 0, 'the machine missing');
    expect(findingsOf(report, host!.name)).toEqual([
      expect.objectContaining({
        kind: 'missing',
        providerName: 'sandbox',
        machineId: tenant.placement.machineId,
        tenantId: tenant.id,
      }),
    ]);
    // Missing is not orphan: cleanup deletes orphans only, and there are none.
    expect(await cleanup(true)).toEqual({ dryRun: true, orphans: [], skipped: [] });
    const announced = await waitFor(
      async () => {
        const lines = await auditLines('machine.missing', tenant.id);
        return lines.length > 0 ? lines : undefined;
      },
      { description: 'the machine.missing audit line', timeoutMs: 15_000, intervalMs: 200 },
    );
    expect(announced).toEqual([
      expect.objectContaining({ actor: 'system:provisioner', target: tenant.placement.machineId }),
    ]);
  });

  it('is for ops staff only', async () => {
    const operator = new ApiClient(env.apiUrl, env.tokens.acme);
    expect((await operator.get('/v1/machines')).status).toBe(403);
    expect((await operator.post('/v1/machines/cleanup', { dryRun: false })).status).toBe(403);
    const bad = documented('cleanupMachines', await ops.post<{ code: string }>('/v1/machines/cleanup', {}));
    expect({ status: bad.status, code: bad.body.code }).toEqual({ status: 400, code: 'VALIDATION_FAILED' });
  });
});
