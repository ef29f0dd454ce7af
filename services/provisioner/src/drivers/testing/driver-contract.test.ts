/**
 * The contract every resource-provider driver passes (test helper, not a test: `*.test.ts` is neither
 * built nor collected). Each driver's `*.int-spec.ts` calls `describeDriverContract` with a target that
 * starts its simulator (or, for the sandbox driver, nothing) and says how to inject the vendor's faults.
 *
 * Faults are injected into the simulator; the test then plays Temporal's part: it calls the driver
 * again after a retryable error, as the activity's retry policy would, and checks that exactly one
 * machine exists in the end and that it is the reachable one the driver returned.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { run } from '@fedops/sandbox-host';
import { FedopsError } from '@fedops/domain';
import { generateHostKeyPair } from '../../machines/host-keys';
import { ProviderError } from '../provider-error';
import {
  OWNER_LABELS,
  type DriverCallContext,
  type MachineSpec,
  type ReachableMachine,
  type ResourceProviderDriver,
} from '../resource-provider.driver';

/** A fault a simulator can inject on one kind of call, in the simulators' shared vocabulary. */
export interface ContractFault {
  /** Shown in the test name, e.g. `429 on POST /v1/servers`. */
  title: string;
  /**
   * Injects the fault (once, or as the rule says) before the create of `spec` starts; `spec` lets a
   * fault stand for an earlier attempt at this very machine (e.g. one that crashed half-way).
   */
  inject(spec: MachineSpec): Promise<void>;
}

export interface DriverContractEnvironment {
  driver: ResourceProviderDriver;
  /** Location, image, size the provider offers (first of its catalogue). */
  placement: Pick<MachineSpec, 'location' | 'image' | 'size' | 'storage' | 'sizing'>;
  /** What the provider holds right now carrying this machine-id label (the simulator's own view). */
  machinesWithId(machineId: string): Promise<Array<{ id: string }>>;
  /** Faults of this provider that a create must survive with exactly one machine. */
  createFaults: ContractFault[];
  /** Makes the next create's task or action slow (at least 10 s), to test cancellation. */
  slowDownNextCreate(): Promise<void>;
  /** Removes every fault still armed. */
  clearFaults(): Promise<void>;
  /**
   * Whether machines present `spec.hostKey` (default true: clouds install it through cloud-init).
   * False: the driver reads the key the machine made itself (Proxmox, through the guest agent); the
   * SSH logins with that key pinned (StrictHostKeyChecking) prove it is the one the machine presents.
   */
  hostKeyFromSpec?: boolean;
  teardown(): Promise<void>;
}

export interface DriverContractTarget {
  name: string;
  /** Starts what the driver talks to; `authorizedKey` is the public key the tests log in with. */
  setup(authorizedKey: string): Promise<DriverContractEnvironment>;
}

/** A call context that never cancels; heartbeats are counted. */
export function testCallContext(signal: AbortSignal = new AbortController().signal): DriverCallContext & {
  beats: number;
} {
  const ctx = {
    signal,
    beats: 0,
    heartbeat(): void {
      ctx.beats += 1;
    },
  };
  return ctx;
}

/** Calls `create` as Temporal would: again after each retryable failure, at most `attempts` times. */
export async function createAsTemporalWould(
  driver: ResourceProviderDriver,
  spec: MachineSpec,
  attempts = 6,
): Promise<{ machine: ReachableMachine; failures: unknown[] }> {
  const failures: unknown[] = [];
  for (let attempt = 1; ; attempt++) {
    try {
      return { machine: await driver.create(spec, testCallContext()), failures };
    } catch (err) {
      failures.push(err);
      const retryable = err instanceof FedopsError ? (err as ProviderError).retryable === true : true;
      if (!retryable || attempt >= attempts) throw err;
    }
  }
}

/** One TCP connect to the machine's SSH port: `open` when something accepts, else `closed` (refused, silent). */
function probeSshPort(machine: ReachableMachine, timeoutMs = 2000): Promise<'open' | 'closed'> {
  return new Promise((resolve) => {
    const socket = connect({ host: machine.address, port: machine.sshPort, timeout: timeoutMs });
    const done = (state: 'open' | 'closed'): void => {
      socket.destroy();
      resolve(state);
    };
    socket.once('connect', () => done('open'));
    socket.once('timeout', () => done('closed'));
    socket.once('error', () => done('closed'));
  });
}

