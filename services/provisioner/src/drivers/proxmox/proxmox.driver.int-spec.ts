/**
 * The Proxmox driver against the in-process Proxmox simulator, whose VMs are real sandbox machines:
 * the driver contract with Proxmox's faults, the next-VMID race, and the connection test's refusals.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startProxmoxSimulator, type FaultRule, type RunningProxmoxSimulator } from '@fedops/simulators';
import { generateHostKeyPair } from '../../machines/host-keys';
import { ProviderError } from '../provider-error';
import { OWNER_LABELS, type MachineSpec } from '../resource-provider.driver';
import {
  createAsTemporalWould,
  describeDriverContract,
  testCallContext,
  type DriverContractEnvironment,
} from '../testing/driver-contract.test';
import { ProxmoxDriver, type ProxmoxDriverConfig } from './proxmox.driver';

const CLONE = '/qemu/\\d+/clone$';

/** The node machines go to (the template lives on pve1: clones onto pve2 use `target`, shared storage). */
const placement = {
  location: 'pve2',
  image: '9000',
  storage: 'cephpool',
  sizing: { vcpus: 1, memoryMiB: 1024, diskGiB: 8 },
};

async function startSimulator(prefix: string): Promise<{ sim: RunningProxmoxSimulator; stateDir: string }> {
  const stateDir = await mkdtemp(join(tmpdir(), `fedops-${prefix}-`));
  const sim = await startProxmoxSimulator({
    stateDir,
    namePrefix: prefix,
    bootDelayMs: 200,
    authFailureDelayMs: 50,
    cloneMs: 300,
    taskMs: 50,
  });
  return { sim, stateDir };
}

function driverFor(
  sim: RunningProxmoxSimulator,
  overrides: Partial<ProxmoxDriverConfig> = {},
): ProxmoxDriver {
  return new ProxmoxDriver({
    endpoint: sim.url,
    tokenId: sim.credentials.tokenId,
    tokenSecret: sim.credentials.tokenSecret,
    storage: 'cephpool',
    template: 9000,
    pollIntervalMs: 50,
    guestTimeoutMs: 60_000,
    // proxmox-api leaves its request timer running after a failed request: keep it short in tests.
    requestTimeoutMs: 5_000,
    ...overrides,
  });
}

/** What the simulator holds with this machine id, by tag or (before the tags are set) description. */
function machinesWithId(sim: RunningProxmoxSimulator, machineId: string): Array<{ id: string }> {
  return sim
    .proxmoxVms()
    .filter(
      (vm) =>
        !vm.template &&
        (vm.tags.includes(`${OWNER_LABELS.machineId}.${machineId}`) ||
          (vm.description ?? '').includes(`${OWNER_LABELS.machineId}: ${machineId}`)),
    )
    .map((vm) => ({ id: String(vm.vmid) }));
}

describeDriverContract({
  name: 'Proxmox VE',
  async setup(): Promise<DriverContractEnvironment> {
    const { sim, stateDir } = await startSimulator('fopve');
    const fault = async (rule: FaultRule): Promise<void> => {
      sim.faults.add(rule);
    };
    return {
      driver: driverFor(sim),
      placement,
      hostKeyFromSpec: false,
      machinesWithId: async (machineId) => machinesWithId(sim, machineId),
      createFaults: [
        {
          title: '500 on POST clone',
          inject: () => fault({ kind: 'server-error', method: 'POST', path: CLONE }),
        },
        {
          title: "503 'too many requests' (the rate-limit stand-in) on POST clone",
          inject: () => fault({ kind: 'rate-limit', method: 'POST', path: CLONE }),
        },
        {
          title: "500 'VM is locked (clone)' on PUT config",
          inject: () => fault({ kind: 'lock', method: 'PUT', path: '/config$' }),
        },
        {
          title: 'lost response of POST clone',
          inject: () => fault({ kind: 'lost-response', method: 'POST', path: CLONE }),
        },
        {
          title: 'clone task ends in error',
          inject: () =>
            fault({
              kind: 'task-error',
              method: 'POST',
              path: CLONE,
              message:
                'clone failed: rbd error: rbd: error opening image vm-101-disk-0: (2) No such file or directory',
            }),
        },
        {
          title: 'slow clone task',
          inject: () => fault({ kind: 'slow-task', method: 'POST', path: CLONE, delayMs: 2500 }),
        },
        {
          title: '500 on polling the clone task',
          inject: () =>
            fault({ kind: 'server-error', method: 'GET', path: '/tasks/UPID:[^/]*:qmclone:[^/]*/status$' }),
        },
        {
          title: 'lost response of POST status/start',
          inject: () => fault({ kind: 'lost-response', method: 'POST', path: '/status/start$' }),
        },
      ],
      slowDownNextCreate: () => fault({ kind: 'slow-task', method: 'POST', path: CLONE, delayMs: 10_000 }),
      clearFaults: async () => {
        sim.faults.clear();
        sim.raceNextId(0);
      },
      teardown: async () => {
        await sim.close({ destroyMachines: true });
        await rm(stateDir, { recursive: true, force: true });
      },
    };
  },
});

