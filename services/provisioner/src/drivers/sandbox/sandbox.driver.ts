import { setTimeout as delay } from 'node:timers/promises';
import { FedopsError, FedopsErrorCode } from '@fedops/domain';
import type { ListedSandboxHost, SandboxHost, SandboxHostManager } from '@fedops/sandbox-host';
import { ProviderError } from '../provider-error';
import type {
  ConnectionReport,
  DriverCallContext,
  DriverMachine,
  MachineSizing,
  MachineSpec,
  ProviderCapacity,
  ReachableMachine,
  ResourceProviderDriver,
} from '../resource-provider.driver';
import { matchesLabels, readMetadata, writeMetadata, type SandboxMachineMetadata } from './sandbox-metadata';

/** The one location of a sandbox provider: machines live on the provisioner's own host. */
export const SANDBOX_LOCATION = 'local';
/** The one image a sandbox provider offers (a sandbox machine has no disk image). */
export const SANDBOX_IMAGE = 'sandbox';
/** How often a create heartbeats while it waits out the boot delay. */
const HEARTBEAT_MS = 1000;

/**
 * Machines on this host: each is a sandbox host (libs/sandbox-host: a network namespace with its own
 * address, a real sshd and a root folder) labelled with the spec's machine id, so a retried create
 * finds the machine an earlier attempt made. Configuration activation uses the sandbox stand-in.
 *
 * - providerId is the namespace name (`<prefix>-<8 hex>`).
 * - The machine's identity is the spec's: its authorized_keys hold `spec.sshAuthorizedKeys` and it
 *   presents `spec.hostKey`, both fixed when the host is made (a later create does not re-key it).
 * - Name, owner labels and sizing are kept in a small JSON file in the host's folder (see
 *   sandbox-metadata.ts), as a cloud keeps a server's name, labels and type. Sizing is recorded, not
 *   enforced: a sandbox machine is a namespace sharing the host's CPUs, memory and disk.
 * - Switched off = its sshd is stopped (namespace, address and files stay; processes started over
 *   SSH are not killed); `start` brings sshd back through the manager's repair. Status is read from
 *   the host itself: `running` while its sshd runs, `stopped` otherwise.
 */
export class SandboxDriver implements ResourceProviderDriver {
  readonly kind = 'sandbox' as const;

  constructor(
    private readonly hosts: SandboxHostManager,
    /**
     * Simulated boot time of a new machine, so timing and crash behaviour resemble a VM's. A function
     * is asked at each create of a new machine (tests lengthen one boot).
     */
    private readonly bootDelayMs: number | (() => number),
  ) {}

  async testConnection(_ctx: DriverCallContext): Promise<ConnectionReport> {
    const usable = await this.call('check the sandbox state folder', () => this.hosts.checkUsable(), false);
    return { locations: [SANDBOX_LOCATION], identity: `sandbox host state in ${usable.stateDir}` };
  }

  capacity(_ctx: DriverCallContext): Promise<ProviderCapacity> {
    // Free memory and disk are the host's own, shared with everything else on it: not reported.
    return Promise.resolve({ locations: [{ name: SANDBOX_LOCATION, available: true }] });
  }

  async create(spec: MachineSpec, ctx: DriverCallContext): Promise<ReachableMachine> {
    ctx.signal.throwIfAborted();
    refuseUnoffered(spec);
    const label = spec.machineId;
    const fresh = (await this.call('look up the machine', () => this.hosts.findHost(label))) === undefined;
    const host = await this.call('create the machine', () =>
      this.hosts.ensureHost(label, {
        authorizedKeys: spec.sshAuthorizedKeys,
        hostPrivateKey: spec.hostKey.privateKey,
      }),
    );
    ctx.heartbeat({ providerId: host.name });
    // Recorded as soon as the machine exists, as a cloud labels a server at creation; a create that
    // crashed before this line is completed by the next one (same label, same host).
    const metadata: SandboxMachineMetadata = {
      version: 1,
      name: spec.name,
      labels: { ...spec.labels },
      sizing: { ...spec.sizing },
      ...(spec.size === undefined ? {} : { size: spec.size }),
    };
    await this.call('record the machine', () => writeMetadata(host.rootDir, metadata));
    if (fresh) await this.waitBoot(ctx, host);
    return {
      ...toDriverMachine(host, metadata, 'running'),
      address: host.address,
      sshPort: host.sshPort,
      sshUser: host.sshUser,
      sshHostKey: host.hostKey,
      fsRoot: host.rootDir,
      activation: 'sandbox-standin',
    };
  }

  async get(providerId: string, _ctx: DriverCallContext): Promise<DriverMachine | undefined> {
    const host = await this.hostNamed(providerId);
    return host && this.describe(host, await this.metadataOf(host));
  }

  async listByLabels(labels: Record<string, string>, _ctx: DriverCallContext): Promise<DriverMachine[]> {
    const hosts = await this.call('list machines', () => this.hosts.listHosts());
    const found = await Promise.all(
      hosts.map(async (host) => ({ host, metadata: await this.metadataOf(host) })),
    );
    // A host without metadata carries no labels: only an empty selector lists it.
    const matching = found.filter(({ metadata }) => matchesLabels(metadata?.labels ?? {}, labels));
    return Promise.all(matching.map(({ host, metadata }) => this.describe(host, metadata)));
  }

  async start(providerId: string, _ctx: DriverCallContext): Promise<void> {
    const host = await this.requireHost(providerId, 'start');
    // The recorded identity is kept: ensureHost repairs the host (network, sshd) and never re-keys it.
    await this.call('start the machine', () => this.hosts.ensureHost(host.label));
  }