/** `closed` as soon as the SSH port stops accepting; `open` if it still does after `withinMs`. */
async function sshPortAfterStop(machine: ReachableMachine, withinMs = 10_000): Promise<'open' | 'closed'> {
  const deadline = Date.now() + withinMs;
  while ((await probeSshPort(machine)) === 'open') {
    if (Date.now() > deadline) return 'open';
    await delay(200);
  }
  return 'closed';
}

/** Logs in with the test key, accepting only the pinned host key; returns the remote hostname output. */
async function sshRun(
  machine: ReachableMachine,
  keyFile: string,
  dir: string,
  command: string,
): Promise<string> {
  const knownHosts = join(dir, `known_hosts-${machine.providerId}`);
  // known_hosts names a host on port 22 by its bare address; `[address]:22` would never match.
  const hostPattern = machine.sshPort === 22 ? machine.address : `[${machine.address}]:${machine.sshPort}`;
  await writeFile(knownHosts, `${hostPattern} ${machine.sshHostKey}\n`);
  const result = await run(
    'ssh',
    [
      '-i',
      keyFile,
      '-p',
      String(machine.sshPort),
      '-o',
      'BatchMode=yes',
      '-o',
      'IdentitiesOnly=yes',
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      `UserKnownHostsFile=${knownHosts}`,
      '-o',
      'ConnectTimeout=10',
      `${machine.sshUser}@${machine.address}`,
      command,
    ],
    { timeoutMs: 30_000 },
  );
  return result.stdout.trim();
}

