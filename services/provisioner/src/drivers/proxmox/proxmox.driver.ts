/**
 * Proxmox VE: machines are full clones of a cloud-init template VM, through the npm `proxmox-api`
 * client with an API token (`PVEAPIToken=USER@REALM!TOKENID=SECRET`, no CSRF token needed).
 *
 * Placement: `spec.location` is the node, `spec.image` the template's VMID (the driver config's
 * `template` when empty), `spec.storage` the storage of the full clone (config `storage` when empty).
 * A template on another node is cloned with `target` (Proxmox allows that only from and to shared
 * storage, and says so).
 *
 * Owner labels: tags `<key>.<value>` (see proxmox-labels.ts) and the same labels in the VM's
 * description, which the clone call itself writes (a clone cannot set tags), next to the name.
 * `listByLabels` reads tags only (one cluster-wide call): a VM whose clone finished but whose config
 * step has not run yet carries no tags until its create is retried.
 *
 * Create, each attempt from the start (Temporal retries the activity; nothing is remembered between
 * attempts, so every step reads what is there first):
 * 1. Look the machine up cluster-wide (`/cluster/resources?type=vm`): by its machine-id tag, else by
 *    name with the machine id in its description. A clone whose answer was lost shows up at first
 *    with only `lock: clone` (qemu-server's temporary config: no name yet, nothing to recognise it
 *    by). When such VMs exist while a `qmclone` task of ours runs on their node, the attempt waits
 *    until they have names (or are gone), then looks again: a lost clone is found, never cloned twice.
 * 2. None: `/cluster/nextid` (a JSON string; it reserves nothing) and a full clone with name and
 *    description, then wait for its UPID to stop with `OK`/`WARNINGS`. A concurrent create that got
 *    the same id makes this clone fail with `unable to create VM N: config file already exists`
 *    (synchronously, or as the task's exit status): retryable, the next attempt finds nothing of
 *    ours and takes a new id.
 * 3. Found with `lock: clone` (its clone still copying): wait until the lock is gone; gone with it
 *    (the clone failed: qemu-server removes a failed clone's config and volumes) means retryable,
 *    and the next attempt clones anew. A clone lock with no clone task running (a node that crashed
 *    mid-clone) never clears by itself: retryable refusal naming it, for an operator to `qm unlock`
 *    or delete the VM; never a second VM beside it.
 * 4. Not running: config (cores, memory, `ciuser: root`, URL-encoded `sshkeys`, `ipconfig0`,
 *    `nameserver`, tags, guest agent on) with the config's digest, grow the boot disk to the size
 *    asked, start. Each step is idempotent, so an attempt that died between them simply redoes it.
 * 5. Wait for the guest agent's address (`network-get-interfaces`) and read the host key the machine
 *    made on first boot (`agent/file-read` of /etc/ssh/ssh_host_ed25519_key.pub). Proxmox's standard
 *    cloud-init has no user data, so `spec.hostKey` and `spec.userData` are not used: the machine's
 *    own key, read through the agent of a VM we made, is the one returned (and then pinned).
 *
 * Errors: every refusal becomes a ProviderError with the server's words (reason phrase, body
 * message, parameter errors, task exit status); locks, "already exists", failed tasks and network
 * errors are retryable, refusals no retry can change are not (proxmox-errors.ts). Calls are single
 * attempts (note: `proxmox-api` itself re-sends a request once after a network error, POSTs too;
 * the lookup in step 1 is what makes that harmless). Polls heartbeat and stop when `ctx.signal` aborts.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { FedopsError, FedopsErrorCode } from '@fedops/domain';
import { proxmoxApi, type Proxmox } from 'proxmox-api';
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
import { taskFailure, toProviderError } from './proxmox-errors';
import {
  encodeSshKeys,
  labelsFromDescription,
  labelTag,
  mergeTags,
  ownerDescription,
  splitTags,
  tagsCarry,
  tagsToLabels,
} from './proxmox-labels';

export interface ProxmoxDriverConfig {
  /** Where the API is, e.g. `https://pve1.example.org:8006` (plain `http://` works: the simulator). */
  endpoint: string;
  /** `USER@REALM!TOKENID`. */
  tokenId: string;
  /** The token's secret (a lower-case UUID). */
  tokenSecret: string;
  /** Nodes machines may be placed on (default: every node of the cluster). */
  nodes?: string[];
  /** Storage for full clones when the spec names none (e.g. `local-lvm`). */
  storage: string;
  /** VMID of the cloud-init template when the spec names none. */
  template: number;
  /** Bridge of `net0` (default: the template's). */
  bridge?: string;
  /** `ipconfig0` (default `ip=dhcp`), e.g. `ip=203.0.113.10/24,gw=203.0.113.1`. */
  ipconfig?: string;
  /** `nameserver` (space-separated addresses); default: the node's. */
  nameserver?: string;
  /** Pause between polls of tasks and the guest agent. */
  pollIntervalMs: number;
  /** How long a started guest may take until its agent reports an address (default 10 min). */
  guestTimeoutMs?: number;
  /** Timeout of one HTTP request (default 60 s, as `proxmox-api`). */
  requestTimeoutMs?: number;
}

