import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningSimulator, startHetznerSimulator } from '@fedops/simulators';
import { generateHostKeyPair } from '../../machines/host-keys';
import { ProviderError } from '../provider-error';
import { describeDriverContract, testCallContext } from '../testing/driver-contract.test';
import { HetznerApi } from './hetzner-api';
import { HetznerDriver } from './hetzner.driver';

/**
 * The Hetzner driver against the Hetzner simulator (real HTTP, real sandbox machines), through the
 * contract every driver passes, and the Hetzner-specific refusals.
 */
const SERVERS = '^/v1/servers$';

describeDriverContract({
  name: 'Hetzner Cloud',
  async setup() {
    const stateDir = await mkdtemp(join(tmpdir(), 'fedops-hetzner-contract-'));
    const sim = await startHetznerSimulator({
      stateDir,
      namePrefix: 'hzd',
      bootDelayMs: 200,
      actionDelayMs: 100,
    });
    const driver = new HetznerDriver({
      endpoint: sim.url,
      token: sim.credentials['token'] ?? '',
      pollIntervalMs: 100,
      activation: 'sandbox-standin',
    });
    const arm = (rule: Parameters<RunningSimulator['faults']['add']>[0]) => async (): Promise<void> => {
      sim.faults.add(rule);
    };
    return {
      driver,
      placement: {
        location: 'fsn1',
        image: 'ubuntu-24.04',
        size: 'cpx11',
        sizing: { vcpus: 2, memoryMiB: 2048, diskGiB: 40 },
      },
      async machinesWithId(machineId) {
        return sim
          .vms()
          .filter((vm) => vm.labels['fedops-machine'] === machineId)
          .map((vm) => ({ id: vm.id }));
      },
      createFaults: [
        {
          title: '500 server_error on POST /v1/servers',
          inject: arm({ kind: 'server-error', method: 'POST', path: SERVERS }),
        },
        {
          title: '503 unavailable on POST /v1/servers',
          inject: arm({ kind: 'server-error', method: 'POST', path: SERVERS, status: 503 }),
        },
        {
          title: '429 rate_limit_exceeded with RateLimit headers on POST /v1/servers',
          inject: arm({ kind: 'rate-limit', method: 'POST', path: SERVERS }),
        },
        {
          title: '423 locked on POST /v1/servers',
          inject: arm({ kind: 'lock', method: 'POST', path: SERVERS }),
        },
        {
          title: 'lost response of POST /v1/servers (server made)',
          inject: arm({ kind: 'lost-response', method: 'POST', path: SERVERS }),
        },
        {
          title: 'create_server action ends in error',
          inject: arm({
            kind: 'task-error',
            method: 'POST',
            path: SERVERS,
            message: 'host failure during creation',
          }),
        },
        {
          title: 'slow create_server action',
          inject: arm({ kind: 'slow-task', method: 'POST', path: SERVERS, delayMs: 1500 }),
        },
        {
          title: '500 on the first action poll',
          inject: arm({ kind: 'server-error', method: 'GET', path: '^/v1/actions$' }),
        },
      ],
      async slowDownNextCreate() {
        sim.faults.add({ kind: 'slow-task', method: 'POST', path: SERVERS, delayMs: 12_000 });
      },
      async clearFaults() {
        sim.faults.clear();
      },
      async teardown() {
        await sim.close({ destroyMachines: true });
        await rm(stateDir, { recursive: true, force: true });
      },
    };
  },
});

