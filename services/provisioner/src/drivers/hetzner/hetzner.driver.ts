import { createHash } from 'node:crypto';
import type { ActivationKind } from '@fedops/contracts';
import { FedopsError } from '@fedops/domain';
import { ProviderError } from '../provider-error';
import {
  OWNER_LABELS,
  type ConnectionReport,
  type DriverCallContext,
  type DriverMachine,
  type DriverMachineStatus,
  type MachineSizing,
  type MachineSpec,
  type ProviderCapacity,
  type ReachableMachine,
  type ResourceProviderDriver,
} from '../resource-provider.driver';
import {
  DEFAULT_ENDPOINT,
  type HetznerAction,
  HetznerApi,
  type HetznerLocation,
  type HetznerServer,
  type HetznerServerType,
  type HetznerSshKey,
} from './hetzner-api';
import { renderCloudConfig } from './hetzner-cloud-config';

/**
 * Hetzner Cloud servers through the public API (`https://api.hetzner.cloud/v1`) on plain `fetch`
 * (there is no official JavaScript client; hcloud-js is neither official nor maintained).
 *
 * - Ownership: Hetzner labels; every server carries the owner labels, `fedops-machine=<machine id>`
 *   among them, so a retried create finds the server it made (`label_selector=fedops-machine==<id>`).
 *   Server names are unique per Project: a create that loses the race to its own earlier attempt gets
 *   409 `uniqueness_error` and adopts the server of that name only if it carries our machine id.
 * - Access: the platform's public keys become Project SSH keys (found by fingerprint, made once) and
 *   are also in the cloud-init user data, with the pinned host key (see renderCloudConfig).
 * - A create whose `create_server` action ended in error leaves a server behind on Hetzner: the driver
 *   deletes it and throws a retryable error, so the next attempt makes a fresh one.
 * - Resizing is `change_type` with `upgrade_disk` (disks only grow): the server is powered off around
 *   it and always powered on afterwards.
 */
export interface HetznerDriverConfig {
  /** API base URL including `/v1` (default the public API). */
  endpoint?: string;
  /** A Project API token with read and write permission. */
  token: string;
  /** How often actions and server states are polled (default 1000 ms; hcloud-go uses 500 ms). */
  pollIntervalMs?: number;
  /** Per-request time limit (default 30 s). */
  requestTimeoutMs?: number;
  /** How machines made here get their configuration (default `nixos-rebuild`; simulators: sandbox stand-in). */
  activation?: ActivationKind;
}

