/**
 * The cluster a Proxmox simulator holds in memory: nodes, storages and QEMU VMs (templates
 * included) with their configs as qemu-server writes them (`key: value` text; numbers are text too),
 * pending changes of running VMs, and the figures the API derives from them (node memory and disk,
 * storage usage, `/cluster/resources`).
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { pveDie } from './proxmox-errors';
import { formatSize, parseSize, splitList } from './proxmox-params';

export interface ProxmoxNodeSpec {
  name: string;
  maxcpu?: number;
  maxmemMiB?: number;
  /** The node's root filesystem. */
  maxdiskGiB?: number;
  status?: 'online' | 'offline';
}

export interface ProxmoxStorageSpec {
  storage: string;
  type: 'dir' | 'lvmthin' | 'rbd' | 'nfs' | 'zfspool';
  content: string[];
  shared: boolean;
  /** Per node for local storages, once for shared ones. */
  totalGiB: number;
  /** Nodes the storage is available on (default: all). */
  nodes?: string[];
}

export interface ProxmoxTemplateSpec {
  vmid: number;
  node: string;
  name: string;
  /** Where its disk lives; shared storage lets it be cloned onto other nodes (`target`). */
  storage: string;
  diskGiB: number;
  cores?: number;
  memoryMiB?: number;
  bridge?: string;
}

export const DEFAULT_NODES: ProxmoxNodeSpec[] = [
  { name: 'pve1', maxcpu: 16, maxmemMiB: 64 * 1024, maxdiskGiB: 100 },
  { name: 'pve2', maxcpu: 16, maxmemMiB: 64 * 1024, maxdiskGiB: 100 },
];

export const DEFAULT_STORAGES: ProxmoxStorageSpec[] = [
  {
    storage: 'local',
    type: 'dir',
    content: ['iso', 'vztmpl', 'backup', 'snippets'],
    shared: false,
    totalGiB: 100,
  },
  { storage: 'local-lvm', type: 'lvmthin', content: ['images', 'rootdir'], shared: false, totalGiB: 800 },
  { storage: 'cephpool', type: 'rbd', content: ['images', 'rootdir'], shared: true, totalGiB: 4096 },
];

export const DEFAULT_TEMPLATES: ProxmoxTemplateSpec[] = [
  { vmid: 9000, node: 'pve1', name: 'debian-12-cloudinit', storage: 'cephpool', diskGiB: 4 },
];

const MiB = 2 ** 20;
const GiB = 2 ** 30;
/** What a node uses with no VM running (host OS, pmxcfs, ceph daemons). */
const NODE_BASE_MEM = 2 * GiB;
const NODE_BASE_DISK = 6 * GiB;

/** Options hot-plugged into a running VM (`$fast_plug_option` plus the cloud-init options, plus network and disks with the default `hotplug: network,disk,usb`). */
const FAST_PLUG = new Set([
  'description',
  'hookscript',
  'lock',
  'name',
  'onboot',
  'protection',
  'startup',
  'tags',
  'ciuser',
  'cipassword',
  'citype',
  'ciupgrade',
  'searchdomain',
  'nameserver',
  'sshkeys',
]);

function hotPluggable(key: string): boolean {
  return FAST_PLUG.has(key) || /^(ipconfig|net|scsi|virtio|sata)\d+$/.test(key);
}

export const DRIVE_KEY = /^(ide|sata|scsi|virtio|efidisk|tpmstate)\d+$/;

export interface Drive {
  storage: string;
  volume: string;
  options: Record<string, string>;
  cdrom: boolean;
  sizeBytes: number;
}

export function parseDrive(value: string): Drive | undefined {
  const [file, ...rest] = value.split(',');
  if (!file) return undefined;
  const options: Record<string, string> = {};
  for (const part of rest) {
    const [k, v] = part.split('=');
    if (k && v !== undefined) options[k] = v;
  }
  const colon = file.indexOf(':');
  const storage = colon > 0 ? file.slice(0, colon) : '';
  const volume = colon > 0 ? file.slice(colon + 1) : file;
  return {
    storage,
    volume,
    options,
    cdrom: options['media'] === 'cdrom',
    sizeBytes: options['size'] ? parseSize(options['size']).bytes : 0,
  };
}

export function printDrive(drive: Drive): string {
  const options = { ...drive.options };
  if (!drive.cdrom && drive.sizeBytes > 0) options['size'] = formatSize(drive.sizeBytes);
  return [`${drive.storage}:${drive.volume}`, ...Object.entries(options).map(([k, v]) => `${k}=${v}`)].join(
    ',',
  );
}

export function randomMac(): string {
  // The Proxmox OUI (BC:24:11) is what PVE 8 hands out by default.
  const tail = [...randomBytes(3)].map((b) => b.toString(16).toUpperCase().padStart(2, '0'));
  return ['BC', '24', '11', ...tail].join(':');
}