/** A VM as `/cluster/resources?type=vm` lists it. */
interface VmResource {
  vmid: number;
  node: string;
  name?: string;
  status: string;
  lock?: string;
  tags?: string;
  template: boolean;
  maxcpu: number;
  maxmem: number;
  maxdisk: number;
}

type VmConfig = Record<string, unknown> & { digest?: string; description?: string; tags?: string };

interface AgentInterface {
  name?: string;
  'ip-addresses'?: Array<{ 'ip-address'?: string; 'ip-address-type'?: string }>;
}

const MiB = 2 ** 20;
const GiB = 2 ** 30;
/** Owner tags are `fedops-<key>.<value>` (proxmox-labels.ts). */
const OWNER_TAG_PREFIX = 'fedops-';
/** How many VM configs listByLabels reads at once when it looks at descriptions. */
const CONFIG_READS_AT_ONCE = 8;
const TOKEN_ID = /^[^@\s]+@[^!\s]+![^\s=]+$/;
const TOKEN_SECRET = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const DISK_KEY = /^(scsi|virtio|sata|ide)\d+$/;
const HOST_KEY_FILE = '/etc/ssh/ssh_host_ed25519_key.pub';
/** Agent answers that mean "not yet": the guest is still booting. */
const GUEST_NOT_READY = /QEMU guest agent is not running|is not running|got timeout|not ready/i;

function num(value: unknown, fallback = 0): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN;
  return Number.isFinite(n) ? n : fallback;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;
}

/** `memory: [current=]<MiB>` (PVE 8.1+ property string, or a plain number before). */
function memoryMiB(value: unknown): number {
  const text = str(value) ?? '';
  return num(/(?:current=)?(\d+)/.exec(text)?.[1], 0);
}

/** Size in bytes of a drive value `storage:volume,...,size=12G`. */
function driveSize(value: string): number {
  const match = /(?:^|,)size=(\d+(?:\.\d+)?)([KMGT])?(?:,|$)/.exec(value);
  if (!match) return 0;
  const factor = { K: 2 ** 10, M: MiB, G: GiB, T: 2 ** 40 }[match[2] ?? ''] ?? 1;
  return Math.floor(Number(match[1]) * factor);
}

/** The boot disk of a config: the first disk of `boot: order=`, else the first disk that is not a CD. */
export function bootDisk(config: Record<string, unknown>): { key: string; sizeBytes: number } | undefined {
  const disks = Object.entries(config)
    .filter(([key, value]) => DISK_KEY.test(key) && typeof value === 'string' && !/media=cdrom/.test(value))
    .map(([key, value]) => ({ key, sizeBytes: driveSize(String(value)) }));
  const order = /order=([^,]+)/.exec(str(config['boot']) ?? '')?.[1]?.split(';') ?? [];
  return disks.find((d) => d.key === order.find((key) => disks.some((x) => x.key === key))) ?? disks[0];
}

/** `net0` with another bridge, its model and MAC kept. */
export function withBridge(net: string, bridge: string): string {
  return /(^|,)bridge=[^,]*/.test(net)
    ? net.replace(/(^|,)bridge=[^,]*/, `$1bridge=${bridge}`)
    : `${net},bridge=${bridge}`;
}

/** The guest's address: the first IPv4 that is not loopback or link-local. */
export function guestAddress(interfaces: AgentInterface[]): string | undefined {
  for (const iface of interfaces) {
    if (iface.name === 'lo') continue;
    for (const ip of iface['ip-addresses'] ?? []) {
      const address = ip['ip-address'];
      if (ip['ip-address-type'] !== 'ipv4' || !address) continue;
      if (address.startsWith('127.') || address.startsWith('169.254.')) continue;
      return address;
    }
  }
  return undefined;
}

/** The node a task runs on: the UPID's second field. */
export function upidNode(upid: string): string | undefined {
  return /^UPID:([^:]+):/.exec(upid)?.[1];
}

export class ProxmoxDriver implements ResourceProviderDriver {
  readonly kind = 'proxmox' as const;
  private readonly api: Proxmox.Api;
  private readonly endpoint: string;