describe('Hetzner driver refusals', () => {
  let stateDir: string;
  let sim: RunningSimulator;
  let limited: RunningSimulator;

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'fedops-hetzner-refusals-'));
    sim = await startHetznerSimulator({ stateDir: join(stateDir, 'a'), namePrefix: 'hzr', bootDelayMs: 100 });
    // A bucket of 8 requests that comes back slowly: a connection test makes two (locations and server
    // types), so the fifth test in a row is refused.
    limited = await startHetznerSimulator({
      stateDir: join(stateDir, 'b'),
      namePrefix: 'hzl',
      rateLimit: { limit: 8, refillPerSecond: 0.01 },
    });
  });

  afterAll(async () => {
    await sim?.close({ destroyMachines: true });
    await limited?.close({ destroyMachines: true });
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  it('a bad token is a non-retryable refusal in the API’s words', async () => {
    const driver = new HetznerDriver({ endpoint: sim.url, token: 'not-the-token', pollIntervalMs: 50 });
    const err: unknown = await driver.testConnection(testCallContext()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).refusal).toMatchObject({
      status: 401,
      code: 'unauthorized',
      message: 'unable to authenticate',
      retryable: false,
    });
  });

  it('an unreachable endpoint is a retryable refusal', async () => {
    const driver = new HetznerDriver({ endpoint: 'http://127.0.0.1:9/v1', token: 'x', pollIntervalMs: 50 });
    const err: unknown = await driver.testConnection(testCallContext()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).refusal.retryable).toBe(true);
    expect((err as ProviderError).refusal.message).toMatch(/could not reach/);
  });

  it('the real rate limit turns into a retryable refusal with a time to come back', async () => {
    const driver = new HetznerDriver({ endpoint: limited.url, token: limited.credentials['token'] ?? '' });
    const outcomes: unknown[] = [];
    for (let i = 0; i < 5; i++)
      outcomes.push(await driver.testConnection(testCallContext()).catch((e: unknown) => e));
    const refused = outcomes.filter((o): o is ProviderError => o instanceof ProviderError);
    expect(refused).toHaveLength(1);
    expect(refused[0]?.refusal).toMatchObject({ status: 429, code: 'rate_limit_exceeded', retryable: true });
    expect(refused[0]?.refusal.retryAfterSeconds).toBeGreaterThanOrEqual(1);
  });

  it('reads every page of a list (per_page 50, following next_page)', async () => {
    const token = sim.credentials['token'] ?? '';
    for (let i = 0; i < 57; i++) {
      const response = await fetch(`${sim.url}/ssh_keys`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: `page-${i}`, public_key: openSshPublicKey() }),
      });
      expect(response.status).toBe(201);
    }
    const api = new HetznerApi(sim.url, token, 50, 10_000);
    const keys = await api.all<{ name: string }>('/ssh_keys', 'ssh_keys', testCallContext(), {
      action: 'list keys',
    });
    expect(keys.filter((k) => k.name.startsWith('page-'))).toHaveLength(57);
    expect(new Set(keys.map((k) => k.name)).size).toBe(keys.length);
  });

  it('a server name taken by a server that is not this machine’s is a non-retryable conflict', async () => {
    const token = sim.credentials['token'] ?? '';
    const name = `taken-${randomUUID().slice(0, 8)}`;
    const foreign = await fetch(`${sim.url}/servers`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name, server_type: 'cpx11', image: 'debian-12', location: 'nbg1' }),
    });
    expect(foreign.status).toBe(201);
    const machineId = randomUUID();
    const driver = new HetznerDriver({ endpoint: sim.url, token, pollIntervalMs: 50 });
    const err: unknown = await driver
      .create(
        {
          machineId,
          name,
          sizing: { vcpus: 2, memoryMiB: 2048, diskGiB: 40 },
          size: 'cpx11',
          image: 'debian-12',
          location: 'nbg1',
          sshAuthorizedKeys: [],
          hostKey: await generateHostKeyPair(),
          labels: { 'fedops-machine': machineId },
        },
        testCallContext(),
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).refusal).toMatchObject({ code: 'uniqueness_error', retryable: false });
    expect(sim.vms().filter((vm) => vm.labels['fedops-machine'] === machineId)).toHaveLength(0);
  });
});

/** A fresh `ssh-ed25519 ...` public key line. */
function openSshPublicKey(): string {
  const raw = Buffer.from(
    generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }).x ?? '',
    'base64url',
  );
  const part = (data: Buffer): Buffer => Buffer.concat([Buffer.from([0, 0, 0, data.length]), data]);
  return `ssh-ed25519 ${Buffer.concat([part(Buffer.from('ssh-ed25519')), part(raw)]).toString('base64')}`;
}
