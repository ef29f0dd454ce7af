/**
 * The API v2 calls a provisioner makes, under `/api2/json`, with pve-manager's and qemu-server's
 * parameter schemas, answers and refusals.
 */
import type { SimRequest, SimResponse, SimRouter } from '../common/http-router';
import type { ProxmoxAuth } from './proxmox-auth';
import type { ProxmoxCluster, QemuVm } from './proxmox-cluster';
import { DRIVE_KEY } from './proxmox-cluster';
import { paramError, PveError, pveDie, pveOk } from './proxmox-errors';
import type { ProxmoxGuests } from './proxmox-guests';
import { isTrue, splitList, uniqueTags, verifyParams, type Schema } from './proxmox-params';
import type { QemuOperations, TaskFault } from './proxmox-qemu';
import { decodeSshKeys, isValidPublicKeyLine } from './proxmox-ssh-keys';
import type { TaskBook, TaskRecord } from './proxmox-tasks';
import { parseUpid } from './proxmox-upid';

export const API_BASE = '/api2/json';
export const PVE_VERSION = { version: '8.4.1', release: '8.4', repoid: '2a5fa54a8503f96d' };

export interface RouteContext {
  cluster: ProxmoxCluster;
  tasks: TaskBook;
  guests: ProxmoxGuests;
  qemu: QemuOperations;
  auth: ProxmoxAuth;
  /** Who made the request (set by the auth middleware). */
  caller(req: SimRequest): string;
  /** A task fault the fault middleware set aside for this request. */
  taskFault(req: SimRequest): TaskFault | undefined;
  /** Called after every request that may have changed something (the state file is saved). */
  changed(): void;
}

const node = { kind: 'pve-node' } as const;
const vmid = { kind: 'pve-vmid' } as const;
const optional = <T extends object>(rule: T): T & { optional: true } => ({ ...rule, optional: true });
const bool = optional({ kind: 'boolean' } as const);
const str = optional({ kind: 'string' } as const);
const int = (minimum?: number, maximum?: number) =>
  optional({
    kind: 'integer',
    ...(minimum !== undefined ? { minimum } : {}),
    ...(maximum !== undefined ? { maximum } : {}),
  } as const);

const CONFIG_OPTIONS: Schema = {
  name: optional({ kind: 'dns-name' }),
  description: optional({ kind: 'string', maxLength: 8192 }),
  tags: optional({ kind: 'pve-tag-list' }),
  cores: int(1, 1024),
  sockets: int(1, 4),
  memory: str,
  balloon: int(0),
  cpu: str,
  agent: str,
  boot: str,
  onboot: bool,
  protection: bool,
  ostype: str,
  serial0: str,
  vga: str,
  scsihw: str,
  ciuser: str,
  cipassword: str,
  citype: optional({ kind: 'string', enum: ['configdrive2', 'nocloud', 'opennebula'] }),
  ciupgrade: bool,
  sshkeys: optional({ kind: 'urlencoded' }),
  nameserver: optional({ kind: 'address-list' }),
  searchdomain: str,
  ...Object.fromEntries(
    Array.from({ length: 10 }, (_, i) => [`ipconfig${i}`, optional({ kind: 'pve-qm-ipconfig' } as const)]),
  ),
  ...Object.fromEntries(Array.from({ length: 4 }, (_, i) => [`net${i}`, str])),
};

/** Numeric config options come back as JSON numbers; the rest (memory included, PVE 8.1+) as text. */
const NUMERIC_OPTIONS = new Set([
  'cores',
  'sockets',
  'template',
  'onboot',
  'protection',
  'balloon',
  'vcpus',
  'cpuunits',
]);

function params(req: SimRequest): Record<string, unknown> {
  return { ...Object.fromEntries(req.query), ...req.body, ...req.params };
}

function typedConfig(config: Record<string, string>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(config).map(([k, v]) => [k, NUMERIC_OPTIONS.has(k) && /^\d+$/.test(v) ? Number(v) : v]),
  );
}