describe('Proxmox VE driver, beyond the contract', () => {
  let sim: RunningProxmoxSimulator;
  let stateDir: string;
  let driver: ProxmoxDriver;

  beforeAll(async () => {
    ({ sim, stateDir } = await startSimulator('fopvx'));
    driver = driverFor(sim);
  }, 60_000);

  afterAll(async () => {
    await sim?.close({ destroyMachines: true });
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  }, 120_000);

  async function spec(platform: string): Promise<MachineSpec> {
    const machineId = randomUUID();
    const key = await generateHostKeyPair('platform');
    return {
      machineId,
      name: `fo-${machineId.slice(0, 8)}`,
      ...placement,
      sshAuthorizedKeys: [key.publicKey],
      hostKey: await generateHostKeyPair(),
      labels: {
        [OWNER_LABELS.machineId]: machineId,
        [OWNER_LABELS.tenantId]: randomUUID(),
        [OWNER_LABELS.platform]: platform,
      },
    };
  }

  it('8 concurrent creates handed the same next VMID end with exactly 8 VMs', async () => {
    const platform = `race-${randomUUID().slice(0, 8)}`;
    const specs = await Promise.all(Array.from({ length: 8 }, () => spec(platform)));
    sim.raceNextId(8);
    // Every loser of a round gets "already exists" and retries, so the last of 8 needs 8 attempts.
    const outcomes = await Promise.all(specs.map((s) => createAsTemporalWould(driver, s, 10)));
    const failures = outcomes.flatMap((o) => o.failures);
    expect(failures.length).toBeGreaterThan(0);
    for (const failure of failures) {
      expect(failure).toBeInstanceOf(ProviderError);
      expect((failure as ProviderError).refusal.retryable).toBe(true);
      expect((failure as ProviderError).message).toMatch(/already exists/);
    }
    const ids = outcomes.map((o) => o.machine.providerId);
    expect(new Set(ids).size).toBe(8);
    for (const s of specs) expect(machinesWithId(sim, s.machineId)).toHaveLength(1);
    const listed = await driver.listByLabels({ [OWNER_LABELS.platform]: platform }, testCallContext());
    expect(listed.map((m) => m.providerId).sort()).toEqual([...ids].sort());
    expect(new Set(outcomes.map((o) => o.machine.address)).size).toBe(8);
    await Promise.all(ids.map((id) => driver.delete(id, testCallContext())));
    expect(sim.vms()).toHaveLength(0);
  }, 240_000);

  it('a clone whose answer was lost is found again (still nameless, locked) and not cloned twice', async () => {
    const s = await spec(`lost-${randomUUID().slice(0, 8)}`);
    const lostBefore = sim.faults.fired['lost-response'];
    sim.faults.add({ kind: 'lost-response', method: 'POST', path: CLONE });
    const { machine, failures } = await createAsTemporalWould(driver, s);
    expect(sim.faults.fired['lost-response']).toBe(lostBefore + 1);
    // proxmox-api re-sends the POST after the dropped connection: the clone was already under way.
    expect(failures).toHaveLength(1);
    expect((failures[0] as ProviderError).refusal).toMatchObject({
      status: 500,
      message: expect.stringMatching(/^unable to create VM \d+: config file already exists$/) as unknown,
      retryable: true,
    });
    expect(machinesWithId(sim, s.machineId)).toEqual([{ id: machine.providerId }]);
    await driver.delete(machine.providerId, testCallContext());
  }, 60_000);

  it('a failed clone task is retried with a new clone; the failed one left nothing behind', async () => {
    const s = await spec(`fail-${randomUUID().slice(0, 8)}`);
    sim.faults.add({ kind: 'task-error', method: 'POST', path: CLONE, message: 'clone failed: got timeout' });
    const { machine, failures } = await createAsTemporalWould(driver, s);
    expect(failures).toHaveLength(1);
    expect((failures[0] as ProviderError).refusal).toMatchObject({
      code: 'clone failed: got timeout',
      retryable: true,
    });
    expect(machinesWithId(sim, s.machineId)).toEqual([{ id: machine.providerId }]);
    await driver.delete(machine.providerId, testCallContext());
  }, 60_000);

  it('a clone whose configuration never succeeded (no tags yet) is still found by its labels and deleted', async () => {
    const s = await spec(`untagged-${randomUUID().slice(0, 8)}`);
    const rule = sim.faults.add({
      kind: 'server-error',
      method: 'PUT',
      path: '/qemu/\\d+/config$',
      times: 0,
    });
    await expect(driver.create(s, testCallContext())).rejects.toBeInstanceOf(ProviderError);
    sim.faults.clear();
    expect(rule).toBeGreaterThan(0);
    const [vm] = machinesWithId(sim, s.machineId);
    expect(vm).toBeDefined();
    const found = await driver.listByLabels({ [OWNER_LABELS.machineId]: s.machineId }, testCallContext());
    expect(found.map((m) => m.providerId)).toEqual([vm?.id]);
    expect(found[0]?.labels[OWNER_LABELS.platform]).toBe(s.labels[OWNER_LABELS.platform]);
    expect(await driver.delete(vm?.id ?? '', testCallContext())).toBe(true);
    expect(machinesWithId(sim, s.machineId)).toEqual([]);
  }, 60_000);

  it('a start re-sent by the client after a lost answer ("already running") is a success', async () => {
    const s = await spec(`start-${randomUUID().slice(0, 8)}`);
    const lostBefore = sim.faults.fired['lost-response'];
    sim.faults.add({ kind: 'lost-response', method: 'POST', path: '/status/start$' });
    const { machine, failures } = await createAsTemporalWould(driver, s);
    expect(sim.faults.fired['lost-response']).toBe(lostBefore + 1);
    expect(failures).toEqual([]);
    expect(machine.status).toBe('running');
    await driver.delete(machine.providerId, testCallContext());
  }, 60_000);

  it('testConnection names the nodes and who we are', async () => {
    const report = await driver.testConnection(testCallContext());
    expect(report.locations).toEqual(['pve1', 'pve2']);
    expect(report.identity).toContain(sim.credentials.tokenId);
  });

  it('capacity reports free memory and the free space of the clone storage', async () => {
    const capacity = await driver.capacity(testCallContext());
    const pve2 = capacity.locations.find((l) => l.name === 'pve2');
    expect(pve2).toMatchObject({ available: true });
    expect(pve2?.freeMemoryMiB).toBeGreaterThan(0);
    expect(pve2?.freeDiskGiB).toBeGreaterThan(0);
  });

  it('a bad token is a non-retryable refusal with the 401 reason', async () => {
    const bad = driverFor(sim, { tokenSecret: randomUUID() });
    const err: unknown = await bad.testConnection(testCallContext()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).refusal).toMatchObject({
      status: 401,
      message: 'Authentication failed!',
      retryable: false,
    });
  });

  it('an unreachable endpoint is a retryable network error naming the endpoint', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const nowhere = driverFor(sim, { endpoint: `http://127.0.0.1:${port}`, requestTimeoutMs: 1_000 });
    const err: unknown = await nowhere.testConnection(testCallContext()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).refusal.retryable).toBe(true);
    expect((err as ProviderError).refusal.message).toMatch(
      new RegExp(`^cannot reach Proxmox VE at http://127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`),
    );
  });
});