  constructor(private readonly config: ProxmoxDriverConfig) {
    const fields: Array<{ field: string; message: string }> = [];
    let url: URL | undefined;
    try {
      url = new URL(config.endpoint);
      if (url.protocol !== 'https:' && url.protocol !== 'http:') {
        fields.push({ field: 'endpoint', message: 'must be an http(s) URL' });
      }
    } catch {
      fields.push({ field: 'endpoint', message: 'must be a URL' });
    }
    if (!TOKEN_ID.test(config.tokenId))
      fields.push({ field: 'tokenId', message: 'must look like USER@REALM!TOKENID' });
    if (!TOKEN_SECRET.test(config.tokenSecret)) {
      fields.push({ field: 'tokenSecret', message: 'must be a lower-case UUID (the secret Proxmox showed)' });
    }
    if (!(config.pollIntervalMs > 0)) fields.push({ field: 'pollIntervalMs', message: 'must be positive' });
    if (!Number.isInteger(config.template)) fields.push({ field: 'template', message: 'must be a VMID' });
    if (fields.length > 0 || !url) {
      throw new FedopsError(
        FedopsErrorCode.ConfigurationInvalid,
        `Invalid Proxmox driver config: ${fields.map((f) => `${f.field}: ${f.message}`).join('; ')}`,
        { fields },
      );
    }
    const schema = url.protocol === 'http:' ? 'http' : 'https';
    this.endpoint = `Proxmox VE at ${url.origin}`;
    // proxmox-api takes host, port and schema (http is supported) and appends /api2/json itself.
    this.api = proxmoxApi({
      host: url.hostname,
      port: url.port === '' ? 8006 : Number(url.port),
      schema,
      tokenID: config.tokenId,
      tokenSecret: config.tokenSecret,
      queryTimeout: config.requestTimeoutMs ?? 60_000,
    });
  }

  // ---- plumbing ---------------------------------------------------------------------------------

