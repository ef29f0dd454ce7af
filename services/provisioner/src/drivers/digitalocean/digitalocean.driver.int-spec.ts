import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDigitalOceanSimulator, type FaultRule, type RunningSimulator } from '@fedops/simulators';
import { generateHostKeyPair } from '../../machines/host-keys';
import { ProviderError } from '../provider-error';
import { OWNER_LABELS, type MachineSpec } from '../resource-provider.driver';
import {
  createAsTemporalWould,
  describeDriverContract,
  testCallContext,
} from '../testing/driver-contract.test';
import { DigitalOceanDriver } from './digitalocean.driver';

const BOOT_DELAY_MS = 200;

/** A port nothing listens on. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Real clients poll every few seconds; 400 ms keeps the suite short and well under the burst limit
 * of 250 requests a minute (the contract suite makes about 200 in all).
 */
const POLL_MS = 400;
const PLACEMENT = {
  location: 'nyc1',
  image: 'ubuntu-24-04-x64',
  size: 's-1vcpu-1gb',
  sizing: { vcpus: 1, memoryMiB: 1024, diskGiB: 25 },
};

/** A simulator (status lagging its actions a little, as DigitalOcean's may) and a driver pointed at it. */
async function digitalOceanEnvironment(namePrefix: string): Promise<{
  sim: RunningSimulator;
  driver: DigitalOceanDriver;
  fault(rule: FaultRule): void;
  machinesWithId(machineId: string): Array<{ id: string }>;
  teardown(): Promise<void>;
}> {
  const dir = await mkdtemp(join(tmpdir(), 'fedops-do-driver-'));
  const sim = await startDigitalOceanSimulator({
    stateDir: join(dir, 'state'),
    namePrefix,
    bootDelayMs: BOOT_DELAY_MS,
    statusLagMs: 100,
  });
  const token = sim.credentials['token'] ?? '';
  const driver = new DigitalOceanDriver({
    endpoint: sim.url,
    token,
    pollIntervalMs: POLL_MS,
    activation: 'sandbox-standin',
  });
  return {
    sim,
    driver,
    fault: (rule) => void sim.faults.add(rule),
    machinesWithId: (machineId) =>
      sim
        .vms()
        .filter((vm) => `${OWNER_LABELS.machineId}:${machineId}` in vm.labels)
        .map((vm) => ({ id: vm.id })),
    async teardown() {
      try {
        await sim.close({ destroyMachines: true });
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}

describeDriverContract({
  name: 'digitalocean',
  async setup() {
    const env = await digitalOceanEnvironment('dodrv');
    const { driver, fault } = env;
    const onCreate = { method: 'POST', path: '^/v2/droplets$' };
    return {
      driver,
      placement: PLACEMENT,
      machinesWithId: (machineId) => Promise.resolve(env.machinesWithId(machineId)),
      createFaults: [
        {
          title: '500 server_error on POST /v2/droplets',
          inject: async () => fault({ kind: 'server-error', ...onCreate }),
        },
        {
          title: 'non-JSON 503 from the load balancer on POST /v2/droplets',
          inject: async () => fault({ kind: 'server-error', status: 503, ...onCreate }),
        },
        {
          title:
            '429 too_many_requests with ratelimit-remaining 0, ratelimit-reset and retry-after on POST /v2/droplets',
          inject: async () => fault({ kind: 'rate-limit', ...onCreate }),
        },
        {
          title:
            'lost response of POST /v2/droplets: the droplet is made, the answer never arrives (a blind retry would duplicate)',
          inject: async () => fault({ kind: 'lost-response', ...onCreate }),
        },
        {
          title: 'the create action ends errored, leaving a broken droplet',
          inject: async () => fault({ kind: 'task-error', ...onCreate }),
        },
        {
          title: 'the create action stays in-progress 3 s longer',
          inject: async () => fault({ kind: 'slow-task', delayMs: 3000, ...onCreate }),
        },
        {
          title: '500 while polling the create action',
          inject: async () => fault({ kind: 'server-error', method: 'GET', path: '^/v2/actions/\\d+$' }),
        },
        {
          title:
            'an earlier attempt made the droplet and it was powered off; power_on answers 422 "Droplet already has a pending event."',
          async inject(spec) {
            const earlier = await driver.create(spec, testCallContext());
            await driver.stop(earlier.providerId, testCallContext());
            fault({ kind: 'lock', method: 'POST', path: '^/v2/droplets/\\d+/actions$' });
          },
        },
      ],
      slowDownNextCreate() {
        fault({ kind: 'slow-task', delayMs: 10_000, ...onCreate });
        return Promise.resolve();
      },
      clearFaults() {
        // Every armed fault must have hit a request: a fault that never fired tested nothing.
        const unspent = env.sim.faults.list();
        env.sim.faults.clear();
        return unspent.length === 0
          ? Promise.resolve()
          : Promise.reject(new Error(`faults never fired: ${JSON.stringify(unspent)}`));
      },
      teardown: () => env.teardown(),
    };
  },
});

describe('digitalocean driver specifics', () => {
  let env: Awaited<ReturnType<typeof digitalOceanEnvironment>>;

  async function newSpec(): Promise<MachineSpec> {
    const machineId = randomUUID();
    const hostKey = await generateHostKeyPair();
    return {
      machineId,
      name: `fo-${machineId.slice(0, 8)}`,
      ...PLACEMENT,
      // Only the pinned host key's own public half: any key line does for a login the test never makes.
      sshAuthorizedKeys: [hostKey.publicKey],
      hostKey,
      labels: {
        [OWNER_LABELS.machineId]: machineId,
        [OWNER_LABELS.tenantId]: randomUUID(),
        [OWNER_LABELS.platform]: 'do-specifics',
      },
    };
  }

  beforeAll(async () => {
    env = await digitalOceanEnvironment('dodrs');
  }, 60_000);

  afterAll(async () => {
    await env?.teardown();
  }, 60_000);

  afterEach(() => env.sim.faults.clear());

  it('a bad token is a non-retryable refusal in DigitalOcean’s words', async () => {
    const driver = new DigitalOceanDriver({
      endpoint: env.sim.url,
      token: 'dop_v1_wrong',
      pollIntervalMs: POLL_MS,
    });
    const err: unknown = await driver.testConnection(testCallContext()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).refusal).toMatchObject({
      status: 401,
      code: 'unauthorized',
      message: 'Unable to authenticate you.',
      retryable: false,
    });
  });

  it('testConnection reports the account and the available regions only', async () => {
    const report = await env.driver.testConnection(testCallContext());
    expect(report.identity).toMatch(/^DigitalOcean team/);
    expect(report.locations).toContain('nyc3');
    expect(report.locations).not.toContain('nyc2');
  });

  it('429 and pending-event refusals are retryable and say when to come back', async () => {
    env.fault({ kind: 'rate-limit', method: 'GET', path: '^/v2/regions$', delayMs: 7000 });
    const limited: unknown = await env.driver.capacity(testCallContext()).catch((e: unknown) => e);
    expect((limited as ProviderError).refusal).toMatchObject({
      status: 429,
      code: 'too_many_requests',
      retryable: true,
      retryAfterSeconds: 7,
    });
    env.fault({ kind: 'server-error', status: 503, method: 'GET', path: '^/v2/regions$' });
    const html: unknown = await env.driver.capacity(testCallContext()).catch((e: unknown) => e);
    expect((html as ProviderError).refusal).toMatchObject({ status: 503, retryable: true });
    expect((html as ProviderError).refusal.message).toContain('503 Service Temporarily Unavailable');
  });

  it('create heartbeats while it waits, tags the droplet with every owner label, and an unreachable endpoint is retryable', async () => {
    const spec = await newSpec();
    const ctx = testCallContext();
    const machine = await env.driver.create(spec, ctx);
    expect(ctx.beats).toBeGreaterThan(0);
    expect(machine).toMatchObject({
      status: 'running',
      location: 'nyc1',
      sizing: { memoryMiB: 1024, diskGiB: 25 },
    });
    const vm = env.sim.vms().find((v) => v.id === machine.providerId);
    expect(Object.keys(vm?.labels ?? {}).sort()).toEqual(
      Object.entries(spec.labels)
        .map(([k, v]) => `${k}:${v}`)
        .sort(),
    );
    const twoLabels = await env.driver.listByLabels(
      {
        [OWNER_LABELS.platform]: 'do-specifics',
        [OWNER_LABELS.tenantId]: spec.labels[OWNER_LABELS.tenantId] ?? '',
      },
      testCallContext(),
    );
    expect(twoLabels.map((m) => m.providerId)).toEqual([machine.providerId]);
    expect(await env.driver.delete(machine.providerId, testCallContext())).toBe(true);

    const nowhere = new DigitalOceanDriver({
      endpoint: `http://127.0.0.1:${await freePort()}/v2`,
      token: 'x',
    });
    const err: unknown = await nowhere.capacity(testCallContext()).catch((e: unknown) => e);
    expect((err as ProviderError).refusal).toMatchObject({ code: 'ECONNREFUSED', retryable: true });
  }, 60_000);

  it('a create retried as Temporal would after a lost response adopts the droplet instead of duplicating it', async () => {
    const spec = await newSpec();
    env.fault({ kind: 'lost-response', method: 'POST', path: '^/v2/droplets$' });
    const { machine, failures } = await createAsTemporalWould(env.driver, spec);
    expect(failures).toHaveLength(1);
    expect((failures[0] as ProviderError).retryable).toBe(true);
    expect(env.machinesWithId(spec.machineId)).toEqual([{ id: machine.providerId }]);
    await env.driver.delete(machine.providerId, testCallContext());
  }, 60_000);
});
