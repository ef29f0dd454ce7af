import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { identityFromUserData } from '../common/cloud-init';
import type { SandboxVms, VmIdentity } from '../common/sandbox-vms';
import { type ActionBook, type ActionRecord, isoTime } from './hetzner-actions';
import type { HetznerImage, HetznerLocation, HetznerServerType } from './hetzner-catalog';
import { HetznerApiError, lockedError, uniquenessError } from './hetzner-errors';
import { unusablePublicKey } from './ssh-public-key';

/**
 * Servers and what their actions do. Each server is a real sandbox machine (network namespace with
 * sshd) made when the create is accepted, so `public_net.ipv4.ip` is known in the 201 answer as it is
 * on the real API; the server then stays `initializing` for the boot delay, `starting`, and `running`.
 *
 * Power is real: a server that is `off` (powered off, shut down, created without
 * `start_after_create`, or left off by a failed create) has its machine's sshd stopped, so it refuses
 * SSH; poweron, reboot and reset start it again (and repair a broken machine) as a boot would. The
 * machine keeps its address, host key and files while off, as the server keeps its IP and disk.
 */

export const SERVER_STATUSES = [
  'running',
  'initializing',
  'starting',
  'stopping',
  'off',
  'deleting',
  'migrating',
  'rebuilding',
  'unknown',
] as const;
export type ServerStatus = (typeof SERVER_STATUSES)[number];

export interface SshKeyRecord {
  id: number;
  name: string;
  fingerprint: string;
  public_key: string;
  labels: Record<string, string>;
  created: string;
}

export interface ServerRecord {
  id: number;
  name: string;
  status: ServerStatus;
  created: string;
  serverType: HetznerServerType;
  primaryDiskSize: number;
  location: HetznerLocation;
  image: HetznerImage;
  labels: Record<string, string>;
  ipv4: { id: number; ip: string };
  ipv6: { id: number; ip: string };
  /** The sandbox machine's label. */
  vmLabel: string;
  identity: VmIdentity;
}

/** A fault the request carried that changes how its action runs. */
export interface ActionFault {
  kind: 'task-error' | 'slow-task';
  message?: string;
  delayMs?: number;
}

export interface CreateServerInput {
  name: string;
  serverType: HetznerServerType;
  image: HetznerImage;
  location: HetznerLocation;
  labels: Record<string, string>;
  sshKeys: SshKeyRecord[];
  userData: string | undefined;
  startAfterCreate: boolean;
  fault: ActionFault | undefined;
}

export interface CreateServerResult {
  server: ServerRecord;
  action: ActionRecord;
  nextActions: ActionRecord[];
  rootPassword: string | null;
}

export const SERVER_ACTIONS = ['poweron', 'poweroff', 'shutdown', 'reboot', 'reset', 'change_type'] as const;
export type ServerActionCommand = (typeof SERVER_ACTIONS)[number];

const COMMAND_NAMES: Record<ServerActionCommand, string> = {
  poweron: 'start_server',
  poweroff: 'stop_server',
  shutdown: 'shutdown_server',
  reboot: 'reboot_server',
  reset: 'reset_server',
  change_type: 'change_server_type',
};

export interface Timing {
  bootDelayMs: number;
  actionDelayMs: number;
}

/** The Project's SSH keys, and the id the next one gets. */
export class SshKeyBook {
  readonly records = new Map<number, SshKeyRecord>();
  nextId = 9_000_000 + Math.floor(Math.random() * 1000) * 1000;

  newId(): number {
    return this.nextId++;
  }

  values(): SshKeyRecord[] {
    return [...this.records.values()];
  }
}

/** What the state file keeps of the servers. */
export interface SavedServers {
  /** Part of every machine label: a simulator started without the file never adopts these machines. */
  instance: string;
  nextId: number;
  servers: ServerRecord[];
}

/** Statuses a server passes through while an action runs: no action survives a restart. */
const PASSING: readonly ServerStatus[] = ['initializing', 'starting', 'stopping', 'migrating', 'rebuilding'];

export class HetznerServers {
  private readonly servers = new Map<number, ServerRecord>();
  /** Names of creates still making their machine: a second create of the name must fail too. */
  private readonly reservedNames = new Set<string>();
  private nextId = 60_000_000 + Math.floor(Math.random() * 1000) * 1000;
  private instance = randomBytes(3).toString('hex');
  private readonly stopping = new AbortController();
  /** Called after a change the API did not answer for (a background step); see `changed`. */
  onChange: () => void = () => undefined;

  constructor(
    private readonly vms: SandboxVms,
    private readonly actions: ActionBook,
    private readonly timing: Timing,
  ) {}

  list(): ServerRecord[] {
    return [...this.servers.values()];
  }

