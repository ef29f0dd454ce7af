import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { Resolver } from 'node:dns/promises';
import { join } from 'node:path';
import {
  startDigitalOceanSimulator,
  startHetznerSimulator,
  startProxmoxSimulator,
  type RunningSimulator,
  type SimulatedVm,
  type SimulatorKind,
} from '@fedops/simulators';
import { startTestPlatform, testInfra, waitFor, type TestPlatform } from '@fedops/testing';
import { ApiClient } from './api-client';
import { logLines } from './service-logs';
import { newTenant } from './factories';
import { namespaces, sandboxHosts } from './sandbox-state';

/**
 * The whole pipeline on simulated Proxmox VE, Hetzner Cloud and DigitalOcean (simulators/, each VM
 * a real sandbox machine): each simulator registered as a provider through the public API, a tenant
 * placed on each, the provisioner killed with SIGKILL while the three creates are in flight, and
 * each tenant ready afterwards on exactly one VM, reachable, in DNS, then deleted without a trace.
 * Beside it the refusals worth having: a wrong token, a location or size the vendor does not offer,
 * and a vendor refusing the create itself.
 */

interface Provider {
  id: string;
  name: string;
  kind: string;
  lastCheck: { ok: boolean; message: string } | null;
}
interface Tenant {
  id: string;
  domain: string;
  status: string;
  error?: string;
  operation: { id: string };
  placement: { machineId: string; provider: string; location: string; plan: string };
}
interface Machine {
  machineId: string;
  tenantId: string;
  providerId: string;
  provider: string;
  address: string;
}
interface Problem {
  status: number;
  code: string;
  detail: string;
  errors?: Array<{ field: string; message: string }>;
}
interface Operation {
  status: string;
  steps: Array<{ name: string; status: string }>;
}

/** Long enough that the three creates are still waiting for their VMs when the provisioner is killed. */
const BOOT_DELAY_MS = 10_000;

/** One simulator and what it is registered with. */
interface Simulated {
  kind: SimulatorKind;
  simulator: RunningSimulator;
  /** The folder its sandbox machines' state is in (`sandbox/state.json` below it). */
  dir: string;
  registration: Record<string, unknown>;
  /** The registration with credentials the vendor refuses, and the vendor's words for that. */
  wrongCredentials: Record<string, string>;
  refusedAs: RegExp;
  /** Secrets the platform must never show or log. */
  secrets: string[];
}

let env: TestPlatform;
let ops: ApiClient;
let operator: ApiClient;
const simulated: Simulated[] = [];
/** A second DigitalOcean account whose droplet limit is 0: every create is refused. */
let fullAccount: Simulated;

const PLAN = { name: 'small', vcpus: 1, memoryMiB: 2048, diskGiB: 40 };

beforeAll(async () => {
  env = await startTestPlatform('simulated');
  ops = new ApiClient(env.apiUrl, env.tokens.ops);
  operator = new ApiClient(env.apiUrl, env.tokens.acme);
  const common = (kind: string, namePrefix: string) => {
    const dir = join(env.dataDir, `simulator-${kind}`);
    return { dir, options: { stateDir: join(dir, 'sandbox'), namePrefix, bootDelayMs: BOOT_DELAY_MS } };
  };

  const hz = common('hetzner', 'esh');
  const hetzner = await startHetznerSimulator(hz.options);
  const hetznerToken = hetzner.credentials['token'] ?? '';
  simulated.push({
    kind: 'hetzner',
    simulator: hetzner,
    dir: hz.dir,
    registration: {
      name: 'sim-hetzner',
      kind: 'hetzner',
      endpoint: hetzner.url,
      credentials: { token: hetznerToken },
      locations: ['fsn1'],
      plans: [{ ...PLAN, size: 'cpx11' }],
      image: 'ubuntu-24.04',
    },
    wrongCredentials: { token: 'f'.repeat(64) },
    refusedAs: /unable to authenticate/,
    secrets: [hetznerToken],
  });

  const dg = common('digitalocean', 'esd');
  const digitalocean = await startDigitalOceanSimulator(dg.options);
  const doToken = digitalocean.credentials['token'] ?? '';
  simulated.push({
    kind: 'digitalocean',
    simulator: digitalocean,
    dir: dg.dir,
    registration: {
      name: 'sim-digitalocean',
      kind: 'digitalocean',
      endpoint: digitalocean.url,
      credentials: { token: doToken },
      locations: ['fra1'],
      plans: [{ ...PLAN, size: 's-1vcpu-2gb' }],
      image: 'ubuntu-24-04-x64',
    },
    wrongCredentials: { token: `dop_v1_${'0'.repeat(64)}` },
    refusedAs: /Unable to authenticate you/,
    secrets: [doToken],
  });

  const px = common('proxmox', 'esp');
  const proxmox = await startProxmoxSimulator({ ...px.options, authFailureDelayMs: 100 });
  simulated.push({
    kind: 'proxmox',
    simulator: proxmox,
    dir: px.dir,
    registration: {
      name: 'sim-proxmox',
      kind: 'proxmox',
      endpoint: proxmox.url,
      credentials: { tokenId: proxmox.credentials.tokenId, tokenSecret: proxmox.credentials.tokenSecret },
      locations: ['pve1'],
      plans: [PLAN],
      image: '9000',
      settings: { storage: 'cephpool' },
    },
    wrongCredentials: {
      tokenId: proxmox.credentials.tokenId,
      tokenSecret: '00000000-0000-4000-8000-000000000000',
    },
    refusedAs: /Authentication failed!/,
    secrets: [proxmox.credentials.tokenSecret],
  });

  const full = common('digitalocean-full', 'esf');
  const fullSimulator = await startDigitalOceanSimulator({ ...full.options, dropletLimit: 0 });
  const fullToken = fullSimulator.credentials['token'] ?? '';
  fullAccount = {
    kind: 'digitalocean',
    simulator: fullSimulator,
    dir: full.dir,
    registration: {
      name: 'sim-digitalocean-full',
      kind: 'digitalocean',
      endpoint: fullSimulator.url,
      credentials: { token: fullToken },
      locations: ['fra1'],
      plans: [{ ...PLAN, size: 's-1vcpu-2gb' }],
      image: 'ubuntu-24-04-x64',
    },
    wrongCredentials: {},
    refusedAs: /./,
    secrets: [fullToken],
  };
}, 180_000);