export type PowerState = 'running' | 'stopped';

export interface QemuVm {
  vmid: number;
  node: string;
  /** Applied config, as qemu-server writes it. */
  config: Record<string, string>;
  /** Changes waiting for the next start (running VMs only). */
  pending: Record<string, string>;
  status: PowerState;
  startedAt?: number;
  pid?: number;
  /** The sandbox machine's label: unique per VM instance, so a reused VMID never meets an old machine. */
  machineLabel: string;
}

export interface ProxmoxClusterOptions {
  clusterName: string;
  nodes: ProxmoxNodeSpec[];
  storages: ProxmoxStorageSpec[];
  templates: ProxmoxTemplateSpec[];
  /** `next-id` lower bound of datacenter.cfg (default 100). */
  nextIdLower: number;
}

/** What a state file keeps of the cluster: its VMs but the templates (those come from the options). */
export interface SavedCluster {
  /** When the nodes booted, as far as uptimes and UPIDs tell (a restarted simulator is not a rebooted node). */
  startedAt: number;
  nextPid: number;
  vms: QemuVm[];
}

export class ProxmoxCluster {
  readonly vms = new Map<number, QemuVm>();
  private started = Date.now();
  private nextPid = 3000 + Math.floor(Math.random() * 1000);
  /** A `nextid` race in force: the same answer for the next `remaining` callers. */
  private race: { remaining: number; id: number | undefined } = { remaining: 0, id: undefined };

  constructor(readonly options: ProxmoxClusterOptions) {
    for (const template of options.templates) this.addTemplate(template);
  }

  private addTemplate(spec: ProxmoxTemplateSpec): void {
    if (!this.node(spec.node)) throw new Error(`template ${spec.vmid}: no node ${spec.node}`);
    if (!this.storage(spec.storage)) throw new Error(`template ${spec.vmid}: no storage ${spec.storage}`);
    this.vms.set(spec.vmid, {
      vmid: spec.vmid,
      node: spec.node,
      status: 'stopped',
      pending: {},
      machineLabel: `pve-${spec.vmid}-template`,
      config: {
        agent: '1',
        boot: 'order=scsi0',
        cores: String(spec.cores ?? 1),
        cpu: 'x86-64-v2-AES',
        ide2: `${spec.storage}:vm-${spec.vmid}-cloudinit,media=cdrom`,
        memory: String(spec.memoryMiB ?? 1024),
        meta: `creation-qemu=9.0.2,ctime=${Math.floor(Date.now() / 1000)}`,
        name: spec.name,
        net0: `virtio=${randomMac()},bridge=${spec.bridge ?? 'vmbr0'},firewall=1`,
        ostype: 'l26',
        scsi0: `${spec.storage}:base-${spec.vmid}-disk-0,size=${spec.diskGiB}G`,
        scsihw: 'virtio-scsi-single',
        serial0: 'socket',
        smbios1: `uuid=${randomUUID()}`,
        template: '1',
        vga: 'serial0',
        vmgenid: randomUUID(),
      },
    });
  }

  get startedAt(): number {
    return this.started;
  }

  save(): SavedCluster {
    return {
      startedAt: this.started,
      nextPid: this.nextPid,
      vms: [...this.vms.values()]
        .filter((vm) => vm.config['template'] !== '1')
        .sort((a, b) => a.vmid - b.vmid)
        .map((vm) => ({ ...vm, config: { ...vm.config }, pending: { ...vm.pending } })),
    };
  }

  /** Takes the VMs of a state file beside the templates (their VMIDs must not collide: see the parser). */
  restore(saved: SavedCluster): void {
    for (const [vmid, vm] of this.vms) if (vm.config['template'] !== '1') this.vms.delete(vmid);
    for (const vm of saved.vms) this.vms.set(vm.vmid, vm);
    this.started = saved.startedAt;
    this.nextPid = saved.nextPid;
  }

  node(name: string): ProxmoxNodeSpec | undefined {
    return this.options.nodes.find((n) => n.name === name);
  }

  storage(id: string): ProxmoxStorageSpec | undefined {
    return this.options.storages.find((s) => s.storage === id);
  }

  storageOnNode(storage: ProxmoxStorageSpec, node: string): boolean {
    return storage.nodes === undefined || storage.nodes.includes(node);
  }

  /** pmxcfs path of a VM's config, as error messages name it. */
  configPath(node: string, vmid: number | string): string {
    return `nodes/${node}/qemu-server/${vmid}.conf`;
  }

  /** The VM `vmid` on `node`, or the 500 qemu-server gives for a config file that is not there. */
  vmOn(node: string, vmid: number): QemuVm {
    const vm = this.vms.get(vmid);
    if (!vm || vm.node !== node) {
      throw pveDie(`Configuration file '${this.configPath(node, vmid)}' does not exist`);
    }
    return vm;
  }