  async stop(providerId: string, _ctx: DriverCallContext): Promise<void> {
    const host = await this.requireHost(providerId, 'stop');
    await this.call('stop the machine', () => this.hosts.stopSshd(host.label));
  }

  async reboot(providerId: string, ctx: DriverCallContext): Promise<void> {
    await this.stop(providerId, ctx);
    await this.start(providerId, ctx);
  }

  async resize(
    providerId: string,
    sizing: MachineSizing & { size?: string },
    _ctx: DriverCallContext,
  ): Promise<void> {
    const host = await this.requireHost(providerId, 'resize');
    const current = await this.metadataOf(host);
    const { size, ...wanted } = sizing;
    const metadata: SandboxMachineMetadata = {
      version: 1,
      name: current?.name ?? host.label,
      labels: current?.labels ?? {},
      // Recorded, not enforced (see the class comment). Disks never shrink, as on a VM.
      sizing: { ...wanted, diskGiB: Math.max(wanted.diskGiB, current?.sizing.diskGiB ?? 0) },
      ...((size ?? current?.size) === undefined ? {} : { size: size ?? current?.size }),
    };
    await this.call('record the new size', () => writeMetadata(host.rootDir, metadata));
  }

  async delete(providerId: string, _ctx: DriverCallContext): Promise<boolean> {
    const host = await this.hostNamed(providerId);
    if (!host) return false;
    return this.call('delete the machine', () => this.hosts.destroyHost(host.label));
  }

  private async hostNamed(providerId: string): Promise<ListedSandboxHost | undefined> {
    const hosts = await this.call('list machines', () => this.hosts.listHosts());
    return hosts.find((host) => host.name === providerId);
  }

  private async requireHost(providerId: string, action: string): Promise<ListedSandboxHost> {
    const host = await this.hostNamed(providerId);
    if (host) return host;
    throw new ProviderError(
      'sandbox',
      { status: 404, code: 'not_found', message: `No sandbox machine ${providerId}`, retryable: false },
      { action: `${action} machine ${providerId}` },
    );
  }

  private metadataOf(host: SandboxHost): Promise<SandboxMachineMetadata | undefined> {
    return this.call('read the machine record', () => readMetadata(host.rootDir), false);
  }

  private async describe(
    host: ListedSandboxHost,
    metadata: SandboxMachineMetadata | undefined,
  ): Promise<DriverMachine> {
    const running =
      host.namespacePresent &&
      (await this.call('check the machine', () => this.hosts.isSshdRunning(host.label)));
    return toDriverMachine(host, metadata, running ? 'running' : 'stopped');
  }

  /** Waits out the boot delay, heartbeating; rejects at once when the call is cancelled. */
  private async waitBoot(ctx: DriverCallContext, host: SandboxHost): Promise<void> {
    const total = typeof this.bootDelayMs === 'function' ? this.bootDelayMs() : this.bootDelayMs;
    const until = Date.now() + total;
    for (let left = total; left > 0; left = until - Date.now()) {
      await delay(Math.min(left, HEARTBEAT_MS), undefined, { signal: ctx.signal }).catch((err: unknown) => {
        ctx.signal.throwIfAborted();
        throw err;
      });
      ctx.heartbeat({ providerId: host.name, booting: true });
    }
  }

  /** Runs a manager call, turning its failures into provider errors (retryable unless they are the input's fault). */
  private async call<T>(action: string, task: () => Promise<T>, retryable = true): Promise<T> {
    try {
      return await task();
    } catch (err) {
      if (err instanceof ProviderError) throw err;
      const own =
        err instanceof FedopsError &&
        (err.code === FedopsErrorCode.ValidationFailed || err.code === FedopsErrorCode.ConfigurationInvalid);
      const code = err instanceof FedopsError ? err.code : undefined;
      throw new ProviderError(
        'sandbox',
        {
          ...(code === undefined ? {} : { code }),
          message: err instanceof Error ? err.message : String(err),
          retryable: retryable && !own,
        },
        { cause: err, action },
      );
    }
  }
}

/** A sandbox provider offers one location and one image: anything else is refused, as a cloud would. */
function refuseUnoffered(spec: MachineSpec): void {
  if (spec.location !== SANDBOX_LOCATION) {
    throw new ProviderError(
      'sandbox',
      {
        code: 'unknown_location',
        message: `Location "${spec.location}" does not exist; the sandbox host offers only "${SANDBOX_LOCATION}"`,
        retryable: false,
      },
      { action: 'create a machine' },
    );
  }
  if (spec.image !== SANDBOX_IMAGE) {
    throw new ProviderError(
      'sandbox',
      {
        code: 'unknown_image',
        message: `Image "${spec.image}" does not exist; the sandbox host offers only "${SANDBOX_IMAGE}"`,
        retryable: false,
      },
      { action: 'create a machine' },
    );
  }
}

function toDriverMachine(
  host: SandboxHost,
  metadata: SandboxMachineMetadata | undefined,
  status: DriverMachine['status'],
): DriverMachine {
  return {
    providerId: host.name,
    // A host the driver never recorded (made before machines had metadata): its label, size unknown (0).
    name: metadata?.name ?? host.label,
    status,
    labels: { ...(metadata?.labels ?? {}) },
    location: SANDBOX_LOCATION,
    sizing: metadata ? { ...metadata.sizing } : { vcpus: 0, memoryMiB: 0, diskGiB: 0 },
    address: host.address,
  };
}