afterAll(async () => {
  await Promise.allSettled(
    [...simulated, ...(fullAccount ? [fullAccount] : [])].map((s) =>
      s.simulator.close({ destroyMachines: true }),
    ),
  );
  await env?.stop();
}, 120_000);

/** The simulator's VMs that carry the machine id (a label, a `key:value` tag or a Proxmox tag). */
function vmsOf(sim: Simulated, machineId: string): SimulatedVm[] {
  return sim.simulator.vms().filter((vm) => JSON.stringify(vm).includes(machineId));
}

/** The sandbox machines behind a simulator's VMs, from its own sandbox state. */
function sandboxMachinesOf(sim: Simulated): Array<{ label: string; name: string; address: string }> {
  return existsSync(join(sim.dir, 'sandbox', 'state.json')) ? sandboxHosts(sim.dir) : [];
}

async function tenant(id: string): Promise<Tenant> {
  return (await operator.get<Tenant>(`/v1/tenants/${id}`)).body;
}

async function waitForStatus(id: string, status: string, timeoutMs = 150_000): Promise<Tenant> {
  return waitFor(
    async () => {
      const t = await tenant(id);
      if (t.status === 'failed' && status !== 'failed') throw new Error(`tenant failed: ${t.error ?? ''}`);
      return t.status === status ? t : undefined;
    },
    { description: `tenant ${id} to be ${status}`, timeoutMs, intervalMs: 250 },
  );
}

function resolver(): Resolver {
  const r = new Resolver({ timeout: 2000, tries: 1 });
  r.setServers([`127.0.0.1:${testInfra().powerdns.dnsPort}`]);
  return r;
}

async function register(sim: Simulated): Promise<Provider> {
  const res = await ops.post<Provider | Problem>('/v1/providers', sim.registration);
  if (res.status !== 201) {
    throw new Error(`registering ${sim.kind} failed: ${res.status} ${JSON.stringify(res.body)}`);
  }
  return res.body as Provider;
}