  /** One API call: mapped errors, and an abort of the caller stops the wait at once. */
  private async call<T>(ctx: DriverCallContext, action: string, request: () => Promise<T>): Promise<T> {
    ctx.signal.throwIfAborted();
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(ctx.signal.reason);
      ctx.signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([request(), aborted]);
    } catch (err) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      throw toProviderError(err, action, this.endpoint);
    } finally {
      if (onAbort) ctx.signal.removeEventListener('abort', onAbort);
      aborted.catch(() => undefined);
    }
  }

  private async pause(ctx: DriverCallContext): Promise<void> {
    try {
      await sleep(this.config.pollIntervalMs, undefined, { signal: ctx.signal });
    } catch (err) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      throw err;
    }
  }

  private qemu(node: string, vmid: number) {
    return this.api.nodes.$(node).qemu.$(vmid);
  }

  /** Polls a task until it stops; resolves on `OK`/`WARNINGS: n`, throws its exit status otherwise. */
  private async waitTask(upid: string, ctx: DriverCallContext, action: string): Promise<void> {
    const node = upidNode(upid);
    if (!node)
      throw new ProviderError('proxmox', { message: `not a task id: ${upid}`, retryable: false }, { action });
    for (;;) {
      const status = (await this.call(ctx, action, () =>
        this.api.nodes.$(node).tasks.$(upid).status.$get(),
      )) as {
        status?: string;
        exitstatus?: string;
      };
      ctx.heartbeat({ upid, status: status.status });
      if (status.status === 'stopped') {
        const exit = status.exitstatus ?? 'unexpected status';
        if (exit === 'OK' || /^WARNINGS/.test(exit)) return;
        throw taskFailure(exit, upid, action);
      }
      await this.pause(ctx);
    }
  }

  private async listVms(ctx: DriverCallContext): Promise<VmResource[]> {
    const list = (await this.call(ctx, 'list VMs', () =>
      this.api.cluster.resources.$get({ type: 'vm' }),
    )) as Array<Record<string, unknown>>;
    return list
      .filter((r) => r['type'] === 'qemu')
      .map((r) => {
        const name = str(r['name']);
        const lock = str(r['lock']);
        const tags = str(r['tags']);
        return {
          vmid: num(r['vmid']),
          node: str(r['node']) ?? '',
          status: str(r['status']) ?? 'unknown',
          template: num(r['template']) === 1,
          maxcpu: num(r['maxcpu']),
          maxmem: num(r['maxmem']),
          maxdisk: num(r['maxdisk']),
          ...(name !== undefined ? { name } : {}),
          ...(lock !== undefined ? { lock } : {}),
          ...(tags !== undefined ? { tags } : {}),
        };
      });
  }

  private async getConfig(vm: { node: string; vmid: number }, ctx: DriverCallContext): Promise<VmConfig> {
    return (await this.call(ctx, `read the config of VM ${vm.vmid}`, () =>
      this.qemu(vm.node, vm.vmid).config.$get(),
    )) as VmConfig;
  }

  private labelsOf(config: VmConfig): Record<string, string> {
    return { ...labelsFromDescription(str(config.description)), ...tagsToLabels(str(config.tags)) };
  }

  private statusOf(vm: VmResource): DriverMachineStatus {
    if (vm.lock === 'clone' || vm.lock === 'create') return 'creating';
    if (vm.lock === 'destroyed') return 'deleting';
    if (vm.status === 'running') return 'running';
    if (vm.status === 'stopped') return 'stopped';
    return 'unknown';
  }

  private fromResource(vm: VmResource, labels: Record<string, string>): DriverMachine {
    return {
      providerId: String(vm.vmid),
      name: vm.name ?? '',
      status: this.statusOf(vm),
      labels,
      location: vm.node,
      sizing: {
        vcpus: vm.maxcpu,
        memoryMiB: Math.round(vm.maxmem / MiB),
        diskGiB: Math.round(vm.maxdisk / GiB),
      },
    };
  }

  private fromConfig(vm: VmResource, config: VmConfig): DriverMachine {
    const disk = bootDisk(config);
    return {
      ...this.fromResource(vm, this.labelsOf(config)),
      name: str(config['name']) ?? vm.name ?? '',
      sizing: {
        vcpus: num(config['cores'], 1) * num(config['sockets'], 1),
        memoryMiB: memoryMiB(config['memory']),
        diskGiB: Math.round((disk?.sizeBytes ?? vm.maxdisk) / GiB),
      },
    };
  }

  private async find(providerId: string, ctx: DriverCallContext): Promise<VmResource | undefined> {
    if (!/^\d+$/.test(providerId)) return undefined;
    const vmid = Number(providerId);
    return (await this.listVms(ctx)).find((vm) => vm.vmid === vmid && !vm.template);
  }

  private async require(providerId: string, ctx: DriverCallContext, action: string): Promise<VmResource> {
    const vm = await this.find(providerId, ctx);
    if (!vm) {
      throw new ProviderError(
        'proxmox',
        { message: `VM ${providerId} does not exist`, retryable: false },
        { action },
      );
    }
    return vm;
  }

  // ---- create -----------------------------------------------------------------------------------

  /**
   * The VM of this machine id, if any: by tag, else by name with the id in its description. With
   * nameless `lock: clone` VMs around while a clone task of ours runs, waits for them to be named first.
   */
  private async findOwn(
    spec: MachineSpec,
    ctx: DriverCallContext,
    waitForNameless = true,
  ): Promise<VmResource | undefined> {
    const list = await this.listVms(ctx);
    const tag = labelTag(OWNER_LABELS.machineId, spec.machineId);
    const tagged = list
      .filter((vm) => !vm.template && splitTags(vm.tags).includes(tag))
      .sort((a, b) => a.vmid - b.vmid);
    if (tagged[0]) return tagged[0];
    for (const vm of list.filter((v) => !v.template && v.name === spec.name)) {
      const config = await this.configWherever(vm, ctx);
      if (labelsFromDescription(str(config?.description))[OWNER_LABELS.machineId] === spec.machineId)
        return vm;
    }
    if (!waitForNameless) return undefined;
    const nameless = list.filter((vm) => !vm.template && vm.name === undefined && vm.lock === 'clone');
    if (nameless.length === 0 || !(await this.ownCloneRunning(nameless, ctx))) return undefined;
    await this.waitUntil(ctx, 'wait for clones to be named', (now) =>
      nameless.every((vm) => {
        const current = now.find((v) => v.vmid === vm.vmid);
        return current === undefined || current.name !== undefined || current.lock !== 'clone';
      }),
    );
    return this.findOwn(spec, ctx, false);
  }

  /**
   * The config of a listed VM; a clone moves its config to the target node as its last step, so a
   * VM missing where it was listed is looked for once more. Undefined when it is gone.
   */
  private async configWherever(vm: VmResource, ctx: DriverCallContext): Promise<VmConfig | undefined> {
    for (let node: string | undefined = vm.node, tries = 0; node !== undefined && tries < 2; tries++) {
      try {
        return await this.getConfig({ node, vmid: vm.vmid }, ctx);
      } catch (err) {
        if (!(err instanceof ProviderError && /does not exist/.test(err.refusal.message))) throw err;
        const moved: string | undefined = (await this.listVms(ctx)).find((v) => v.vmid === vm.vmid)?.node;
        node = moved === node ? undefined : moved;
      }
    }
    return undefined;
  }

  /** Whether a `qmclone` task started with our token is running on a node holding one of these VMs. */
  private async ownCloneRunning(vms: VmResource[], ctx: DriverCallContext): Promise<boolean> {
    for (const node of new Set(vms.map((vm) => vm.node))) {
      const tasks = (await this.call(ctx, `list tasks of ${node}`, () =>
        this.api.nodes.$(node).tasks.$get({ source: 'active', typefilter: 'qmclone' }),
      )) as Array<Record<string, unknown>>;
      if (tasks.some((t) => str(t['user']) === this.config.tokenId && str(t['status']) === undefined))
        return true;
    }
    return false;
  }

  /** Polls the cluster's VM list until `done` holds. */
  private async waitUntil(
    ctx: DriverCallContext,
    what: string,
    done: (vms: VmResource[]) => boolean,
  ): Promise<VmResource[]> {
    for (;;) {
      const vms = await this.listVms(ctx);
      ctx.heartbeat({ waiting: what });
      if (done(vms)) return vms;
      await this.pause(ctx);
    }
  }

  private async cloneFor(spec: MachineSpec, ctx: DriverCallContext): Promise<VmResource> {
    const action = `clone a VM for machine ${spec.name}`;
    const image = spec.image === '' ? String(this.config.template) : spec.image;
    const storage = spec.storage ?? this.config.storage;
    const vms = await this.listVms(ctx);
    // The template's node; a template we do not see is asked for on the target node (Proxmox then says what is wrong).
    const template = vms.find((vm) => String(vm.vmid) === image);
    const sourceNode = template?.node ?? spec.location;
    const nextid = await this.call(ctx, action, () => this.api.cluster.nextid.$get());
    // `/cluster/nextid` answers a JSON string ("101"), whatever the client's types say.
    const newid = Number(nextid);
    if (!Number.isInteger(newid)) {
      throw new ProviderError(
        'proxmox',
        { message: `nextid answered ${JSON.stringify(nextid)}`, retryable: true },
        { action },
      );
    }
    const upid = await this.call(ctx, action, () =>
      this.api.nodes
        .$(sourceNode)
        // The client types VMIDs as numbers; anything else is passed on for Proxmox to refuse in its own words.
        .qemu.$(/^\d+$/.test(image) ? Number(image) : (image as unknown as number))
        .clone.$post({
          newid,
          name: spec.name,
          full: true,
          storage,
          description: ownerDescription(spec.labels),
          ...(sourceNode !== spec.location ? { target: spec.location } : {}),
        }),
    );
    ctx.heartbeat({ cloned: newid, upid });
    await this.waitTask(upid, ctx, action);
    return {
      vmid: newid,
      node: spec.location,
      name: spec.name,
      status: 'stopped',
      template: false,
      maxcpu: 0,
      maxmem: 0,
      maxdisk: 0,
    };
  }

  /**
   * Waits while the VM is being cloned (`lock: clone` with a clone task of ours running on its
   * node); the VM as it is then. A clone lock without a running clone task is left by a crashed
   * clone: nothing clears it by itself (an operator checks the VM and runs `qm unlock`), so that is
   * a retryable refusal rather than an endless wait.
   */
  private async settled(vmid: number, ctx: DriverCallContext, action: string): Promise<VmResource> {
    let unattended = false;
    for (;;) {
      const vm = (await this.listVms(ctx)).find((v) => v.vmid === vmid);
      ctx.heartbeat({ waiting: `clone of VM ${vmid}` });
      if (!vm) {
        throw new ProviderError(
          'proxmox',
          { message: `VM ${vmid} disappeared while it was being cloned (the clone failed)`, retryable: true },
          { action },
        );
      }
      if (vm.lock === undefined) return vm;
      if (vm.lock !== 'clone' || unattended) {
        const hint = vm.lock === 'clone' ? ' and no clone task is running (a crashed clone?)' : '';
        throw new ProviderError(
          'proxmox',
          { message: `VM is locked (${vm.lock})${hint}`, retryable: true },
          { action },
        );
      }
      // Checked once more after a fresh listing: the clone may have finished in between.
      if (!(await this.ownCloneRunning([vm], ctx))) {
        unattended = true;
        continue;
      }
      await this.pause(ctx);
    }
  }

  private async configure(
    vm: VmResource,
    config: VmConfig,
    spec: MachineSpec,
    ctx: DriverCallContext,
  ): Promise<void> {
    const net0 = str(config['net0']);
    const params = {
      cores: spec.sizing.vcpus,
      memory: String(spec.sizing.memoryMiB),
      ciuser: 'root',
      sshkeys: encodeSshKeys(spec.sshAuthorizedKeys),
      ipconfig0: this.config.ipconfig ?? 'ip=dhcp',
      tags: mergeTags(str(config.tags), spec.labels),
      ...(this.config.nameserver !== undefined ? { nameserver: this.config.nameserver } : {}),
      ...(this.config.bridge !== undefined && net0 !== undefined
        ? { net0: withBridge(net0, this.config.bridge) }
        : {}),
      ...(/^(1|enabled=1)/.test(str(config['agent']) ?? '') ? {} : { agent: '1' }),
      ...(labelsFromDescription(str(config.description))[OWNER_LABELS.machineId] === spec.machineId
        ? {}
        : { description: ownerDescription(spec.labels) }),
      ...(config.digest !== undefined ? { digest: config.digest } : {}),
    };
    await this.call(ctx, `configure VM ${vm.vmid}`, () => this.qemu(vm.node, vm.vmid).config.$put(params));
  }

  /** Grows the boot disk to `diskGiB` (never shrinks); resize is a task since PVE 8.0, `null` before. */
  private async growDisk(
    vm: VmResource,
    config: VmConfig,
    diskGiB: number,
    ctx: DriverCallContext,
  ): Promise<boolean> {
    const disk = bootDisk(config);
    const action = `resize the disk of VM ${vm.vmid}`;
    if (!disk)
      throw new ProviderError(
        'proxmox',
        { message: `VM ${vm.vmid} has no disk`, retryable: false },
        { action },
      );
    if (disk.sizeBytes >= diskGiB * GiB) return false;
    const upid = (await this.call(ctx, action, () =>
      this.qemu(vm.node, vm.vmid).resize.$put({ disk: disk.key as 'scsi0', size: `${diskGiB}G` }),
    )) as string | null;
    if (typeof upid === 'string') await this.waitTask(upid, ctx, action);
    return true;
  }

  private async powerOn(vm: VmResource, ctx: DriverCallContext): Promise<void> {
    const action = `start VM ${vm.vmid}`;
    const upid = await this.call(ctx, action, () => this.qemu(vm.node, vm.vmid).status.start.$post({}));
    try {
      await this.waitTask(upid, ctx, action);
    } catch (err) {
      // A start re-sent by the client after a lost answer finds the VM running: that is success.
      if (err instanceof ProviderError && /already running/.test(err.refusal.code ?? '')) return;
      throw err;
    }
  }

  /** Waits for the guest agent to report an address; then reads the host key the machine made. */
  private async guestFacts(
    vm: VmResource,
    ctx: DriverCallContext,
  ): Promise<{ address: string; hostKey: string }> {
    const action = `wait for VM ${vm.vmid} to boot`;
    const deadline = Date.now() + (this.config.guestTimeoutMs ?? 600_000);
    const agent = this.qemu(vm.node, vm.vmid).agent;
    for (;;) {
      try {
        const answer = (await this.call(ctx, action, () => agent['network-get-interfaces'].$get())) as {
          result?: AgentInterface[];
        };
        const address = guestAddress(answer.result ?? []);
        if (address !== undefined) {
          const file = (await this.call(ctx, `read the host key of VM ${vm.vmid}`, () =>
            agent['file-read'].$get({ file: HOST_KEY_FILE }),
          )) as { content?: string };
          const hostKey = (file.content ?? '').trim().split(/\s+/).slice(0, 2).join(' ');
          if (!/^ssh-ed25519 [A-Za-z0-9+/]+=*$/.test(hostKey)) {
            throw new ProviderError(
              'proxmox',
              { message: `${HOST_KEY_FILE} of VM ${vm.vmid} holds no ed25519 key`, retryable: true },
              { action },
            );
          }
          return { address, hostKey };
        }
      } catch (err) {
        if (!(err instanceof ProviderError && GUEST_NOT_READY.test(err.refusal.message))) throw err;
      }
      ctx.heartbeat({ waiting: `guest agent of VM ${vm.vmid}` });
      if (Date.now() > deadline) {
        throw new ProviderError(
          'proxmox',
          { message: `the guest agent of VM ${vm.vmid} reported no address in time`, retryable: true },
          { action },
        );
      }
      await this.pause(ctx);
    }
  }

  async create(spec: MachineSpec, ctx: DriverCallContext): Promise<ReachableMachine> {
    const action = `create machine ${spec.name}`;
    if (this.config.nodes && !this.config.nodes.includes(spec.location)) {
      throw FedopsError.validation([
        { field: 'location', message: `node ${spec.location} is not one of ${this.config.nodes.join(', ')}` },
      ]);
    }
    // Validates the labels before anything is made.
    labelsToTagsCheck(spec.labels);
    const found = (await this.findOwn(spec, ctx)) ?? (await this.cloneFor(spec, ctx));
    let vm = await this.settled(found.vmid, ctx, action);
    const config = await this.getConfig(vm, ctx);
    if (vm.status !== 'running') {
      await this.configure(vm, config, spec, ctx);
      await this.growDisk(vm, config, spec.sizing.diskGiB, ctx);
      await this.powerOn(vm, ctx);
    } else if (!tagsCarry(str(config.tags), spec.labels)) {
      // Running but not labelled (started by hand?): tags are applied to a running VM at once.
      await this.configure(vm, config, spec, ctx);
    }
    const facts = await this.guestFacts(vm, ctx);
    vm = (await this.find(String(vm.vmid), ctx)) ?? vm;
    const machine = this.fromConfig(vm, await this.getConfig(vm, ctx));
    return {
      ...machine,
      status: 'running',
      address: facts.address,
      sshPort: 22,
      sshUser: 'root',
      sshHostKey: facts.hostKey,
      fsRoot: '/',
      activation: 'nixos-rebuild',
    };
  }

  // ---- the rest of the life -----------------------------------------------------------------------

  async get(providerId: string, ctx: DriverCallContext): Promise<DriverMachine | undefined> {
    const vm = await this.find(providerId, ctx);
    if (!vm) return undefined;
    let config: VmConfig;
    try {
      config = await this.getConfig(vm, ctx);
    } catch (err) {
      if (err instanceof ProviderError && /does not exist/.test(err.refusal.message)) return undefined;
      throw err;
    }
    const machine = this.fromConfig(vm, config);
    if (vm.status !== 'running') return machine;
    try {
      const answer = (await this.call(ctx, `ask the guest agent of VM ${vm.vmid}`, () =>
        this.qemu(vm.node, vm.vmid).agent['network-get-interfaces'].$get(),
      )) as { result?: AgentInterface[] };
      const address = guestAddress(answer.result ?? []);
      return address === undefined ? machine : { ...machine, address };
    } catch (err) {
      if (err instanceof ProviderError) return machine; // agent not up: no address yet
      throw err;
    }
  }

  /**
   * By tags, and by the labels in the description for VMs that carry no owner tag yet: a clone is
   * given its description by the clone call itself and its tags only by the config step after it, so
   * a create that failed in between left a VM only its description tells (the reconciler and a
   * tenant's deletion must find it too).
   */
  async listByLabels(labels: Record<string, string>, ctx: DriverCallContext): Promise<DriverMachine[]> {
    const vms = (await this.listVms(ctx)).filter((vm) => !vm.template);
    const found: Array<{ vm: VmResource; labels: Record<string, string> }> = vms
      .filter((vm) => tagsCarry(vm.tags, labels))
      .map((vm) => ({ vm, labels: tagsToLabels(vm.tags) }));
    const untagged = vms.filter((vm) => !splitTags(vm.tags).some((tag) => tag.startsWith(OWNER_TAG_PREFIX)));
    for (let i = 0; i < untagged.length; i += CONFIG_READS_AT_ONCE) {
      const batch = untagged.slice(i, i + CONFIG_READS_AT_ONCE);
      const configs = await Promise.all(batch.map((vm) => this.configWherever(vm, ctx)));
      batch.forEach((vm, j) => {
        const described = labelsFromDescription(str(configs[j]?.description));
        if (Object.entries(labels).every(([key, value]) => described[key] === value)) {
          found.push({ vm, labels: described });
        }
      });
    }
    return found
      .sort((a, b) => a.vm.vmid - b.vm.vmid)
      .map(({ vm, labels: own }) => this.fromResource(vm, own));
  }

  async start(providerId: string, ctx: DriverCallContext): Promise<void> {
    const vm = await this.require(providerId, ctx, `start VM ${providerId}`);
    if (vm.status !== 'running') await this.powerOn(vm, ctx);
    await this.guestFacts(vm, ctx);
  }

  async stop(providerId: string, ctx: DriverCallContext): Promise<void> {
    const action = `stop VM ${providerId}`;
    const vm = await this.require(providerId, ctx, action);
    if (vm.status !== 'running') return;
    // A clean shutdown through ACPI, forced off if the guest does not comply within the timeout.
    const upid = await this.call(ctx, action, () =>
      this.qemu(vm.node, vm.vmid).status.shutdown.$post({ forceStop: true, timeout: 60 }),
    );
    await this.waitTask(upid, ctx, action);
  }

  async reboot(providerId: string, ctx: DriverCallContext): Promise<void> {
    const action = `reboot VM ${providerId}`;
    const vm = await this.require(providerId, ctx, action);
    if (vm.status !== 'running') {
      await this.powerOn(vm, ctx);
    } else {
      const upid = await this.call(ctx, action, () => this.qemu(vm.node, vm.vmid).status.reboot.$post({}));
      await this.waitTask(upid, ctx, action);
    }
    await this.guestFacts(vm, ctx);
  }

  async resize(
    providerId: string,
    sizing: MachineSizing & { size?: string },
    ctx: DriverCallContext,
  ): Promise<void> {
    const action = `resize VM ${providerId}`;
    const vm = await this.require(providerId, ctx, action);
    const config = await this.getConfig(vm, ctx);
    const cpuOrMemory =
      num(config['cores'], 1) !== sizing.vcpus || memoryMiB(config['memory']) !== sizing.memoryMiB;
    if (cpuOrMemory) {
      await this.call(ctx, action, () =>
        this.qemu(vm.node, vm.vmid).config.$put({
          cores: sizing.vcpus,
          memory: String(sizing.memoryMiB),
          ...(config.digest !== undefined ? { digest: config.digest } : {}),
        }),
      );
    }
    await this.growDisk(vm, await this.getConfig(vm, ctx), sizing.diskGiB, ctx);
    // CPU and memory of a running VM are pending until it restarts (no CPU/memory hotplug by default).
    if (cpuOrMemory && vm.status === 'running') await this.reboot(providerId, ctx);
  }

  async delete(providerId: string, ctx: DriverCallContext): Promise<boolean> {
    const action = `delete VM ${providerId}`;
    const vm = await this.find(providerId, ctx);
    if (!vm) return false;
    try {
      if (vm.status === 'running') {
        const stopUpid = await this.call(ctx, action, () =>
          this.qemu(vm.node, vm.vmid).status.stop.$post({}),
        );
        await this.waitTask(stopUpid, ctx, action);
      }
      const upid = await this.call(ctx, action, () =>
        this.qemu(vm.node, vm.vmid).$delete({ purge: true, 'destroy-unreferenced-disks': true }),
      );
      await this.waitTask(upid, ctx, action);
    } catch (err) {
      // Deleted by someone else meanwhile: the outcome asked for.
      if (err instanceof ProviderError && /does not exist/.test(err.refusal.message)) {
        return (await this.find(providerId, ctx)) === undefined ? false : Promise.reject(err);
      }
      throw err;
    }
    return true;
  }

  // ---- the provider as a whole ----------------------------------------------------------------------

  private async nodes(ctx: DriverCallContext, action: string): Promise<Array<Record<string, unknown>>> {
    const nodes = (await this.call(ctx, action, () => this.api.nodes.$get())) as Array<
      Record<string, unknown>
    >;
    const wanted = this.config.nodes;
    return wanted ? nodes.filter((n) => wanted.includes(str(n['node']) ?? '')) : nodes;
  }

  async capacity(ctx: DriverCallContext): Promise<ProviderCapacity> {
    const nodes = await this.nodes(ctx, 'read node capacity');
    const locations: ProviderCapacity['locations'] = [];
    for (const node of nodes) {
      const name = str(node['node']) ?? '';
      const online = node['status'] === 'online';
      const freeMemoryMiB = Math.max(0, Math.floor((num(node['maxmem']) - num(node['mem'])) / MiB));
      let freeDiskGiB = Math.max(0, Math.floor((num(node['maxdisk']) - num(node['disk'])) / GiB));
      if (online) {
        const storages = (await this.call(ctx, `read storage of ${name}`, () =>
          this.api.nodes.$(name).storage.$get({ storage: this.config.storage }),
        )) as Array<Record<string, unknown>>;
        const storage = storages.find((s) => s['storage'] === this.config.storage && num(s['active']) === 1);
        if (storage) freeDiskGiB = Math.floor(num(storage['avail']) / GiB);
      }
      locations.push({ name, available: online, ...(online ? { freeMemoryMiB, freeDiskGiB } : {}) });
    }
    return { locations };
  }

  async testConnection(ctx: DriverCallContext): Promise<ConnectionReport> {
    const action = 'test the connection';
    const nodes = await this.nodes(ctx, action);
    const names = nodes.map((n) => str(n['node']) ?? '');
    const missing = (this.config.nodes ?? []).filter((n) => !names.includes(n));
    if (missing.length > 0) {
      throw new ProviderError(
        'proxmox',
        { message: `node(s) ${missing.join(', ')} are not in the cluster`, retryable: false },
        { action },
      );
    }
    const status = (await this.call(ctx, action, () => this.api.cluster.status.$get())) as Array<
      Record<string, unknown>
    >;
    const version = (await this.call(ctx, action, () => this.api.version.$get())) as Record<string, unknown>;
    const cluster = status.find((s) => s['type'] === 'cluster');
    const where = cluster ? `cluster ${str(cluster['name']) ?? '?'}` : `node ${names[0] ?? '?'}`;
    return {
      locations: names,
      identity: `${this.config.tokenId} on ${where}, Proxmox VE ${str(version['version']) ?? '?'}`,
    };
  }
}

/** Throws the validation error for labels Proxmox tags cannot carry. */
function labelsToTagsCheck(labels: Record<string, string>): void {
  for (const [key, value] of Object.entries(labels)) labelTag(key, value);
}