  get(id: number): ServerRecord | undefined {
    return this.servers.get(id);
  }

  nameTaken(name: string, exceptId?: number): boolean {
    if (this.reservedNames.has(name)) return true;
    return this.list().some((s) => s.name === name && s.id !== exceptId);
  }

  locked(server: ServerRecord): boolean {
    return this.actions.isLocked(server.id);
  }

  save(): SavedServers {
    return {
      instance: this.instance,
      nextId: this.nextId,
      servers: this.list().map((s) => ({ ...s, ipv4: { ...s.ipv4 }, ipv6: { ...s.ipv6 } })),
    };
  }

  /**
   * Takes the servers of a state file (after the actions: those that were running have ended in
   * error) and brings their machines to what their status says. A server caught in a passing status
   * (`initializing`, `starting`, `stopping`, `migrating`, `rebuilding`) by the restart is left `off`,
   * as a server whose action failed is, and so is one being deleted (its delete failed; deleting it
   * again removes it). A `running` server's machine is resumed (sshd started again if it died, same
   * address and host key); one that cannot be is left `off`. An `off` one's machine is powered off.
   */
  async restore(saved: SavedServers): Promise<void> {
    this.servers.clear();
    for (const server of saved.servers) this.servers.set(server.id, server);
    this.instance = saved.instance;
    this.nextId = saved.servers.reduce((next, s) => Math.max(next, s.id + 1), saved.nextId);
    await Promise.all(
      this.list().map(async (server) => {
        if (PASSING.includes(server.status) || server.status === 'deleting') server.status = 'off';
        if (server.status === 'running') {
          try {
            const host = await this.vms.resume(server.vmLabel, server.identity);
            server.ipv4.ip = host.address;
            return;
          } catch {
            server.status = 'off';
          }
        }
        if (server.status === 'off') await this.vms.powerOff(server.vmLabel).catch(() => false);
      }),
    );
  }

  async create(input: CreateServerInput): Promise<CreateServerResult> {
    if (this.nameTaken(input.name)) throw uniquenessError('name', 'server name is already used');
    this.reservedNames.add(input.name);
    try {
      const id = this.nextId++;
      const vmLabel = `hetzner-${this.instance}-${id}`;
      const fromUserData = identityFromUserData(input.userData);
      const keys = [...input.sshKeys.map((k) => k.public_key.trim()), ...(fromUserData.authorizedKeys ?? [])];
      const identity: VmIdentity = {
        // Without keys the real server is reached by its root password; the sandbox needs some key.
        authorizedKeys: keys.length > 0 ? [...new Set(keys)] : [unusablePublicKey()],
        ...(fromUserData.hostPrivateKey !== undefined ? { hostPrivateKey: fromUserData.hostPrivateKey } : {}),
      };
      let address: string;
      try {
        address = (await this.vms.boot(vmLabel, identity)).address;
      } catch {
        await this.vms.destroy(vmLabel).catch(() => false);
        throw new HetznerApiError(500, 'server_error', 'the server could not be created, please retry', null);
      }
      const server: ServerRecord = {
        id,
        name: input.name,
        status: 'initializing',
        created: isoTime(Date.now()),
        serverType: input.serverType,
        primaryDiskSize: input.serverType.disk,
        location: input.location,
        image: input.image,
        labels: { ...input.labels },
        ipv4: { id: id + 30_000_000, ip: address },
        ipv6: { id: id + 30_000_001, ip: `2001:db8:${(id % 0xffff).toString(16)}::/64` },
        vmLabel,
        identity,
      };
      this.servers.set(id, server);
      const createMs = Math.round(this.timing.bootDelayMs * 0.6) + (input.fault?.delayMs ?? 0);
      const startMs = this.timing.bootDelayMs - Math.round(this.timing.bootDelayMs * 0.6);
      const resources = [{ id, type: 'server' }];
      const action = this.actions.start('create_server', resources, createMs);
      const start = input.startAfterCreate
        ? this.actions.start('start_server', resources, createMs + startMs)
        : undefined;
      this.background(server, [action, ...(start ? [start] : [])], async () => {
        await this.pause(createMs);
        if (input.fault?.kind === 'task-error') {
          await this.vms.powerOff(vmLabel);
          server.status = 'off';
          const error = { code: 'action_failed', message: input.fault.message ?? 'server creation failed' };
          this.actions.fail(action, error);
          if (start) this.actions.fail(start, { code: 'action_failed', message: 'create_server failed' });
          return;
        }
        if (!start) {
          await this.vms.powerOff(vmLabel);
          server.status = 'off';
          this.actions.succeed(action);
          return;
        }
        this.actions.succeed(action);
        server.status = 'starting';
        await this.pause(startMs);
        server.status = 'running';
        this.actions.succeed(start);
      });
      const rootPassword = input.sshKeys.length > 0 ? null : randomBytes(15).toString('base64url');
      return { server, action, nextActions: start ? [start] : [], rootPassword };
    } finally {
      this.reservedNames.delete(input.name);
    }
  }