function taskView(task: TaskRecord): Record<string, unknown> {
  return {
    upid: task.upid,
    node: task.node,
    pid: task.pid,
    pstart: task.pstart,
    starttime: task.starttime,
    type: task.type,
    id: task.id,
    user: task.user,
    status: task.status,
    // Absent while running: clients crash on `"exitstatus": null`.
    ...(task.exitstatus !== undefined ? { exitstatus: task.exitstatus } : {}),
  };
}

export function addProxmoxRoutes(router: SimRouter, ctx: RouteContext): void {
  const { cluster, tasks, guests, qemu } = ctx;
  const api = (
    method: string,
    path: string,
    handler: (req: SimRequest) => SimResponse | Promise<SimResponse>,
  ) =>
    router.add(method, `${API_BASE}${path}`, async (req) => {
      try {
        return await handler(req);
      } finally {
        if (method !== 'GET') ctx.changed();
      }
    });

  /** pveproxy forwards `/nodes/{node}/...` to that node: unknown names fail the lookup, offline nodes do not answer. */
  const onNode = (name: string): void => {
    const spec = cluster.node(name);
    if (!spec) {
      throw pveDie(
        `hostname lookup '${name}' failed - failed to get address info for: ${name}: Name or service not known`,
      );
    }
    if ((spec.status ?? 'online') !== 'online') throw new PveError(595, `Connection refused`);
  };

  const vmOf = (p: Record<string, string>): QemuVm => {
    onNode(p['node'] ?? '');
    return cluster.vmOn(p['node'] ?? '', Number(p['vmid']));
  };

  api('POST', '/access/ticket', (req) => ctx.auth.login(req));

  api('GET', '/version', () => pveOk(PVE_VERSION));

  api('GET', '/cluster/status', () =>
    pveOk([
      {
        type: 'cluster',
        id: 'cluster',
        name: cluster.options.clusterName,
        nodes: cluster.options.nodes.length,
        quorate: 1,
        version: 7,
      },
      ...cluster.options.nodes.map((n, i) => ({
        type: 'node',
        id: `node/${n.name}`,
        name: n.name,
        nodeid: i + 1,
        online: (n.status ?? 'online') === 'online' ? 1 : 0,
        local: i === 0 ? 1 : 0,
        ip: `192.0.2.${i + 11}`,
        level: '',
      })),
    ]),
  );

  api('GET', '/cluster/nextid', (req) => {
    const p = verifyParams({ vmid: optional(vmid) }, params(req));
    if (p['vmid'] !== undefined) {
      const wanted = Number(p['vmid']);
      if (cluster.vms.has(wanted)) throw paramError({ vmid: `VM ${wanted} already exists` });
      return pveOk(String(wanted));
    }
    // A JSON string, as pve-manager returns it.
    return pveOk(String(cluster.nextId()));
  });

  api('GET', '/cluster/resources', (req) => {
    const p = verifyParams(
      { type: optional({ kind: 'string', enum: ['vm', 'storage', 'node', 'sdn'] } as const) },
      params(req),
    );
    return pveOk(cluster.resources(p['type']));
  });

  api('GET', '/nodes', () => pveOk(cluster.options.nodes.map((n) => cluster.nodeSummary(n))));

  api('GET', '/storage', () =>
    pveOk(
      cluster.options.storages.map((s) => ({
        storage: s.storage,
        type: s.type,
        content: s.content.join(','),
        ...(s.shared ? { shared: 1 } : {}),
        ...(s.nodes ? { nodes: s.nodes.join(',') } : {}),
        digest: '0d6a3e6b3f8a3d3f6e2b5f0c1a7d9e8b4c2f1a0e',
      })),
    ),
  );

  api('GET', '/nodes/:node/storage', (req) => {
    const p = verifyParams(
      {
        node,
        storage: optional({ kind: 'pve-storage-id' }),
        content: str,
        enabled: bool,
        format: bool,
        target: str,
      },
      params(req),
    );
    const name = p['node'] ?? '';
    onNode(name);
    const list = cluster.options.storages
      .filter((s) => cluster.storageOnNode(s, name))
      .filter((s) => p['storage'] === undefined || s.storage === p['storage'])
      .filter(
        (s) => p['content'] === undefined || splitList(p['content']).every((c) => s.content.includes(c)),
      )
      .map((s) => cluster.storageSummary(s, name));
    return pveOk(list);
  });

  api('GET', '/nodes/:node/qemu', (req) => {
    const p = verifyParams({ node, full: bool }, params(req));
    const name = p['node'] ?? '';
    onNode(name);
    return pveOk(
      [...cluster.vms.values()].filter((vm) => vm.node === name).map((vm) => cluster.vmSummary(vm)),
    );
  });

  api('POST', '/nodes/:node/qemu/:vmid/clone', (req) => {
    const p = verifyParams(
      {
        node,
        vmid,
        newid: { kind: 'pve-vmid' },
        name: optional({ kind: 'dns-name' }),
        description: str,
        pool: str,
        snapname: str,
        storage: optional({ kind: 'pve-storage-id' }),
        format: optional({ kind: 'string', enum: ['raw', 'qcow2', 'vmdk'] }),
        full: bool,
        target: optional(node),
        bwlimit: int(0),
      },
      params(req),
    );
    onNode(p['node'] ?? '');
    if (p['snapname'] !== undefined) throw pveDie(`snapshot '${p['snapname']}' does not exist`);
    if (p['pool'] !== undefined) throw pveDie(`pool '${p['pool']}' does not exist`);
    const task = qemu.clone(
      {
        node: p['node'] ?? '',
        vmid: Number(p['vmid']),
        newid: Number(p['newid']),
        ...(p['name'] !== undefined ? { name: p['name'] } : {}),
        ...(p['description'] !== undefined ? { description: p['description'] } : {}),
        ...(p['full'] !== undefined ? { full: isTrue(p['full']) } : {}),
        ...(p['target'] !== undefined && p['target'] !== p['node'] ? { target: p['target'] } : {}),
        ...(p['storage'] !== undefined ? { storage: p['storage'] } : {}),
      },
      ctx.caller(req),
      ctx.taskFault(req),
    );
    return pveOk(task.upid);
  });

  api('GET', '/nodes/:node/qemu/:vmid/config', (req) => {
    const p = verifyParams({ node, vmid, current: bool, snapshot: str }, params(req));
    const vm = vmOf(p);
    const config = isTrue(p['current']) ? vm.config : cluster.effectiveConfig(vm);
    return pveOk({ ...typedConfig(config), digest: cluster.digest(vm) });
  });

  api('GET', '/nodes/:node/qemu/:vmid/pending', (req) => {
    const p = verifyParams({ node, vmid }, params(req));
    const vm = vmOf(p);
    const keys = new Set([...Object.keys(vm.config), ...Object.keys(vm.pending)]);
    const deletions = new Set(splitList(vm.pending['delete'] ?? ''));
    keys.delete('delete');
    return pveOk(
      [...keys].sort().map((key) => ({
        key,
        ...(vm.config[key] !== undefined ? { value: vm.config[key] } : {}),
        ...(vm.pending[key] !== undefined ? { pending: vm.pending[key] } : {}),
        ...(deletions.has(key) ? { delete: 1 } : {}),
      })),
    );
  });

  const updateConfig = (req: SimRequest, sync: boolean): SimResponse | Promise<SimResponse> => {
    const p = verifyParams(
      {
        node,
        vmid,
        digest: optional({ kind: 'string', maxLength: 64 }),
        delete: optional({ kind: 'pve-configid-list' }),
        revert: optional({ kind: 'pve-configid-list' }),
        skiplock: bool,
        force: bool,
        ...(sync ? {} : { background_delay: int(1, 30) }),
        ...CONFIG_OPTIONS,
      },
      params(req),
    );
    if (isTrue(p['skiplock']) && ctx.caller(req) !== 'root@pam') {
      throw paramError({ skiplock: 'Only root may use this option.' });
    }
    const changes: Record<string, string> = {};
    for (const key of Object.keys(CONFIG_OPTIONS)) if (p[key] !== undefined) changes[key] = p[key];
    if (changes['sshkeys'] !== undefined) {
      for (const line of decodeSshKeys(changes['sshkeys'])) {
        if (!isValidPublicKeyLine(line)) throw pveDie('SSH public key validation error');
      }
    }
    if (changes['tags'] !== undefined) changes['tags'] = uniqueTags(changes['tags']);
    const deletions = splitList(p['delete'] ?? '');
    for (const key of deletions) {
      if (changes[key] !== undefined) {
        throw paramError({ delete: `you can't use '-${key}' and -delete ${key}' at the same time` });
      }
      if (!(key in CONFIG_OPTIONS) && !DRIVE_KEY.test(key))
        throw paramError({ delete: `unknown option '${key}'` });
    }
    if (Object.keys(changes).length === 0 && deletions.length === 0 && p['revert'] === undefined) {
      throw pveDie('no options specified');
    }
    const vm = vmOf(p);
    qemu.checkConfigUpdate(vm, p['digest'], isTrue(p['skiplock']));
    if (sync) {
      qemu.updateConfig(vm, changes, deletions);
      return pveOk(null);
    }
    const task = qemu.updateConfigAsync(
      vm,
      changes,
      deletions,
      p['digest'],
      ctx.caller(req),
      ctx.taskFault(req),
    );
    const backgroundDelay = p['background_delay'];
    if (backgroundDelay === undefined) return pveOk(task.upid);
    return (async () => {
      const deadline = Date.now() + Number(backgroundDelay) * 1000;
      while (task.status === 'running' && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      if (task.status === 'running') return pveOk(task.upid);
      if (task.exitstatus === 'OK' || /^WARNINGS/.test(task.exitstatus ?? '')) return pveOk(null);
      throw pveDie(`failed to update VM ${vm.vmid}: ${task.exitstatus ?? 'unexpected status'}`);
    })();
  };
  api('PUT', '/nodes/:node/qemu/:vmid/config', (req) => updateConfig(req, true));
  api('POST', '/nodes/:node/qemu/:vmid/config', (req) => updateConfig(req, false));

  api('PUT', '/nodes/:node/qemu/:vmid/resize', (req) => {
    const p = verifyParams(
      {
        node,
        vmid,
        disk: { kind: 'string', enum: diskNames() },
        size: { kind: 'disk-size' },
        digest: optional({ kind: 'string', maxLength: 64 }),
        skiplock: bool,
      },
      params(req),
    );
    const vm = vmOf(p);
    const task = qemu.resize(
      vm,
      p['disk'] ?? '',
      p['size'] ?? '',
      p['digest'],
      ctx.caller(req),
      ctx.taskFault(req),
    );
    return pveOk(task.upid);
  });

  api('GET', '/nodes/:node/qemu/:vmid/status/current', (req) => {
    const p = verifyParams({ node, vmid }, params(req));
    const vm = vmOf(p);
    const summary = cluster.vmSummary(vm);
    return pveOk({
      ...summary,
      qmpstatus: vm.status,
      ...(/^1/.test(vm.config['agent'] ?? '') || /enabled=1/.test(vm.config['agent'] ?? '')
        ? { agent: 1 }
        : {}),
      ha: { managed: 0 },
      ...(vm.status === 'running'
        ? { 'running-qemu': '9.0.2', 'running-machine': 'pc-i440fx-9.0+pve0' }
        : {}),
    });
  });

  const power = (action: 'start' | 'stop' | 'shutdown' | 'reboot') =>
    api('POST', `/nodes/:node/qemu/:vmid/status/${action}`, (req) => {
      const p = verifyParams(
        {
          node,
          vmid,
          skiplock: bool,
          timeout: int(0),
          ...(action === 'shutdown' ? { forceStop: bool, keepActive: bool } : {}),
          ...(action === 'stop' ? { keepActive: bool, 'overrule-shutdown': bool } : {}),
          ...(action === 'start' ? { machine: str, 'force-cpu': str, migratedfrom: str, stateuri: str } : {}),
        },
        params(req),
      );
      const vm = vmOf(p);
      const user = ctx.caller(req);
      const fault = ctx.taskFault(req);
      let task: TaskRecord;
      switch (action) {
        case 'start':
          task = qemu.start(vm, user, fault);
          break;
        case 'stop':
          task = qemu.stop(vm, 'qmstop', user, fault);
          break;
        case 'shutdown':
          task = qemu.stop(vm, 'qmshutdown', user, fault);
          break;
        case 'reboot':
          task = qemu.reboot(vm, user, fault);
          break;
      }
      return pveOk(task.upid);
    });
  power('start');
  power('stop');
  power('shutdown');
  power('reboot');

  api('DELETE', '/nodes/:node/qemu/:vmid', (req) => {
    const p = verifyParams(
      { node, vmid, purge: bool, 'destroy-unreferenced-disks': bool, skiplock: bool },
      params(req),
    );
    if (isTrue(p['skiplock']) && ctx.caller(req) !== 'root@pam') {
      throw paramError({ skiplock: 'Only root may use this option.' });
    }
    const vm = vmOf(p);
    return pveOk(qemu.destroy(vm, ctx.caller(req), ctx.taskFault(req)).upid);
  });

  /** The checks every agent call makes (qemu-server `assert_agent_available`), then the guest's answer. */
  const agentOf = (
    p: Record<string, string>,
  ): { vm: QemuVm; facts: { address: string; hostKey: string } } => {
    const vm = vmOf(p);
    const agent = vm.config['agent'] ?? '';
    if (!/^(1|enabled=1)/.test(agent)) throw pveDie('No QEMU guest agent configured');
    if (vm.status !== 'running') throw pveDie(`VM ${vm.vmid} is not running`);
    const facts = guests.agent(vm.machineLabel);
    if (!facts) throw pveDie('QEMU guest agent is not running');
    return { vm, facts };
  };

  api('GET', '/nodes/:node/qemu/:vmid/agent/network-get-interfaces', (req) => {
    const p = verifyParams({ node, vmid }, params(req));
    const { vm, facts } = agentOf(p);
    const mac =
      /=([0-9A-Fa-f:]{17})/.exec(vm.config['net0'] ?? '')?.[1]?.toLowerCase() ?? 'bc:24:11:00:00:01';
    const statistics = {
      'rx-bytes': 10_240,
      'rx-dropped': 0,
      'rx-errs': 0,
      'rx-packets': 80,
      'tx-bytes': 8_192,
      'tx-dropped': 0,
      'tx-errs': 0,
      'tx-packets': 64,
    };
    return pveOk({
      result: [
        {
          name: 'lo',
          'hardware-address': '00:00:00:00:00:00',
          'ip-addresses': [
            { 'ip-address': '127.0.0.1', 'ip-address-type': 'ipv4', prefix: 8 },
            { 'ip-address': '::1', 'ip-address-type': 'ipv6', prefix: 128 },
          ],
          statistics,
        },
        {
          name: 'eth0',
          'hardware-address': mac,
          'ip-addresses': [
            { 'ip-address': facts.address, 'ip-address-type': 'ipv4', prefix: 30 },
            {
              'ip-address': `fe80::be24:11ff:fe${mac.slice(9, 11)}:${mac.slice(12, 14)}${mac.slice(15, 17)}`,
              'ip-address-type': 'ipv6',
              prefix: 64,
            },
          ],
          statistics,
        },
      ],
    });
  });

  api('GET', '/nodes/:node/qemu/:vmid/agent/file-read', (req) => {
    const p = verifyParams(
      { node, vmid, file: { kind: 'string' }, count: int(1), decode: bool, offset: int(0) },
      params(req),
    );
    const { vm, facts } = agentOf(p);
    const files: Record<string, string> = {
      '/etc/ssh/ssh_host_ed25519_key.pub': `${facts.hostKey} root@${vm.config['name'] ?? 'localhost'}\n`,
      '/etc/hostname': `${vm.config['name'] ?? 'localhost'}\n`,
    };
    const content = files[p['file'] ?? ''];
    if (content === undefined) {
      throw pveDie(`can't open file: failed to open file '${p['file'] ?? ''}': No such file or directory`);
    }
    const body = p['decode'] === '0' ? Buffer.from(content).toString('base64') : content;
    return pveOk({ content: body, 'bytes-read': Buffer.byteLength(content) });
  });

  api('POST', '/nodes/:node/qemu/:vmid/agent/ping', (req) => {
    const p = verifyParams({ node, vmid }, params(req));
    agentOf(p);
    return pveOk({ result: {} });
  });

  api('GET', '/nodes/:node/tasks', (req) => {
    const p = verifyParams(
      {
        node,
        start: int(0),
        limit: int(0),
        userfilter: str,
        typefilter: str,
        vmid: optional(vmid),
        errors: bool,
        source: optional({ kind: 'string', enum: ['archive', 'active', 'all'] } as const),
        since: int(0),
        until: int(0),
        statusfilter: str,
      },
      params(req),
    );
    const name = p['node'] ?? '';
    onNode(name);
    const source = p['source'] ?? 'archive';
    const selected = tasks
      .list(name)
      .filter(
        (t) => source === 'all' || (source === 'active' ? t.status === 'running' : t.status === 'stopped'),
      )
      .filter((t) => p['typefilter'] === undefined || t.type === p['typefilter'])
      .filter((t) => p['vmid'] === undefined || t.id === p['vmid'])
      .filter(
        (t) => p['userfilter'] === undefined || t.user.toLowerCase().includes(p['userfilter'].toLowerCase()),
      )
      .filter((t) => !isTrue(p['errors']) || (t.exitstatus !== undefined && t.exitstatus !== 'OK'));
    const start = Number(p['start'] ?? 0);
    const limit = Number(p['limit'] ?? 50);
    const page = selected.slice(start, start + limit).map((t) => ({
      upid: t.upid,
      node: t.node,
      pid: t.pid,
      pstart: t.pstart,
      starttime: t.starttime,
      type: t.type,
      id: t.id,
      user: t.user,
      ...(t.endtime !== undefined ? { endtime: t.endtime } : {}),
      ...(t.exitstatus !== undefined ? { status: t.exitstatus } : {}),
    }));
    return pveOk(page, { total: selected.length });
  });

  const taskOf = (p: Record<string, string>): TaskRecord => {
    const name = p['node'] ?? '';
    onNode(name);
    const upid = p['upid'] ?? '';
    if (!parseUpid(upid)) throw paramError({ upid: 'unable to parse worker upid' });
    const task = tasks.get(upid);
    if (!task || task.node !== name) throw paramError({ upid: 'no such task' });
    return task;
  };

  api('GET', '/nodes/:node/tasks/:upid/status', (req) => {
    const p = verifyParams({ node, upid: { kind: 'string' } }, params(req));
    return pveOk(taskView(taskOf(p)));
  });

  api('GET', '/nodes/:node/tasks/:upid/log', (req) => {
    const p = verifyParams(
      { node, upid: { kind: 'string' }, start: int(0), limit: int(0), download: bool },
      params(req),
    );
    const task = taskOf(p);
    const start = Number(p['start'] ?? 0);
    const limit = Number(p['limit'] ?? 50);
    const lines = task.log.length > 0 ? task.log : ['no content'];
    return pveOk(
      lines.slice(start, start + limit).map((t, i) => ({ n: start + i + 1, t })),
      { total: lines.length },
    );
  });
}

function diskNames(): string[] {
  return [
    ...Array.from({ length: 4 }, (_, i) => `ide${i}`),
    ...Array.from({ length: 6 }, (_, i) => `sata${i}`),
    ...Array.from({ length: 31 }, (_, i) => `scsi${i}`),
    ...Array.from({ length: 16 }, (_, i) => `virtio${i}`),
    'efidisk0',
    'tpmstate0',
  ];
}
