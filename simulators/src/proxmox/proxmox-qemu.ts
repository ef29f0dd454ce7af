/**
 * What qemu-server's API does with a VM, checks first (a refusal before forking is a synchronous
 * 500), then the worker (checks repeated inside, a failure there is the task's exit status).
 */
import { randomUUID } from 'node:crypto';
import type { VmIdentity } from '../common/sandbox-vms';
import type { ProxmoxGuests } from './proxmox-guests';
import { type Drive, type ProxmoxCluster, type QemuVm, printDrive, randomMac } from './proxmox-cluster';
import { paramError, pveDie } from './proxmox-errors';
import { formatSize, parseSize } from './proxmox-params';
import { decodeSshKeys } from './proxmox-ssh-keys';
import type { TaskBook, TaskContext, TaskRecord } from './proxmox-tasks';

/** A fault the request was given for its task (FaultBook `task-error` or `slow-task`). */
export interface TaskFault {
  kind: 'task-error' | 'slow-task';
  message?: string;
  delayMs?: number;
}

export interface QemuTiming {
  /** How long a full clone copies its disks. */
  cloneMs: number;
  /** How long start, stop, resize, destroy and config workers take. */
  taskMs: number;
}

export interface CloneRequest {
  node: string;
  vmid: number;
  newid: number;
  name?: string;
  description?: string;
  full?: boolean;
  target?: string;
  storage?: string;
}

const DEFAULT_SLOW_MS = 15_000;
const CONFIG_LOCK_TIMEOUT_MS = 10_000;

function lockError(vm: QemuVm): Error | undefined {
  const lock = vm.config['lock'];
  return lock === undefined ? undefined : pveDie(`VM is locked (${lock})`);
}

function markStopped(vm: QemuVm): void {
  vm.status = 'stopped';
  vm.startedAt = undefined;
  vm.pid = undefined;
}

function checkLock(vm: QemuVm): void {
  const err = lockError(vm);
  if (err) throw err;
}

/** Who may log in to the VM's guest: its cloud-init `sshkeys` (the guest makes its own host key). */
function guestIdentity(vm: QemuVm): VmIdentity {
  return { authorizedKeys: decodeSshKeys(vm.config['sshkeys']) };
}

export class QemuOperations {
  private readonly configLocks = new Map<number, Promise<void>>();
  /** Called when a VM is powered on or off (the state file is saved). */
  onChange: () => void = () => undefined;

  constructor(
    private readonly cluster: ProxmoxCluster,
    private readonly tasks: TaskBook,
    private readonly guests: ProxmoxGuests,
    private readonly timing: QemuTiming,
  ) {}

  /** A worker with its fault applied: a `slow-task` waits longer first, a `task-error` fails instead. */
  private fork(
    node: string,
    type: string,
    id: string,
    user: string,
    fault: TaskFault | undefined,
    work: (ctx: TaskContext) => Promise<void>,
  ): TaskRecord {
    return this.tasks.start(node, type, id, user, (ctx) =>
      this.withConfigLock(Number(id), async () => {
        if (fault?.kind === 'slow-task') await ctx.sleep(fault.delayMs ?? DEFAULT_SLOW_MS);
        if (fault?.kind === 'task-error') {
          await ctx.sleep(this.timing.taskMs);
          throw new Error(fault.message ?? 'simulated task failure');
        }
        await work(ctx);
      }),
    );
  }