  /** Starts a server action; 423 while another runs, 409 `server_not_stopped` for change_type on a live server. */
  runAction(
    server: ServerRecord,
    command: ServerActionCommand,
    fault: ActionFault | undefined,
    change?: { serverType: HetznerServerType; upgradeDisk: boolean },
  ): ActionRecord {
    if (this.locked(server) || server.status === 'deleting' || server.status === 'initializing') {
      throw lockedError();
    }
    if (command === 'change_type' && server.status !== 'off') {
      throw new HetznerApiError(409, 'server_not_stopped', 'server must be powered off to change its type');
    }
    const delay = this.timing.actionDelayMs + (fault?.delayMs ?? 0);
    const action = this.actions.start(COMMAND_NAMES[command], [{ id: server.id, type: 'server' }], delay);
    this.background(server, [action], async () => {
      const failure = (): boolean => {
        if (fault?.kind !== 'task-error') return false;
        this.actions.fail(action, { code: 'action_failed', message: fault.message ?? `${command} failed` });
        return true;
      };
      switch (command) {
        case 'poweron':
          if (server.status === 'off') server.status = 'starting';
          await this.pause(delay);
          if (failure()) {
            server.status = 'off';
            return;
          }
          await this.start(server);
          break;
        case 'poweroff':
          if (server.status !== 'off') server.status = 'stopping';
          await this.pause(delay);
          if (failure()) {
            server.status = 'running';
            return;
          }
          await this.vms.powerOff(server.vmLabel);
          server.status = 'off';
          break;
        case 'shutdown':
          // ACPI: the action only says the signal was sent; the guest powers off a moment later.
          await this.pause(delay / 2);
          if (failure()) return;
          this.actions.succeed(action);
          if (server.status === 'running') server.status = 'stopping';
          await this.pause(delay / 2);
          if (server.status === 'stopping') {
            await this.vms.powerOff(server.vmLabel);
            server.status = 'off';
          }
          return;
        case 'reboot':
        case 'reset':
          await this.pause(delay);
          if (failure()) return;
          await this.start(server);
          break;
        case 'change_type':
          if (change === undefined) throw new Error('change_type without a server type');
          server.status = 'migrating';
          await this.pause(delay);
          server.status = 'off';
          if (failure()) return;
          server.serverType = change.serverType;
          if (change.upgradeDisk)
            server.primaryDiskSize = Math.max(server.primaryDiskSize, change.serverType.disk);
          break;
      }
      this.actions.succeed(action);
    });
    return action;
  }

  /** DELETE: the server turns `deleting`, its machine is destroyed, then it is gone (404). */
  delete(server: ServerRecord, fault: ActionFault | undefined): ActionRecord {
    if (this.locked(server)) throw lockedError();
    const delay = this.timing.actionDelayMs + (fault?.delayMs ?? 0);
    const action = this.actions.start('delete_server', [{ id: server.id, type: 'server' }], delay);
    const before = server.status;
    server.status = 'deleting';
    this.background(server, [action], async () => {
      await this.pause(delay / 2);
      if (fault?.kind === 'task-error') {
        this.actions.fail(action, {
          code: 'action_failed',
          message: fault.message ?? 'server deletion failed',
        });
        server.status = before;
        return;
      }
      await this.vms.destroy(server.vmLabel);
      await this.pause(delay / 2);
      this.servers.delete(server.id);
      this.actions.succeed(action);
    });
    return action;
  }

  /** Stops every pending action's timers (the simulator is closing). */
  close(): void {
    this.stopping.abort();
  }

  /** Boots the server's machine (a stopped one starts again) and marks it running. */
  private async start(server: ServerRecord): Promise<void> {
    const host = await this.vms.boot(server.vmLabel, server.identity);
    server.ipv4.ip = host.address;
    server.status = 'running';
  }

  private async pause(ms: number): Promise<void> {
    await sleep(Math.max(0, ms), undefined, { signal: this.stopping.signal, ref: false });
  }

  /** Runs an action's work; a failure ends its actions in `error`, as the API reports a broken action. */
  private background(server: ServerRecord, actions: ActionRecord[], work: () => Promise<void>): void {
    work()
      .catch((err: unknown) => {
        if (this.stopping.signal.aborted) return;
        const message = err instanceof Error ? err.message : String(err);
        if (server.status !== 'deleting') server.status = 'unknown';
        for (const action of actions) this.actions.fail(action, { code: 'action_failed', message });
      })
      .finally(() => {
        if (!this.stopping.signal.aborted) this.onChange();
      });
  }
}