describe('the pipeline on simulated providers', () => {
  const providers = new Map<SimulatorKind, Provider>();

  it('registers each simulator as a provider through the public API, its connection test passing', async () => {
    for (const sim of simulated) {
      const provider = await register(sim);
      expect(provider).toMatchObject({
        name: sim.registration['name'],
        kind: sim.kind,
        lastCheck: { ok: true, message: 'connected' },
      });
      providers.set(sim.kind, provider);
    }
    expect([...providers.keys()].sort()).toEqual(['digitalocean', 'hetzner', 'proxmox']);
  });

  it('refuses a wrong token with a 400 naming credentials in the vendor words, never echoing it', async () => {
    for (const sim of simulated) {
      const res = await ops.post<Problem>('/v1/providers', {
        ...sim.registration,
        name: `${sim.registration['name'] as string}-wrong`,
        credentials: sim.wrongCredentials,
      });
      expect({ kind: sim.kind, status: res.status, fields: res.body.errors?.map((e) => e.field) }).toEqual({
        kind: sim.kind,
        status: 400,
        fields: ['credentials'],
      });
      expect({ kind: sim.kind, message: res.body.errors?.[0]?.message }).toEqual({
        kind: sim.kind,
        message: expect.stringMatching(sim.refusedAs) as unknown,
      });
      const text = JSON.stringify(res.body);
      for (const secret of [...Object.values(sim.wrongCredentials), ...sim.secrets]) {
        if (secret.length >= 16 && !secret.includes('@')) expect(text).not.toContain(secret);
      }
    }
  });

  it('refuses a location the vendor does not offer with a 400 listing the valid ones', async () => {
    for (const sim of simulated) {
      const res = await ops.post<Problem>('/v1/providers', {
        ...sim.registration,
        name: `${sim.registration['name'] as string}-mars`,
        locations: ['mars'],
      });
      expect({ kind: sim.kind, status: res.status, errors: res.body.errors }).toEqual({
        kind: sim.kind,
        status: 400,
        errors: [
          {
            field: 'locations[0]',
            message: expect.stringMatching(
              /^"mars" is not offered by this provider; valid: [a-z0-9]/,
            ) as unknown,
          },
        ],
      });
      const valid = res.body.errors?.[0]?.message.split('valid: ')[1]?.split(', ') ?? [];
      expect(valid).toEqual(expect.arrayContaining(sim.registration['locations'] as string[]));
    }
    const names = (await ops.get<{ items: Provider[] }>('/v1/providers')).body.items.map((p) => p.name);
    expect(names.filter((n) => /-(wrong|mars|size)$/.test(n))).toEqual([]);
  });

  it('refuses a size slug the cloud does not sell with a 400 listing the ones it does', async () => {
    for (const sim of simulated.filter((s) => s.kind !== 'proxmox')) {
      const plans = sim.registration['plans'] as Array<Record<string, unknown>>;
      const res = await ops.post<Problem>('/v1/providers', {
        ...sim.registration,
        name: `${sim.registration['name'] as string}-size`,
        plans: [{ ...plans[0], size: 'no-such-size' }],
      });
      expect({ kind: sim.kind, status: res.status, field: res.body.errors?.[0]?.field }).toEqual({
        kind: sim.kind,
        status: 400,
        field: 'plans[0].size',
      });
      const valid = res.body.errors?.[0]?.message.split('valid: ')[1]?.split(', ') ?? [];
      expect(valid).toContain(plans[0]?.['size']);
    }
  });

  it('ends with exactly one VM per tenant when the provisioner is killed with SIGKILL during the creates', async () => {
    // One tenant on each simulator, created together.
    const tenants = await Promise.all(
      simulated.map(async (sim) => {
        const res = await operator.post<Tenant>('/v1/tenants', {
          ...newTenant({ apps: ['gotosocial'] }),
          placement: { provider: sim.registration['name'] },
        });
        expect({ kind: sim.kind, status: res.status }).toEqual({ kind: sim.kind, status: 202 });
        expect(res.body.placement).toMatchObject({
          provider: sim.registration['name'],
          location: (sim.registration['locations'] as string[])[0],
          plan: 'small',
        });
        return { sim, created: res.body, machineId: res.body.placement.machineId };
      }),
    );

    // Every create is in flight: its provision step runs and its simulator holds the (booting) VM.
    await waitFor(
      async () => {
        const states = await Promise.all(
          tenants.map(async ({ sim, created, machineId }) => {
            const op = await operator.get<Operation>(`/v1/operations/${created.operation.id}`);
            return op.body.steps[0]?.status === 'running' && vmsOf(sim, machineId).length === 1;
          }),
        );
        return states.every(Boolean);
      },
      { description: 'the three creates to be in flight', timeoutMs: 60_000, intervalMs: 100 },
    );
    const booting = tenants.map(({ sim, machineId }) => ({ kind: sim.kind, vm: vmsOf(sim, machineId)[0] }));
    env.platform.kill('provisioner', 'SIGKILL');
    await env.platform.waitForExit('provisioner');
    await env.platform.startService('provisioner');

    const ready = await Promise.all(tenants.map(({ created }) => waitForStatus(created.id, 'ready')));
    const fleet = (await ops.get<{ items: Machine[] }>('/v1/machines')).body.items;
    const log = logLines(env.platform.logFile('provisioner'));

    for (const [i, { sim, created, machineId }] of tenants.entries()) {
      const kind = sim.kind;
      expect(ready[i]?.placement.machineId).toBe(machineId);
      // One VM at the vendor, the same one that was booting when the provisioner died.
      const vms = vmsOf(sim, machineId);
      expect({ kind, vms: vms.map((vm) => vm.id) }).toEqual({ kind, vms: [booting[i]?.vm?.id] });
      const vm = vms[0] as SimulatedVm;
      // Hetzner's `initializing`, DigitalOcean's `new` then (a Proxmox VM runs while its guest boots).
      if (kind !== 'proxmox')
        expect({ kind, then: booting[i]?.vm?.status }).not.toEqual({ kind, then: vm.status });
      expect(sandboxMachinesOf(sim)).toHaveLength(1);
      // One machine in the fleet, at that provider and the VM's address.
      const machines = fleet.filter((m) => m.tenantId === created.id);
      expect({ kind, machines }).toEqual({
        kind,
        machines: [
          expect.objectContaining({
            machineId,
            provider: kind,
            providerId: providers.get(kind)?.id,
            address: vm.address,
          }),
        ],
      });
      // The app answers there, and its name points there.
      const fqdn = `gts.${created.domain}`;
      const health = await fetch(`http://${vm.address ?? ''}:8080/readyz`, { headers: { host: fqdn } });
      expect({ kind, health: health.status }).toEqual({ kind, health: 200 });
      expect(await resolver().resolve4(fqdn)).toEqual([vm.address]);
      // The kill hit the create: a later attempt of ensureMachine completed it.
      const completions = log.filter(
        (e) =>
          e.msg === 'activity completed' &&
          e.activity === 'ensureMachine' &&
          e.workflowId === created.operation.id,
      );
      expect({ kind, attempts: completions.length }).toEqual({ kind, attempts: 1 });
      expect(completions[0]?.attempt).toBeGreaterThanOrEqual(2);
    }

    // Deleting each tenant removes its VM and the sandbox machine behind it.
    const hostNames = tenants.map(({ sim }) => sandboxMachinesOf(sim).map((h) => h.name));
    await Promise.all(
      tenants.map(async ({ created }) => {
        expect((await operator.delete(`/v1/tenants/${created.id}`)).status).toBe(202);
      }),
    );
    await Promise.all(tenants.map(({ created }) => waitForStatus(created.id, 'deleted')));
    const after = (await ops.get<{ items: Machine[] }>('/v1/machines')).body.items;
    for (const [i, { sim, created, machineId }] of tenants.entries()) {
      const kind = sim.kind;
      expect({ kind, vms: vmsOf(sim, machineId) }).toEqual({ kind, vms: [] });
      expect({ kind, machines: after.filter((m) => m.tenantId === created.id) }).toEqual({
        kind,
        machines: [],
      });
      expect({ kind, hosts: sandboxMachinesOf(sim) }).toEqual({ kind, hosts: [] });
      for (const name of hostNames[i] ?? []) expect(namespaces()).not.toContain(name);
    }
  }, 300_000);

  it('fails the tenant with the vendor words when the provider refuses the create, leaving nothing', async () => {
    const provider = await register(fullAccount);
    const created = await operator.post<Tenant>('/v1/tenants', {
      ...newTenant({ apps: ['gotosocial'] }),
      placement: { provider: provider.name },
    });
    expect(created.status).toBe(202);
    const failed = await waitForStatus(created.body.id, 'failed', 60_000);
    // The operator reads what failed in their terms; ops staff read the vendor's words.
    expect(failed.error).toMatch(/^The deployment failed while creating the machine\./);
    expect(failed.error).not.toMatch(/droplet limit/);
    const operation = await ops.get<Operation & { errorDetail?: string }>(
      `/v1/operations/${created.body.operation.id}`,
    );
    expect(operation.body.steps[0]).toEqual(expect.objectContaining({ name: 'provision', status: 'failed' }));
    expect(operation.body.errorDetail).toMatch(/will exceed your droplet limit/);
    // A refusal no retry can change is not retried.
    const attempts = logLines(env.platform.logFile('provisioner')).filter(
      (e) =>
        e.activity === 'ensureMachine' &&
        e.workflowId === created.body.operation.id &&
        e.attempt !== undefined,
    );
    expect(new Set(attempts.map((e) => e.attempt))).toEqual(new Set([1]));
    expect(fullAccount.simulator.vms()).toEqual([]);
    const fleet = (await ops.get<{ items: Machine[] }>('/v1/machines')).body.items;
    expect(fleet.filter((m) => m.tenantId === created.body.id)).toEqual([]);

    expect((await operator.delete(`/v1/tenants/${created.body.id}`)).status).toBe(202);
    await waitForStatus(created.body.id, 'deleted', 60_000);
    expect((await ops.delete(`/v1/providers/${provider.id}`)).status).toBe(200);
  });

  it('never shows or logs a simulator credential', () => {
    const logs = join(env.dataDir, 'logs');
    const files = readdirSync(logs).map((f) => join(logs, f));
    const responses = join(env.dataDir, 'api-responses.jsonl');
    if (existsSync(responses)) files.push(responses);
    const found: string[] = [];
    for (const sim of [...simulated, fullAccount]) {
      for (const secret of sim.secrets) {
        for (const file of files) {
          if (readFileSync(file, 'utf8').includes(secret)) found.push(`${sim.kind} credential in ${file}`);
        }
      }
    }
    expect(found).toEqual([]);
  });
});