  /**
   * `PVE::QemuConfig->lock_config`: workers on one VM run one at a time (flock on
   * /var/lock/qemu-server/lock-<vmid>.conf), a waiter gives up after 10 s.
   */
  private withConfigLock<T>(vmid: number, work: () => Promise<T>): Promise<T> {
    const previous = this.configLocks.get(vmid) ?? Promise.resolve();
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => held);
    this.configLocks.set(vmid, tail);
    return (async () => {
      let timer: NodeJS.Timeout | undefined;
      try {
        const acquired = await Promise.race([
          previous.then(() => true),
          new Promise<boolean>((resolve) => {
            timer = setTimeout(() => resolve(false), CONFIG_LOCK_TIMEOUT_MS);
            // A worker left hanging by close() must not keep the process alive.
            timer.unref();
          }),
        ]);
        if (!acquired) {
          throw pveDie(`can't lock file '/var/lock/qemu-server/lock-${vmid}.conf' - got timeout`);
        }
        return await work();
      } finally {
        clearTimeout(timer);
        release();
        if (this.configLocks.get(vmid) === tail) this.configLocks.delete(vmid);
      }
    })();
  }

  // ---- clone ----------------------------------------------------------------------------------

  /** `POST /nodes/{node}/qemu/{vmid}/clone`: checks, then a `qmclone` worker; returns its task. */
  clone(req: CloneRequest, user: string, fault: TaskFault | undefined): TaskRecord {
    this.checkClone(req);
    return this.tasks.start(req.node, 'qmclone', String(req.vmid), user, (ctx) =>
      this.withConfigLock(req.newid, () => this.cloneWorker(req, fault, ctx)),
    );
  }

  private async cloneWorker(
    req: CloneRequest,
    fault: TaskFault | undefined,
    ctx: TaskContext,
  ): Promise<void> {
    // The worker repeats the checks under the locks: a concurrent clone may have taken the id.
    const { source, full, disks } = this.checkClone(req);
    ctx.log(`create ${full ? 'full ' : 'linked '}clone of VM ${req.vmid} with ID ${req.newid}`);
    // qemu-server first writes a temporary config holding only the lock: the VMID is taken, but
    // nothing says what the VM is until the first disk is copied.
    const vm: QemuVm = {
      vmid: req.newid,
      node: req.node,
      config: { lock: 'clone' },
      pending: {},
      status: 'stopped',
      machineLabel: `pve-${req.newid}-${randomUUID().slice(0, 8)}`,
    };
    this.cluster.vms.set(req.newid, vm);
    const copyMs =
      this.timing.cloneMs + (fault?.kind === 'slow-task' ? (fault.delayMs ?? DEFAULT_SLOW_MS) : 0);
    const newconf: Record<string, string> = {};
    for (const [key, value] of Object.entries(source.config)) {
      if (key === 'template' || key === 'lock') continue;
      newconf[key] = value;
    }
    newconf['name'] = req.name ?? `Copy-of-VM-${source.config['name'] ?? req.vmid}`;
    if (req.description) newconf['description'] = req.description;
    newconf['smbios1'] = `uuid=${randomUUID()}`;
    if (newconf['vmgenid']) newconf['vmgenid'] = randomUUID();
    for (const key of Object.keys(newconf)) {
      if (/^net\d+$/.test(key))
        newconf[key] = (newconf[key] ?? '').replace(/^(\w+)=[0-9A-Fa-f:]{17}/, `$1=${randomMac()}`);
    }
    let index = 0;
    try {
      for (const { key, drive } of disks) {
        const target = this.cloneDrive(drive, req, full, index);
        if (!drive.cdrom) index++;
        if (drive.cdrom) {
          newconf[key] = printDrive(target);
          continue;
        }
        ctx.log(
          `create ${full ? 'full' : 'linked'} clone of drive ${key} (${drive.storage}:${drive.volume})`,
        );
        const storage = this.cluster.storage(target.storage);
        if (full && storage) {
          const avail =
            storage.totalGiB * 2 ** 30 - this.cluster.storageUsed(storage, req.target ?? req.node);
          if (avail < drive.sizeBytes) {
            throw new Error(
              `unable to allocate image on storage '${storage.storage}': not enough free space`,
            );
          }
        }
        if (fault?.kind === 'task-error') {
          await ctx.sleep(copyMs / 2);
          throw new Error(
            fault.message?.replace(/^clone failed: /, '') ?? 'storage migration failed: simulated I/O error',
          );
        }
        await ctx.sleep(copyMs);
        ctx.log(`transferred ${formatSize(drive.sizeBytes)} of ${formatSize(drive.sizeBytes)} (100.00%)`);
        newconf[key] = printDrive(target);
        // The config is written after each disk, still locked.
        vm.config = { ...newconf, lock: 'clone' };
      }
    } catch (err) {
      // Cleanup, as qemu-server does: new volumes freed, the config file removed last.
      await ctx.sleep(20);
      this.cluster.vms.delete(req.newid);
      const text = err instanceof Error ? err.message : String(err);
      throw new Error(`clone failed: ${text}`);
    }
    vm.config = { ...newconf };
    if (req.target) {
      ctx.log(`moving config to node '${req.target}'`);
      vm.node = req.target;
    }
  }

  private cloneDrive(drive: Drive, req: CloneRequest, full: boolean, index: number): Drive {
    const storageId = full ? (req.storage ?? drive.storage) : drive.storage;
    const storage = this.cluster.storage(storageId);
    const fileBased = storage?.type === 'dir' || storage?.type === 'nfs';
    if (drive.cdrom) {
      if (!drive.volume.includes('cloudinit')) return drive;
      const volume = fileBased ? `${req.newid}/vm-${req.newid}-cloudinit.qcow2` : `vm-${req.newid}-cloudinit`;
      return { ...drive, storage: storageId, volume };
    }
    const name = `vm-${req.newid}-disk-${index}`;
    const volume = full ? (fileBased ? `${req.newid}/${name}.qcow2` : name) : `${drive.volume}/${name}`;
    return { ...drive, storage: storageId, volume };
  }

  private checkClone(req: CloneRequest): {
    source: QemuVm;
    full: boolean;
    disks: Array<{ key: string; drive: Drive }>;
  } {
    const target = req.target === req.node ? undefined : req.target;
    if (target !== undefined && !this.cluster.node(target)) throw pveDie(`no such cluster node '${target}'`);
    if (req.storage !== undefined) {
      const storage = this.cluster.storage(req.storage);
      if (!storage) throw pveDie(`storage '${req.storage}' does not exist`);
      if (!this.cluster.storageOnNode(storage, req.node)) {
        throw pveDie(`storage '${req.storage}' is not available on node '${req.node}'`);
      }
      if (!storage.content.includes('images')) {
        throw paramError({ storage: `storage '${req.storage}' does not support vm images` });
      }
      if (target !== undefined) {
        if (!this.cluster.storageOnNode(storage, target)) {
          throw pveDie(`storage '${req.storage}' is not available on node '${target}'`);
        }
        if (!storage.shared) throw pveDie(`can't clone to non-shared storage '${req.storage}'`);
      }
    }
    const source = this.cluster.vmOn(req.node, req.vmid);
    checkLock(source);
    const isTemplate = source.config['template'] === '1';
    const full = req.full ?? !isTemplate;
    if (req.storage !== undefined && !full) throw pveDie("parameter 'storage' not allowed for linked clones");
    const disks = this.cluster.drives(source.config);
    let shared = true;
    for (const { key, drive } of disks) {
      if (drive.cdrom && !drive.volume.includes('cloudinit')) continue;
      const storage = this.cluster.storage(drive.storage);
      if (!storage?.shared) shared = false;
      if (!full && !isTemplate && !drive.cdrom) {
        throw pveDie(`Linked clone feature is not supported for '${drive.storage}:${drive.volume}' (${key})`);
      }
    }
    if (target !== undefined && !shared)
      throw pveDie(`can't clone VM to node '${target}' (VM uses local storage)`);
    if (this.cluster.vms.has(req.newid)) {
      throw pveDie(`unable to create VM ${req.newid}: config file already exists`);
    }
    return { source, full, disks };
  }

  // ---- config ---------------------------------------------------------------------------------

  /** The early checks of update_vm_api (also repeated by the worker). */
  checkConfigUpdate(vm: QemuVm, digest: string | undefined, skiplock: boolean): void {
    if (digest !== undefined && digest !== this.cluster.digest(vm)) {
      throw pveDie('checksum mismatch (file change by other user?)');
    }
    if (!skiplock) checkLock(vm);
  }

  updateConfig(vm: QemuVm, changes: Record<string, string>, deletions: string[]): void {
    this.cluster.updateConfig(vm, changes, deletions);
  }

  /** `POST .../config`: the same update in a `qmconfig` worker. */
  updateConfigAsync(
    vm: QemuVm,
    changes: Record<string, string>,
    deletions: string[],
    digest: string | undefined,
    user: string,
    fault: TaskFault | undefined,
  ): TaskRecord {
    return this.fork(vm.node, 'qmconfig', String(vm.vmid), user, fault, async (ctx) => {
      this.checkConfigUpdate(vm, digest, false);
      ctx.log(
        `update VM ${vm.vmid}: ${Object.entries(changes)
          .map(([k, v]) => `-${k} ${k === 'cipassword' ? '<hidden>' : v}`)
          .join(' ')}`,
      );
      await ctx.sleep(this.timing.taskMs);
      this.cluster.updateConfig(vm, changes, deletions);
    });
  }

  // ---- resize ---------------------------------------------------------------------------------

  resize(
    vm: QemuVm,
    disk: string,
    size: string,
    digest: string | undefined,
    user: string,
    fault: TaskFault | undefined,
  ): TaskRecord {
    return this.fork(vm.node, 'resize', String(vm.vmid), user, fault, async (ctx) => {
      if (digest !== undefined && digest !== this.cluster.digest(vm)) {
        throw pveDie('checksum mismatch (file change by other user?)');
      }
      checkLock(vm);
      const value = vm.config[disk];
      if (value === undefined) throw pveDie(`disk '${disk}' does not exist`);
      const drive = this.cluster.drives({ [disk]: value })[0]?.drive;
      if (!drive || drive.volume === '') throw pveDie(`disk '${disk}' has no associated volume`);
      if (drive.cdrom) throw pveDie("you can't resize a cdrom");
      const wanted = parseSize(size);
      const newSize = wanted.relative ? drive.sizeBytes + wanted.bytes : wanted.bytes;
      if (newSize < drive.sizeBytes) throw pveDie('shrinking disks is not supported');
      if (newSize === drive.sizeBytes) return;
      await ctx.sleep(this.timing.taskMs);
      ctx.log(`update VM ${vm.vmid}: resize --disk ${disk} --size ${size}`);
      vm.config[disk] = printDrive({ ...drive, sizeBytes: newSize });
    });
  }

  // ---- power ----------------------------------------------------------------------------------

  start(vm: QemuVm, user: string, fault: TaskFault | undefined): TaskRecord {
    if (vm.config['template'] === '1') throw pveDie("you can't start a vm if it's a template");
    return this.fork(vm.node, 'qmstart', String(vm.vmid), user, fault, async (ctx) => {
      checkLock(vm);
      if (vm.status === 'running') throw pveDie(`VM ${vm.vmid} already running`);
      this.cluster.applyPending(vm);
      if (this.cluster.drives(vm.config).some((d) => d.drive.volume.includes('cloudinit'))) {
        ctx.log(`generating cloud-init ISO`);
      }
      await ctx.sleep(this.timing.taskMs);
      this.powerOn(vm);
    });
  }

  stop(vm: QemuVm, type: 'qmstop' | 'qmshutdown', user: string, fault: TaskFault | undefined): TaskRecord {
    return this.fork(vm.node, type, String(vm.vmid), user, fault, async (ctx) => {
      checkLock(vm);
      if (vm.status !== 'running') return; // no-op, task OK
      ctx.log(type === 'qmshutdown' ? `shutdown VM ${vm.vmid}` : `stop VM ${vm.vmid}`);
      await ctx.sleep(this.timing.taskMs);
      await this.powerOff(vm);
    });
  }

  reboot(vm: QemuVm, user: string, fault: TaskFault | undefined): TaskRecord {
    if (vm.status !== 'running') throw pveDie(`VM ${vm.vmid} not running`);
    return this.fork(vm.node, 'qmreboot', String(vm.vmid), user, fault, async (ctx) => {
      checkLock(vm);
      if (vm.status !== 'running') throw pveDie(`VM ${vm.vmid} not running`);
      await ctx.sleep(this.timing.taskMs);
      // A reboot through the API is shutdown + start: pending changes apply.
      await this.powerOff(vm);
      this.cluster.applyPending(vm);
      this.powerOn(vm);
    });
  }

  private powerOn(vm: QemuVm): void {
    vm.status = 'running';
    vm.startedAt = Date.now();
    vm.pid = this.cluster.newPid();
    this.guests.powerOn(vm.machineLabel, guestIdentity(vm));
    this.onChange();
  }

  private async powerOff(vm: QemuVm): Promise<void> {
    markStopped(vm);
    this.onChange();
    await this.guests.powerOff(vm.machineLabel);
  }

  /**
   * After a restart of the simulator: each VM's machine brought in line with the VM's status. A
   * running VM's machine is resumed (same address and host key, no boot delay); a VM whose machine
   * cannot be is left stopped, as after a crash of its QEMU process. A stopped VM's machine is
   * powered off.
   */
  async restoreGuests(): Promise<void> {
    const vms = [...this.cluster.vms.values()].filter((vm) => vm.config['template'] !== '1');
    await Promise.all(
      vms.map(async (vm) => {
        if (vm.status === 'running') {
          if (!(await this.guests.resume(vm.machineLabel, guestIdentity(vm)))) markStopped(vm);
        } else await this.guests.powerOff(vm.machineLabel).catch(() => undefined);
      }),
    );
  }

  // ---- destroy --------------------------------------------------------------------------------

  destroy(vm: QemuVm, user: string, fault: TaskFault | undefined): TaskRecord {
    if (vm.status === 'running') throw pveDie(`VM ${vm.vmid} is running - destroy failed`);
    return this.fork(vm.node, 'qmdestroy', String(vm.vmid), user, fault, async (ctx) => {
      checkLock(vm);
      if (vm.status === 'running') throw pveDie(`VM ${vm.vmid} is running - destroy failed`);
      vm.config['lock'] = 'destroyed';
      for (const { drive } of this.cluster.drives(vm.config)) {
        if (!drive.cdrom || drive.volume.includes('cloudinit'))
          ctx.log(`Removing image: 100% complete...done.`);
      }
      await ctx.sleep(this.timing.taskMs);
      try {
        await this.guests.destroy(vm.machineLabel);
      } catch (err) {
        ctx.warn(`could not remove the guest: ${err instanceof Error ? err.message : String(err)}`);
      }
      // The config goes last, so the VMID is not reused while its volumes still exist.
      this.cluster.vms.delete(vm.vmid);
    });
  }
}