  newPid(): number {
    this.nextPid += 1 + Math.floor(Math.random() * 7);
    return this.nextPid;
  }

  /** Lowest free VMID at or above `next-id` lower; free is checked at call time, nothing is reserved. */
  lowestFreeId(): number {
    let id = this.options.nextIdLower;
    while (this.vms.has(id)) id++;
    return id;
  }

  /** `/cluster/nextid`, with a race in force answering several callers alike. */
  nextId(): number {
    if (this.race.remaining > 0) {
      this.race.remaining -= 1;
      this.race.id ??= this.lowestFreeId();
      const id = this.race.id;
      if (this.race.remaining === 0) this.race.id = undefined;
      return id;
    }
    return this.lowestFreeId();
  }

  /** The next `callers` nextid calls get the same answer, whatever is created in between. */
  raceNextId(callers: number): void {
    this.race = { remaining: Math.max(0, callers), id: undefined };
  }

  /** Config with pending values applied (what `GET config` shows by default). */
  effectiveConfig(vm: QemuVm): Record<string, string> {
    const merged: Record<string, string> = { ...vm.config, ...vm.pending };
    const deletions = splitList(vm.pending['delete'] ?? '');
    delete merged['delete'];
    for (const key of deletions) delete merged[key];
    return merged;
  }

  /** SHA-1 of the config text, as qemu-server's `digest` (changes whenever the config does). */
  digest(vm: QemuVm): string {
    const lines = Object.keys(vm.config)
      .sort()
      .map((key) => `${key}: ${vm.config[key]}`);
    const pending = Object.keys(vm.pending)
      .sort()
      .map((key) => `${key}: ${vm.pending[key]}`);
    return createHash('sha1')
      .update([...lines, '[PENDING]', ...pending].join('\n'))
      .digest('hex');
  }

  /**
   * Writes `changes` (and `deletions`) the way update_vm_api does: straight into the config of a
   * stopped VM; into the config for hot-pluggable options of a running one, the rest pending.
   */
  updateConfig(vm: QemuVm, changes: Record<string, string>, deletions: string[]): void {
    for (const [key, value] of Object.entries(changes)) {
      if (vm.status === 'running' && !hotPluggable(key)) vm.pending[key] = value;
      else {
        vm.config[key] = value;
        delete vm.pending[key];
      }
    }
    for (const key of deletions) {
      if (vm.status === 'running' && !hotPluggable(key)) {
        vm.pending['delete'] = [...splitList(vm.pending['delete'] ?? ''), key].join(',');
      } else delete vm.config[key];
    }
  }

  /** At start (and reboot): pending changes become the config. */
  applyPending(vm: QemuVm): void {
    vm.config = this.effectiveConfig(vm);
    vm.pending = {};
  }

  drives(config: Record<string, string>): Array<{ key: string; drive: Drive }> {
    return Object.entries(config)
      .filter(([key]) => DRIVE_KEY.test(key))
      .map(([key, value]) => ({ key, drive: parseDrive(value) }))
      .filter((entry): entry is { key: string; drive: Drive } => entry.drive !== undefined);
  }

  /** Size of the boot disk (first of `boot: order=`, else the first non-cdrom drive). */
  bootDisk(config: Record<string, string>): { key: string; drive: Drive } | undefined {
    const disks = this.drives(config).filter((d) => !d.drive.cdrom);
    const order = /order=([^,]+)/.exec(config['boot'] ?? '')?.[1];
    const first = order?.split(';').find((key) => disks.some((d) => d.key === key));
    return disks.find((d) => d.key === first) ?? disks[0];
  }

  memoryBytes(config: Record<string, string>): number {
    // PVE 8.1+: `memory: [current=]<MiB>`.
    const text = config['memory'] ?? '512';
    const value = /(?:current=)?(\d+)/.exec(text)?.[1] ?? '512';
    return Number(value) * MiB;
  }

  cpus(config: Record<string, string>): number {
    return Number(config['cores'] ?? '1') * Number(config['sockets'] ?? '1');
  }

  uptime(vm: QemuVm): number {
    return vm.status === 'running' && vm.startedAt !== undefined
      ? Math.floor((Date.now() - vm.startedAt) / 1000)
      : 0;
  }

  /** Bytes used on `storage` (on `node` for local storages): the disks of every VM and template there. */
  storageUsed(storage: ProxmoxStorageSpec, node: string): number {
    let used = 0;
    for (const vm of this.vms.values()) {
      if (!storage.shared && vm.node !== node) continue;
      for (const { drive } of this.drives(vm.config)) {
        if (drive.storage === storage.storage && !drive.cdrom) used += drive.sizeBytes;
      }
    }
    return used;
  }