/** Label values the selector may carry unquoted (the API's value syntax; owner labels fit it). */
const LABEL_VALUE = /^(?:[A-Za-z0-9](?:[-_.A-Za-z0-9]{0,61}[A-Za-z0-9])?)?$/;
const LABEL_KEY = /^(?:[a-z0-9](?:[-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9](?:[-_.A-Za-z0-9]{0,61}[A-Za-z0-9])?$/;

/** `k1==v1,k2==v2`: every label must match. */
export function labelSelectorOf(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([key, value]) => {
      if (!LABEL_KEY.test(key) || !LABEL_VALUE.test(value)) {
        throw FedopsError.validation([
          { field: 'labels', message: `'${key}=${value}' is not a valid Hetzner label` },
        ]);
      }
      return `${key}==${value}`;
    })
    .join(',');
}

/** Hetzner's SSH key fingerprint: MD5 of the key blob, colon-separated hex. */
export function sshKeyFingerprint(publicKey: string): string {
  const data = publicKey.trim().split(/\s+/)[1];
  if (data === undefined || !/^[A-Za-z0-9+/]+={0,2}$/.test(data)) {
    throw FedopsError.validation([
      { field: 'sshAuthorizedKeys', message: 'is not an OpenSSH public key line' },
    ]);
  }
  const hex = createHash('md5').update(Buffer.from(data, 'base64')).digest('hex');
  return (hex.match(/../g) ?? []).join(':');
}

export function machineStatusOf(status: string): DriverMachineStatus {
  switch (status) {
    case 'initializing':
    case 'starting':
      return 'creating';
    case 'running':
      return 'running';
    case 'stopping':
    case 'off':
      return 'stopped';
    case 'deleting':
      return 'deleting';
    default:
      return 'unknown';
  }
}

/**
 * The smallest server type (memory, then cores, then disk, then price) with room for `sizing` that
 * is sold in `location` for this architecture and whose disk is at least `minDiskGiB`.
 */
export function smallestFittingType(
  types: HetznerServerType[],
  sizing: MachineSizing,
  location: string,
  options: { architecture?: string; minDiskGiB?: number } = {},
): HetznerServerType | undefined {
  const price = (t: HetznerServerType): number =>
    Number(t.prices?.find((p) => p.location === location)?.price_monthly?.net ?? Number.POSITIVE_INFINITY);
  return types
    .filter(
      (t) =>
        t.cores >= sizing.vcpus &&
        t.memory * 1024 >= sizing.memoryMiB &&
        t.disk >= Math.max(sizing.diskGiB, options.minDiskGiB ?? 0) &&
        (options.architecture === undefined || t.architecture === options.architecture) &&
        (t.deprecation === undefined || t.deprecation === null) &&
        (t.locations === undefined ||
          t.locations.some((l) => l.name === location && l.available !== false && !l.deprecation)),
    )
    .sort((a, b) => a.memory - b.memory || a.cores - b.cores || a.disk - b.disk || price(a) - price(b))[0];
}

export class HetznerDriver implements ResourceProviderDriver {
  readonly kind = 'hetzner' as const;
  private readonly api: HetznerApi;
  private readonly activation: ActivationKind;

  constructor(config: HetznerDriverConfig) {
    this.api = new HetznerApi(
      config.endpoint ?? DEFAULT_ENDPOINT,
      config.token,
      config.pollIntervalMs ?? 1000,
      config.requestTimeoutMs ?? 30_000,
    );
    this.activation = config.activation ?? 'nixos-rebuild';
  }

  async testConnection(ctx: DriverCallContext): Promise<ConnectionReport> {
    const locations = await this.locations(ctx, 'list locations');
    const types = await this.api.all<HetznerServerType>('/server_types', 'server_types', ctx, {
      action: 'list server types',
    });
    return { locations: locations.map((l) => l.name), sizes: types.map((t) => t.name) };
  }

  async capacity(ctx: DriverCallContext): Promise<ProviderCapacity> {
    // Clouds say nothing of free room: every location the Project sees is a place to go.
    const locations = await this.locations(ctx, 'list locations');
    return { locations: locations.map((l) => ({ name: l.name, available: true })) };
  }

  async create(spec: MachineSpec, ctx: DriverCallContext): Promise<ReachableMachine> {
    const labels = { ...spec.labels, [OWNER_LABELS.machineId]: spec.machineId };
    const found = await this.serversWithLabels({ [OWNER_LABELS.machineId]: spec.machineId }, ctx);
    // Oldest first: should a duplicate ever exist, every attempt settles on the same server.
    const existing = found.sort((a, b) => a.id - b.id)[0];
    let server: HetznerServer;
    let actions: HetznerAction[] | undefined;
    if (existing !== undefined) server = existing;
    else ({ server, actions } = await this.createServer(spec, labels, ctx));
    await this.settleCreate(server, actions, ctx);
    const running = await this.ensureRunning(server.id, ctx, `start server ${spec.name}`);
    const machine = toMachine(running);
    if (machine.address === undefined) {
      throw new ProviderError(
        'hetzner',
        { message: `server ${spec.name} has no public IPv4 address`, retryable: false },
        { action: `create server ${spec.name}` },
      );
    }
    return {
      ...machine,
      address: machine.address,
      sshPort: 22,
      sshUser: 'root',
      sshHostKey: spec.hostKey.publicKey.trim(),
      fsRoot: '/',
      activation: this.activation,
    };
  }

  async get(providerId: string, ctx: DriverCallContext): Promise<DriverMachine | undefined> {
    const id = serverId(providerId);
    if (id === undefined) return undefined;
    const server = await this.server(id, ctx);
    return server === undefined ? undefined : toMachine(server);
  }

  async listByLabels(labels: Record<string, string>, ctx: DriverCallContext): Promise<DriverMachine[]> {
    return (await this.serversWithLabels(labels, ctx)).map(toMachine);
  }

  async start(providerId: string, ctx: DriverCallContext): Promise<void> {
    const id = this.requireId(providerId);
    await this.requireServer(id, ctx, 'start');
    await this.ensureRunning(id, ctx, `start server ${providerId}`);
  }

  async stop(providerId: string, ctx: DriverCallContext): Promise<void> {
    const id = this.requireId(providerId);
    await this.requireServer(id, ctx, 'stop');
    await this.ensureOff(id, ctx);
  }

  async reboot(providerId: string, ctx: DriverCallContext): Promise<void> {
    const id = this.requireId(providerId);
    const server = await this.requireServer(id, ctx, 'reboot');
    if (server.status === 'running') await this.serverAction(id, 'reboot', undefined, ctx);
    await this.ensureRunning(id, ctx, `reboot server ${providerId}`);
  }

  async resize(
    providerId: string,
    sizing: MachineSizing & { size?: string },
    ctx: DriverCallContext,
  ): Promise<void> {
    const id = this.requireId(providerId);
    const server = await this.requireServer(id, ctx, 'resize');
    const location = locationOf(server);
    const types = await this.api.all<HetznerServerType>('/server_types', 'server_types', ctx, {
      action: 'list server types',
    });
    const target =
      sizing.size !== undefined
        ? types.find((t) => t.name === sizing.size)
        : smallestFittingType(types, sizing, location, {
            architecture: server.server_type.architecture,
            minDiskGiB: server.primary_disk_size,
          });
    if (target === undefined) {
      throw new ProviderError(
        'hetzner',
        {
          message:
            sizing.size !== undefined
              ? `server type ${sizing.size} does not exist`
              : `no server type in ${location} has ${sizing.vcpus} vCPUs, ${sizing.memoryMiB} MiB and ${sizing.diskGiB} GB`,
          retryable: false,
        },
        { action: `resize server ${providerId}` },
      );
    }
    if (server.server_type.name !== target.name) {
      await this.ensureOff(id, ctx);
      await this.serverAction(id, 'change_type', { server_type: target.name, upgrade_disk: true }, ctx);
    }
    await this.ensureRunning(id, ctx, `start server ${providerId} after resizing`);
  }

  async delete(providerId: string, ctx: DriverCallContext): Promise<boolean> {
    const id = serverId(providerId);
    if (id === undefined) return false;
    return this.deleteServer(id, ctx);
  }

  // ---- create -----------------------------------------------------------------------------------

  private async createServer(
    spec: MachineSpec,
    labels: Record<string, string>,
    ctx: DriverCallContext,
  ): Promise<{ server: HetznerServer; actions: HetznerAction[] | undefined }> {
    const sshKeys = await this.ensureSshKeys(spec.sshAuthorizedKeys, ctx);
    const serverType = spec.size ?? (await this.fittingType(spec, ctx));
    const action = `create server ${spec.name}`;
    try {
      const created = await this.api.request<{
        server: HetznerServer;
        action: HetznerAction;
        next_actions: HetznerAction[];
      }>('POST', '/servers', ctx, {
        action,
        body: {
          name: spec.name,
          server_type: serverType,
          image: /^\d+$/.test(spec.image) ? Number(spec.image) : spec.image,
          location: spec.location,
          labels,
          ssh_keys: sshKeys,
          user_data: renderCloudConfig(spec),
          start_after_create: true,
        },
      });
      return { server: created.server, actions: [created.action, ...(created.next_actions ?? [])] };
    } catch (err) {
      if (!(err instanceof ProviderError) || err.refusal.code !== 'uniqueness_error') throw err;
      // The name is taken: by this machine's own earlier attempt (adopt it) or by someone else's server.
      const [named] = await this.api.all<HetznerServer>('/servers', 'servers', ctx, {
        query: { name: spec.name },
        action,
      });
      if (named !== undefined && named.labels[OWNER_LABELS.machineId] === spec.machineId) {
        return { server: named, actions: undefined };
      }
      if (named === undefined) {
        // Taken, yet no server of that name to see: one is being made (perhaps by our own timed-out attempt).
        throw new ProviderError(
          'hetzner',
          {
            ...err.refusal,
            message: `${err.refusal.message}; no server named ${spec.name} is visible yet`,
            retryable: true,
          },
          { cause: err, action },
        );
      }
      throw new ProviderError(
        'hetzner',
        {
          status: err.refusal.status,
          code: 'uniqueness_error',
          message: `a server named ${spec.name} already exists and does not belong to machine ${spec.machineId}`,
          retryable: false,
        },
        { cause: err, action },
      );
    }
  }

  /**
   * Waits for the create's actions (found on the server when this attempt did not make it). A failed
   * `create_server` leaves a broken server behind: it is deleted and the attempt fails retryably.
   */
  private async settleCreate(
    server: HetznerServer,
    known: HetznerAction[] | undefined,
    ctx: DriverCallContext,
  ): Promise<void> {
    const what = `create server ${server.name}`;
    const actions =
      known ??
      (await this.api.all<HetznerAction>(`/servers/${server.id}/actions`, 'actions', ctx, {
        query: { sort: 'id:asc' },
        action: `list actions of server ${server.name}`,
      }));
    const relevant = known ?? actions.filter((a) => a.status === 'running' || a.command === 'create_server');
    const final = await this.api.waitForActions(relevant, ctx, what);
    const failed = final.find((a) => a.command === 'create_server' && a.status === 'error');
    if (failed === undefined) return;
    await this.deleteServer(server.id, ctx);
    throw new ProviderError(
      'hetzner',
      {
        code: failed.error?.code ?? 'action_failed',
        message: `${failed.error?.message ?? 'create_server failed'}; the broken server ${server.name} was deleted`,
        retryable: true,
      },
      { action: what },
    );
  }

  /** The Project SSH key ids of these public keys, making the missing ones (uniqueness_error: look again). */
  private async ensureSshKeys(publicKeys: string[], ctx: DriverCallContext): Promise<number[]> {
    const ids: number[] = [];
    for (const publicKey of publicKeys) {
      const fingerprint = sshKeyFingerprint(publicKey);
      const find = async (): Promise<HetznerSshKey | undefined> =>
        (
          await this.api.all<HetznerSshKey>('/ssh_keys', 'ssh_keys', ctx, {
            query: { fingerprint },
            action: 'find the platform SSH key',
          })
        )[0];
      let key = await find();
      if (key === undefined) {
        try {
          key = (
            await this.api.request<{ ssh_key: HetznerSshKey }>('POST', '/ssh_keys', ctx, {
              body: {
                name: `fedops-${fingerprint.replace(/:/g, '').slice(0, 16)}`,
                public_key: publicKey.trim(),
              },
              action: 'add the platform SSH key',
            })
          ).ssh_key;
        } catch (err) {
          if (!(err instanceof ProviderError) || err.refusal.code !== 'uniqueness_error') throw err;
          key = await find();
          if (key === undefined) throw err;
        }
      }
      ids.push(key.id);
    }
    return ids;
  }

  private async fittingType(spec: MachineSpec, ctx: DriverCallContext): Promise<string> {
    const types = await this.api.all<HetznerServerType>('/server_types', 'server_types', ctx, {
      action: 'list server types',
    });
    const type = smallestFittingType(types, spec.sizing, spec.location);
    if (type === undefined) {
      throw new ProviderError(
        'hetzner',
        {
          message: `no server type in ${spec.location} fits ${JSON.stringify(spec.sizing)}`,
          retryable: false,
        },
        { action: `create server ${spec.name}` },
      );
    }
    return type.name;
  }

  // ---- power and state ------------------------------------------------------------------------

  /**
   * Polls the server until it is running, powering it on when it is off and nothing runs on it
   * (a create made with the machine off, a stop or resize interrupted).
   */
  private async ensureRunning(id: number, ctx: DriverCallContext, what: string): Promise<HetznerServer> {
    for (;;) {
      const server = await this.requireServer(id, ctx, what, true);
      if (server.status === 'running') return server;
      if (server.status === 'deleting') {
        throw new ProviderError(
          'hetzner',
          { message: `server ${server.name} is being deleted`, retryable: true },
          {
            action: what,
          },
        );
      }
      if (server.status === 'off' && !server.locked) {
        await this.serverAction(id, 'poweron', undefined, ctx);
        continue;
      }
      ctx.heartbeat({ waitingFor: what, status: server.status });
      await this.api.pause(ctx);
    }
  }

  private async ensureOff(id: number, ctx: DriverCallContext): Promise<void> {
    const what = `stop server ${id}`;
    for (;;) {
      const server = await this.requireServer(id, ctx, what, true);
      if (server.status === 'off') return;
      if (server.status === 'running' && !server.locked) {
        await this.serverAction(id, 'poweroff', undefined, ctx);
        continue;
      }
      ctx.heartbeat({ waitingFor: what, status: server.status });
      await this.api.pause(ctx);
    }
  }

  /** Starts a server action and waits for it; an action ending in error is a retryable refusal. */
  private async serverAction(
    id: number,
    command: string,
    body: unknown,
    ctx: DriverCallContext,
  ): Promise<void> {
    const what = `${command} server ${id}`;
    const { action } = await this.api.request<{ action: HetznerAction }>(
      'POST',
      `/servers/${id}/actions/${command}`,
      ctx,
      { body: body ?? {}, action: what },
    );
    const [final] = await this.api.waitForActions([action], ctx, what);
    if (final?.status === 'error') throw actionFailed(final, what);
  }

  private async deleteServer(id: number, ctx: DriverCallContext): Promise<boolean> {
    const what = `delete server ${id}`;
    const answer = await this.api.request<{ action: HetznerAction }>('DELETE', `/servers/${id}`, ctx, {
      action: what,
      allowNotFound: true,
    });
    if (answer === undefined) return false;
    const [final] = await this.api.waitForActions([answer.action], ctx, what);
    if (final?.status === 'error') throw actionFailed(final, what);
    return true;
  }

  // ---- reads ----------------------------------------------------------------------------------

  private locations(ctx: DriverCallContext, action: string): Promise<HetznerLocation[]> {
    return this.api.all<HetznerLocation>('/locations', 'locations', ctx, { action });
  }

  private serversWithLabels(
    labels: Record<string, string>,
    ctx: DriverCallContext,
  ): Promise<HetznerServer[]> {
    return this.api.all<HetznerServer>('/servers', 'servers', ctx, {
      query: { label_selector: labelSelectorOf(labels) },
      action: 'list servers by label',
    });
  }

  private async server(id: number, ctx: DriverCallContext): Promise<HetznerServer | undefined> {
    const answer = await this.api.request<{ server: HetznerServer }>('GET', `/servers/${id}`, ctx, {
      action: `get server ${id}`,
      allowNotFound: true,
    });
    return answer?.server;
  }

  /** The server, or a refusal: not found (retryable while waiting on it, since a create may recreate). */
  private async requireServer(
    id: number,
    ctx: DriverCallContext,
    what: string,
    retryable = false,
  ): Promise<HetznerServer> {
    const server = await this.server(id, ctx);
    if (server === undefined) {
      throw new ProviderError(
        'hetzner',
        { status: 404, code: 'not_found', message: `server ${id} not found`, retryable },
        { action: what },
      );
    }
    return server;
  }

  private requireId(providerId: string): number {
    const id = serverId(providerId);
    if (id === undefined) {
      throw FedopsError.validation([
        { field: 'providerId', message: `'${providerId}' is not a Hetzner server id` },
      ]);
    }
    return id;
  }
}

function serverId(providerId: string): number | undefined {
  return /^\d+$/.test(providerId) ? Number(providerId) : undefined;
}

function locationOf(server: HetznerServer): string {
  return server.location?.name ?? server.datacenter?.location.name ?? '';
}

function toMachine(server: HetznerServer): DriverMachine {
  return {
    providerId: String(server.id),
    name: server.name,
    status: machineStatusOf(server.status),
    labels: { ...server.labels },
    location: locationOf(server),
    sizing: {
      vcpus: server.server_type.cores,
      memoryMiB: Math.round(server.server_type.memory * 1024),
      diskGiB: server.primary_disk_size,
    },
    ...(server.public_net.ipv4?.ip ? { address: server.public_net.ipv4.ip } : {}),
  };
}

function actionFailed(action: HetznerAction, what: string): ProviderError {
  return new ProviderError(
    'hetzner',
    {
      code: action.error?.code ?? 'action_failed',
      message: action.error?.message ?? `${action.command} failed`,
      retryable: true,
    },
    { action: what },
  );
}