export function describeDriverContract(target: DriverContractTarget): void {
  describe(`${target.name} driver contract`, () => {
    let env: DriverContractEnvironment;
    let dir: string;
    let keyFile: string;
    let authorizedKey: string;
    const platformLabel = `contract-${randomUUID().slice(0, 8)}`;

    async function newSpec(): Promise<MachineSpec> {
      const machineId = randomUUID();
      return {
        machineId,
        name: `fo-${machineId.slice(0, 8)}`,
        ...env.placement,
        sshAuthorizedKeys: [authorizedKey],
        hostKey: await generateHostKeyPair(),
        labels: {
          [OWNER_LABELS.machineId]: machineId,
          [OWNER_LABELS.tenantId]: randomUUID(),
          [OWNER_LABELS.platform]: platformLabel,
        },
      };
    }

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'fedops-driver-contract-'));
      keyFile = join(dir, 'id_ed25519');
      await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'contract', '-f', keyFile]);
      authorizedKey = (await readFile(`${keyFile}.pub`, 'utf8')).trim();
      env = await target.setup(authorizedKey);
    }, 180_000);

    afterEach(async () => {
      await env?.clearFaults();
    });

    afterAll(async () => {
      await env?.teardown();
      if (dir) await rm(dir, { recursive: true, force: true });
    }, 180_000);

    it('testConnection names the locations the credentials can see', async () => {
      const report = await env.driver.testConnection(testCallContext());
      expect(report.locations).toContain(env.placement.location);
    });

    it('capacity lists the location machines are placed in', async () => {
      const capacity = await env.driver.capacity(testCallContext());
      expect(capacity.locations.map((l) => l.name)).toContain(env.placement.location);
    });

    describe('one machine through its life', () => {
      let spec: MachineSpec;
      let machine: ReachableMachine;

      beforeAll(async () => {
        spec = await newSpec();
        machine = await env.driver.create(spec, testCallContext());
      }, 180_000);

      it('create returns a running machine that presents the pinned host key and lets the platform key in', async () => {
        expect(machine.status).toBe('running');
        if (env.hostKeyFromSpec === false)
          expect(machine.sshHostKey).toMatch(/^ssh-ed25519 [A-Za-z0-9+/]+=*$/);
        else expect(machine.sshHostKey).toBe(spec.hostKey.publicKey);
        expect(await sshRun(machine, keyFile, dir, 'echo reachable')).toBe('reachable');
      });

      it('create with the same machine id returns the same machine and makes no second one', async () => {
        const again = await env.driver.create(spec, testCallContext());
        expect(again.providerId).toBe(machine.providerId);
        expect(await env.machinesWithId(spec.machineId)).toHaveLength(1);
      });

      it('get and listByLabels find it with its owner labels', async () => {
        const got = await env.driver.get(machine.providerId, testCallContext());
        expect(got?.labels[OWNER_LABELS.machineId]).toBe(spec.machineId);
        const byId = await env.driver.listByLabels(
          { [OWNER_LABELS.machineId]: spec.machineId },
          testCallContext(),
        );
        expect(byId.map((m) => m.providerId)).toEqual([machine.providerId]);
        const byPlatform = await env.driver.listByLabels(
          { [OWNER_LABELS.platform]: platformLabel },
          testCallContext(),
        );
        expect(byPlatform.map((m) => m.providerId)).toContain(machine.providerId);
      });

      it('stop powers it off (SSH refused); start and reboot end with it running and reachable', async () => {
        await env.driver.stop(machine.providerId, testCallContext());
        expect((await env.driver.get(machine.providerId, testCallContext()))?.status).toBe('stopped');
        // Stopped means powered off: nothing answers on its SSH port any more.
        expect(await sshPortAfterStop(machine)).toBe('closed');
        await env.driver.start(machine.providerId, testCallContext());
        await env.driver.reboot(machine.providerId, testCallContext());
        expect((await env.driver.get(machine.providerId, testCallContext()))?.status).toBe('running');
        expect(await sshRun(machine, keyFile, dir, 'echo still-here')).toBe('still-here');
      }, 120_000);

      it('resize grows the machine', async () => {
        const bigger = {
          vcpus: spec.sizing.vcpus * 2,
          memoryMiB: spec.sizing.memoryMiB * 2,
          diskGiB: spec.sizing.diskGiB + 10,
        };
        await env.driver.resize(machine.providerId, bigger, testCallContext());
        const got = await env.driver.get(machine.providerId, testCallContext());
        expect(got?.sizing.memoryMiB).toBeGreaterThanOrEqual(bigger.memoryMiB);
        expect(got?.sizing.diskGiB).toBeGreaterThanOrEqual(bigger.diskGiB);
      }, 120_000);

      it('delete removes it; a second delete answers false', async () => {
        expect(await env.driver.delete(machine.providerId, testCallContext())).toBe(true);
        expect(await env.driver.get(machine.providerId, testCallContext())).toBeUndefined();
        expect(await env.machinesWithId(spec.machineId)).toHaveLength(0);
        expect(await env.driver.delete(machine.providerId, testCallContext())).toBe(false);
      }, 120_000);
    });

    describe('faults during create end with exactly one reachable machine', () => {
      // The faults come from the environment, known only after setup: one test walks them all and
      // names the fault in any failure.
      it('every injected create fault', async () => {
        expect(env.createFaults.length).toBeGreaterThan(0);
        for (const fault of env.createFaults) {
          const spec = await newSpec();
          await fault.inject(spec);
          let outcome: Awaited<ReturnType<typeof createAsTemporalWould>>;
          try {
            outcome = await createAsTemporalWould(env.driver, spec);
          } catch (err) {
            throw new Error(`create under "${fault.title}" did not succeed`, { cause: err });
          }
          await env.clearFaults();
          const held = await env.machinesWithId(spec.machineId);
          expect({ fault: fault.title, machines: held.map((m) => m.id) }).toEqual({
            fault: fault.title,
            machines: [outcome.machine.providerId],
          });
          expect(await sshRun(outcome.machine, keyFile, dir, 'echo ok')).toBe('ok');
          await env.driver.delete(outcome.machine.providerId, testCallContext());
        }
      }, 600_000);
    });

    it('a cancelled create stops waiting promptly, and a later create finds the same machine', async () => {
      const spec = await newSpec();
      await env.slowDownNextCreate();
      const abort = new AbortController();
      const ctx = testCallContext(abort.signal);
      const started = Date.now();
      const pending = env.driver.create(spec, ctx);
      setTimeout(() => abort.abort(), 1500);
      await expect(pending).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(8000);
      await env.clearFaults();
      const { machine } = await createAsTemporalWould(env.driver, spec);
      expect(await env.machinesWithId(spec.machineId)).toEqual([{ id: machine.providerId }]);
      await env.driver.delete(machine.providerId, testCallContext());
    }, 180_000);

    it('a provider refusal carries the provider’s own message and code', async () => {
      const spec = { ...(await newSpec()), image: 'no-such-image-fedops' };
      const err: unknown = await env.driver.create(spec, testCallContext()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ProviderError);
      const refusal = (err as ProviderError).refusal;
      expect(refusal.retryable).toBe(false);
      expect(refusal.message.length).toBeGreaterThan(0);
      expect(await env.machinesWithId(spec.machineId)).toHaveLength(0);
    }, 60_000);
  });
}
