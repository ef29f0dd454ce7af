import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, SandboxHostManager } from '@fedops/sandbox-host';
import { generateHostKeyPair } from '../../machines/host-keys';
import { ProviderError } from '../provider-error';
import type { MachineSpec } from '../resource-provider.driver';
import { describeDriverContract, testCallContext } from '../testing/driver-contract.test';
import { SANDBOX_IMAGE, SANDBOX_LOCATION, SandboxDriver } from './sandbox.driver';

const BOOT_DELAY_MS = 200;
/** What slowDownNextCreate adds: far longer than the contract waits before cancelling. */
const SLOW_BOOT_MS = 20_000;

/** The identity an earlier attempt at `spec` would have given its machine. */
function identityOf(spec: MachineSpec): { authorizedKeys: string[]; hostPrivateKey: string } {
  return { authorizedKeys: spec.sshAuthorizedKeys, hostPrivateKey: spec.hostKey.privateKey };
}

/** Kills every process in a namespace (what a power cut does to a machine). */
async function killNamespace(name: string): Promise<void> {
  const { stdout } = await run('ip', ['netns', 'pids', name]);
  for (const pid of stdout.split('\n').filter(Boolean)) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  const until = Date.now() + 10_000;
  while ((await run('ip', ['netns', 'pids', name])).stdout.trim() !== '') {
    if (Date.now() > until) throw new Error(`processes in ${name} did not exit`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A real sandbox host manager in a temp state dir (prefix `fsd`) and the driver over it. */
async function sandboxEnvironment(bootDelayMs = BOOT_DELAY_MS): Promise<{
  dir: string;
  manager: SandboxHostManager;
  driver: SandboxDriver;
  /** Makes the next sshd start fail, as a machine whose first boot goes wrong. */
  failNextSshd(): Promise<void>;
  /** Adds to the next new machine's boot delay. */
  slowNextBoot(extraMs: number): void;
  clear(): Promise<void>;
  teardown(): Promise<void>;
}> {
  const dir = await mkdtemp(join(tmpdir(), 'fedops-sandbox-driver-'));
  // sshd fails once while this file exists.
  const failFlag = join(dir, 'fail-next-sshd');
  const sshdWrapper = join(dir, 'sshd');
  await writeFile(
    sshdWrapper,
    [
      '#!/bin/sh',
      `if rm ${failFlag} 2>/dev/null; then echo "sshd: simulated failure on first boot" >&2; exit 1; fi`,
      'exec /usr/sbin/sshd "$@"',
      '',
    ].join('\n'),
    { mode: 0o755 },
  );
  // No manager-wide keys: every machine gets the spec's own identity.
  const manager = new SandboxHostManager({
    stateDir: join(dir, 'state'),
    namePrefix: 'fsd',
    authorizedKeys: [],
    sshdPath: sshdWrapper,
  });
  let extraBootMs = 0;
  const driver = new SandboxDriver(manager, () => {
    const total = bootDelayMs + extraBootMs;
    extraBootMs = 0;
    return total;
  });
  return {
    dir,
    manager,
    driver,
    failNextSshd: () => writeFile(failFlag, ''),
    slowNextBoot(extraMs) {
      extraBootMs = extraMs;
    },
    async clear() {
      extraBootMs = 0;
      await rm(failFlag, { force: true });
    },
    async teardown() {
      try {
        await manager.destroyAll();
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}

describeDriverContract({
  name: 'sandbox',
  async setup() {
    const env = await sandboxEnvironment();
    const { manager, driver } = env;
    return {
      driver,
      placement: {
        location: SANDBOX_LOCATION,
        image: SANDBOX_IMAGE,
        sizing: { vcpus: 1, memoryMiB: 1024, diskGiB: 10 },
      },
      async machinesWithId(machineId) {
        // The host's own view: every sandbox host labelled with the machine id, recorded by the driver or not.
        const hosts = await manager.listHosts();
        return hosts.filter((host) => host.label === machineId).map((host) => ({ id: host.name }));
      },
      createFaults: [
        {
          title: "sshd fails to start on the machine's first boot",
          inject: () => env.failNextSshd(),
        },
        {
          title:
            'an earlier attempt crashed after making the machine, before recording it, and its sshd died',
          async inject(spec) {
            await manager.ensureHost(spec.machineId, identityOf(spec));
            await manager.stopSshd(spec.machineId);
            const listed = await driver.listByLabels({ 'fedops-machine': spec.machineId }, testCallContext());
            if (listed.length !== 0) throw new Error('the half-made machine must not carry labels yet');
          },
        },
        {
          title: 'the host restarted after an earlier attempt (namespace, veth and sshd gone)',
          async inject(spec) {
            const host = await manager.ensureHost(spec.machineId, identityOf(spec));
            await killNamespace(host.name);
            await run('ip', ['link', 'del', host.name]);
            await run('ip', ['netns', 'del', host.name]);
          },
        },
      ],
      slowDownNextCreate() {
        env.slowNextBoot(SLOW_BOOT_MS);
        return Promise.resolve();
      },
      clearFaults: () => env.clear(),
      teardown: () => env.teardown(),
    };
  },
});

describe('sandbox driver specifics', () => {
  let env: Awaited<ReturnType<typeof sandboxEnvironment>>;
  let clientKey: string;

  async function newSpec(): Promise<MachineSpec> {
    const machineId = randomUUID();
    return {
      machineId,
      name: `fo-${machineId.slice(0, 8)}`,
      location: SANDBOX_LOCATION,
      image: SANDBOX_IMAGE,
      sizing: { vcpus: 1, memoryMiB: 1024, diskGiB: 10 },
      sshAuthorizedKeys: [clientKey],
      hostKey: await generateHostKeyPair(),
      labels: { 'fedops-machine': machineId, 'fedops-platform': 'specifics' },
    };
  }

  beforeAll(async () => {
    env = await sandboxEnvironment(2500);
    const key = join(env.dir, 'client');
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    clientKey = (await readFile(`${key}.pub`, 'utf8')).trim();
  });

  afterAll(async () => {
    await env?.teardown();
  });

  it('a failed first boot is a retryable provider error with the host’s words, and leaves nothing behind', async () => {
    const spec = await newSpec();
    await env.failNextSshd();
    const err: unknown = await env.driver.create(spec, testCallContext()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).retryable).toBe(true);
    expect((err as ProviderError).message).toMatch(/failed to start.*simulated failure on first boot/);
    expect(await env.manager.listHosts()).toEqual([]);
  });

  it('create heartbeats while a new machine boots, and skips the boot for one that exists', async () => {
    const spec = await newSpec();
    const first = testCallContext();
    const machine = await env.driver.create(spec, first);
    expect(first.beats).toBeGreaterThanOrEqual(3);
    const again = testCallContext();
    const started = Date.now();
    expect((await env.driver.create(spec, again)).providerId).toBe(machine.providerId);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(again.beats).toBe(1);
    const [listed] = await env.driver.listByLabels({ 'fedops-platform': 'specifics' }, testCallContext());
    expect(listed).toMatchObject({
      name: spec.name,
      sizing: spec.sizing,
      location: 'local',
      status: 'running',
    });
    await env.driver.stop(machine.providerId, testCallContext());
    await expect(env.driver.get(machine.providerId, testCallContext())).resolves.toMatchObject({
      status: 'stopped',
    });
    await expect(env.driver.start('fsd-00000000', testCallContext())).rejects.toMatchObject({
      refusal: { code: 'not_found', retryable: false },
    });
    expect(await env.driver.delete(machine.providerId, testCallContext())).toBe(true);
  }, 30_000);

  it('a host the driver never recorded is listed by get, without labels, and not by a label selector', async () => {
    const spec = await newSpec();
    const host = await env.manager.ensureHost(spec.machineId, { authorizedKeys: [clientKey] });
    expect(await env.driver.get(host.name, testCallContext())).toMatchObject({
      providerId: host.name,
      name: spec.machineId,
      labels: {},
      status: 'running',
    });
    expect(await env.driver.listByLabels({ 'fedops-machine': spec.machineId }, testCallContext())).toEqual(
      [],
    );
    expect(await env.driver.delete(host.name, testCallContext())).toBe(true);
  });
});