  nodeMemUsed(node: string): number {
    let used = NODE_BASE_MEM;
    for (const vm of this.vms.values()) {
      if (vm.node === node && vm.status === 'running') used += this.memoryBytes(vm.config);
    }
    return used;
  }

  nodeDiskUsed(node: string): number {
    let used = NODE_BASE_DISK;
    for (const storage of this.options.storages) {
      if (storage.type === 'dir' && !storage.shared && this.storageOnNode(storage, node)) {
        used += this.storageUsed(storage, node);
      }
    }
    return used;
  }

  nodeSummary(spec: ProxmoxNodeSpec): Record<string, unknown> {
    const online = (spec.status ?? 'online') === 'online';
    const maxmem = (spec.maxmemMiB ?? 32768) * MiB;
    const maxdisk = (spec.maxdiskGiB ?? 100) * GiB;
    return {
      id: `node/${spec.name}`,
      type: 'node',
      node: spec.name,
      status: online ? 'online' : 'offline',
      ...(online
        ? {
            cpu: 0.02,
            maxcpu: spec.maxcpu ?? 8,
            mem: this.nodeMemUsed(spec.name),
            maxmem,
            disk: this.nodeDiskUsed(spec.name),
            maxdisk,
            uptime: Math.floor((Date.now() - this.startedAt) / 1000) + 86_400,
            level: '',
            ssl_fingerprint: fingerprintOf(spec.name),
          }
        : {}),
    };
  }

  storageSummary(storage: ProxmoxStorageSpec, node: string): Record<string, unknown> {
    const total = storage.totalGiB * GiB;
    const used = this.storageUsed(storage, node);
    return {
      storage: storage.storage,
      type: storage.type,
      content: storage.content.join(','),
      shared: storage.shared ? 1 : 0,
      enabled: 1,
      active: 1,
      total,
      used,
      avail: Math.max(0, total - used),
      used_fraction: total > 0 ? used / total : 0,
    };
  }

  /** A VM as `/cluster/resources` and `/nodes/{node}/qemu` list it. */
  vmSummary(vm: QemuVm): Record<string, unknown> {
    const config = vm.config;
    const disk = this.bootDisk(config);
    const running = vm.status === 'running';
    return {
      vmid: vm.vmid,
      ...(config['name'] !== undefined ? { name: config['name'] } : {}),
      status: vm.status,
      cpu: running ? 0.01 : 0,
      cpus: this.cpus(config),
      maxcpu: this.cpus(config),
      maxmem: this.memoryBytes(config),
      mem: running ? Math.floor(this.memoryBytes(config) * 0.4) : 0,
      maxdisk: disk?.drive.sizeBytes ?? 0,
      disk: 0,
      uptime: this.uptime(vm),
      netin: 0,
      netout: 0,
      diskread: 0,
      diskwrite: 0,
      ...(config['template'] === '1' ? { template: 1 } : {}),
      ...(config['lock'] !== undefined ? { lock: config['lock'] } : {}),
      ...(config['tags'] !== undefined ? { tags: config['tags'] } : {}),
      ...(running && vm.pid !== undefined ? { pid: vm.pid } : {}),
    };
  }

  resources(type: string | undefined): Array<Record<string, unknown>> {
    const out: Array<Record<string, unknown>> = [];
    if (type === undefined || type === 'node') {
      for (const node of this.options.nodes) out.push(this.nodeSummary(node));
    }
    if (type === undefined || type === 'storage') {
      for (const node of this.options.nodes) {
        for (const storage of this.options.storages) {
          if (!this.storageOnNode(storage, node.name)) continue;
          const s = this.storageSummary(storage, node.name);
          out.push({
            id: `storage/${node.name}/${storage.storage}`,
            type: 'storage',
            node: node.name,
            storage: storage.storage,
            plugintype: storage.type,
            content: s['content'],
            shared: s['shared'],
            status: 'available',
            disk: s['used'],
            maxdisk: s['total'],
          });
        }
      }
    }
    if (type === undefined || type === 'vm') {
      for (const vm of [...this.vms.values()].sort((a, b) => a.vmid - b.vmid)) {
        const summary = this.vmSummary(vm);
        out.push({
          id: `qemu/${vm.vmid}`,
          type: 'qemu',
          node: vm.node,
          ...summary,
          template: vm.config['template'] === '1' ? 1 : 0,
          hastate: undefined,
        });
      }
    }
    return out.map((entry) =>
      Object.fromEntries(Object.entries(entry).filter(([, value]) => value !== undefined)),
    );
  }
}

function fingerprintOf(name: string): string {
  const digest = createHash('sha256').update(`pve-ssl-${name}`).digest('hex').toUpperCase();
  return digest.match(/.{2}/g)?.join(':') ?? digest;
}
