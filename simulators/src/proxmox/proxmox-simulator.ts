/**
 * A Proxmox VE API v2 simulator (see /work/shared/specs/proxmox-ve.md): a cluster of nodes with
 * storages and VM templates, full clones as `qmclone` tasks whose target carries `lock: clone`
 * while it runs, config/resize/power/destroy with qemu-server's checks and messages, tasks with real
 * UPIDs, and a guest agent that answers once the VM's sandbox machine (a real network namespace with
 * sshd) has booted.
 *
 * Wire format as pveproxy: base `/api2/json`, `{data: ...}` with Content-Type exactly
 * `application/json;charset=UTF-8`, refusals with the message as HTTP reason phrase plus
 * `{data: null, message}` (and `errors` for 400), 501 for unknown paths, 401 after a delay.
 *
 * Faults (FaultBook, shared vocabulary) rendered the Proxmox way:
 * - `server-error`: 500 (or the rule's 5xx) with a pveproxy-like reason (`Can't connect to
 *   127.0.0.1:85 (Connection refused)`: pvedaemon unreachable), nothing done.
 * - `rate-limit`: Proxmox documents no rate limit; rendered as 503 `too many requests`, nothing done.
 * - `lock`: synchronous 500 `VM is locked (clone)`, nothing done.
 * - `lost-response`: the call is carried out, then the connection drops unanswered.
 * - `task-error`: the call is accepted, its task stops with the rule's message as exit status (a
 *   clone fails half way and removes what it made, as qemu-server does).
 * - `slow-task`: its task stays running `delayMs` longer (a clone stays in its disk-copy phase).
 * - the `nextid` race: `raceNextId(n)` (or `POST /_simulator/proxmox/nextid-race {callers}`) makes the
 *   next n `/cluster/nextid` calls answer the same id, however many VMs are made in between. (Even
 *   without it nextid reserves nothing: concurrent callers get the same id until a clone takes it.)
 *
 * With `stateFile`, the cluster's VMs and tasks survive a restart (see proxmox-state-file.ts): tasks
 * running at the restart end `interrupted`, running VMs' machines are resumed with the same address
 * and host key, stopped ones stay powered off.
 */
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { FaultBook, type FaultKind } from '../common/faults';
import { BadBodyError, SimRouter, type SimRequest, type SimResponse } from '../common/http-router';
import { SandboxVms } from '../common/sandbox-vms';
import {
  addControlRoutes,
  simulatorCloser,
  type RunningSimulator,
  type SimulatedVm,
  type SimulatorOptions,
} from '../common/simulator';
import { ProxmoxAuth } from './proxmox-auth';
import {
  DEFAULT_NODES,
  DEFAULT_STORAGES,
  DEFAULT_TEMPLATES,
  ProxmoxCluster,
  type ProxmoxNodeSpec,
  type ProxmoxStorageSpec,
  type ProxmoxTemplateSpec,
} from './proxmox-cluster';
import { paramError, PveError, pveErrorResponse, pveOk } from './proxmox-errors';
import { ProxmoxGuests } from './proxmox-guests';
import { splitList } from './proxmox-params';
import { QemuOperations, type TaskFault } from './proxmox-qemu';
import { addProxmoxRoutes, API_BASE } from './proxmox-routes';
import { proxmoxStateFile, restoreProxmox, snapshotProxmox } from './proxmox-state-file';
import { TaskBook } from './proxmox-tasks';

export interface ProxmoxSimulatorOptions extends SimulatorOptions {
  /** Default: pve1 and pve2, 16 cores and 64 GiB each. */
  nodes?: ProxmoxNodeSpec[];
  /** Default: `local` (dir), `local-lvm` (lvmthin) per node, `cephpool` (rbd, shared). */
  storages?: ProxmoxStorageSpec[];
  /** Default: VM 9000 `debian-12-cloudinit` on pve1, its disk on the shared `cephpool`. */
  templates?: ProxmoxTemplateSpec[];
  /** The API token's id, `USER@REALM!TOKENID` (default `fedops@pve!provisioner`); `token` is its secret. */
  tokenId?: string;
  /** Password of the token's user for ticket logins (`POST /access/ticket`); none: tickets are refused. */
  password?: string;
  /** Delay before a 401 is answered (default 3000 ms, as pve-http-server; tests pass a short one). */
  authFailureDelayMs?: number;
  /** How long a full clone copies its disks (default 400 ms). */
  cloneMs?: number;
  /** How long other workers take (default 100 ms). */
  taskMs?: number;
  /** Cluster name in `/cluster/status` (default `fedops-sim`). */
  clusterName?: string;
}

/** A VM as the Proxmox simulator holds it, for tests that look behind the API. */
export interface ProxmoxSimulatedVm {
  vmid: number;
  node: string;
  name?: string;
  status: 'running' | 'stopped';
  lock?: string;
  tags: string[];
  description?: string;
  template: boolean;
}

export interface RunningProxmoxSimulator extends RunningSimulator {
  kind: 'proxmox';
  /** `{ tokenId, tokenSecret, authorization }` (the header value). */
  credentials: { tokenId: string; tokenSecret: string; authorization: string };
  /** The next `callers` calls of `/cluster/nextid` answer the same id (0 ends a race in force). */
  raceNextId(callers: number): void;
  /** Every VM with the fields tests count duplicates by (templates included, flagged). */
  proxmoxVms(): ProxmoxSimulatedVm[];
}

const HTTP_FAULTS: readonly FaultKind[] = ['server-error', 'rate-limit', 'lock', 'lost-response'];
const TASK_FAULTS: readonly FaultKind[] = ['task-error', 'slow-task'];

function serverErrorReason(status: number): string {
  switch (status) {
    case 500:
      return "Can't connect to 127.0.0.1:85 (Connection refused)";
    case 502:
      return 'Bad Gateway';
    case 503:
      return 'Service Unavailable';
    case 504:
      return 'Gateway Timeout';
    default:
      return 'Internal Server Error';
  }
}

export async function startProxmoxSimulator(
  options: ProxmoxSimulatorOptions,
): Promise<RunningProxmoxSimulator> {
  const tokenId = options.tokenId ?? 'fedops@pve!provisioner';
  const tokenSecret = options.token ?? randomUUID();
  const cluster = new ProxmoxCluster({
    clusterName: options.clusterName ?? 'fedops-sim',
    nodes: options.nodes ?? DEFAULT_NODES,
    storages: options.storages ?? DEFAULT_STORAGES,
    templates: options.templates ?? DEFAULT_TEMPLATES,
    nextIdLower: 100,
  });
  const faults = new FaultBook(options.random);
  const machines = new SandboxVms(options);
  const guests = new ProxmoxGuests(machines);
  const tasks = new TaskBook(
    () => cluster.startedAt - 86_400_000,
    () => cluster.newPid(),
  );
  const qemu = new QemuOperations(cluster, tasks, guests, {
    cloneMs: options.cloneMs ?? 400,
    taskMs: options.taskMs ?? 100,
  });
  const stateFile =
    options.stateFile === undefined
      ? undefined
      : proxmoxStateFile(options.stateFile, {
          nodes: cluster.options.nodes.map((n) => n.name),
          templateIds: cluster.options.templates.map((t) => t.vmid),
        });
  const saved = await stateFile?.load();
  if (saved !== undefined) {
    restoreProxmox(saved, cluster, tasks);
    await qemu.restoreGuests();
  }
  const changed = (): void => stateFile?.changed();
  stateFile?.attach(() => snapshotProxmox(cluster, tasks));
  tasks.onChange = changed;
  qemu.onChange = changed;
  // What the restore changed (interrupted tasks, VMs left stopped) is on disk before anyone asks.
  if (saved !== undefined) changed();
  const auth = new ProxmoxAuth({
    tokenId,
    tokenSecret,
    ...(options.password !== undefined ? { password: options.password } : {}),
    failureDelayMs: options.authFailureDelayMs ?? 3000,
  });
  const callers = new WeakMap<SimRequest, string>();
  const taskFaults = new WeakMap<SimRequest, TaskFault>();

  const router = new SimRouter(
    (req) => {
      if (!req.path.startsWith(`${API_BASE}/`) && req.path !== API_BASE)
        return { status: 501, reason: 'no such uri', body: 'no such uri' };
      const relative = req.path.slice(API_BASE.length) || '/';
      return pveErrorResponse(new PveError(501, `Method '${req.method} ${relative}' not implemented`));
    },
    (_req, err) => {
      if (err instanceof PveError) return pveErrorResponse(err);
      if (err instanceof BadBodyError) return pveErrorResponse(paramError({ body: err.message }));
      const message = err instanceof Error ? err.message : String(err);
      return pveErrorResponse(new PveError(500, message));
    },
  );

  // pveproxy: the format segment first (only `json` is served here), then authentication.
  router.use(async (req): Promise<SimResponse | undefined> => {
    const match = /^\/api2\/([a-z][a-z0-9]+)(\/.*)?$/.exec(req.path);
    if (!match) return undefined;
    if (match[1] !== 'json') return { status: 501, reason: 'no such uri', body: 'no such uri' };
    if (req.method === 'POST' && match[2] === '/access/ticket') return undefined;
    const outcome = await auth.authenticate(req);
    if ('status' in outcome) return outcome;
    callers.set(req, outcome.userid);
    return undefined;
  });

  router.use((req): SimResponse | 'lose' | undefined => {
    if (!req.path.startsWith(API_BASE)) return undefined;
    const taskFault = faults.take(req.method, req.path, TASK_FAULTS);
    if (taskFault) {
      taskFaults.set(req, {
        kind: taskFault.kind === 'task-error' ? 'task-error' : 'slow-task',
        ...(taskFault.message !== undefined ? { message: taskFault.message } : {}),
        ...(taskFault.delayMs !== undefined ? { delayMs: taskFault.delayMs } : {}),
      });
    }
    const fault = faults.take(req.method, req.path, HTTP_FAULTS);
    if (!fault) return undefined;
    switch (fault.kind) {
      case 'server-error': {
        const status = fault.status ?? 500;
        return pveErrorResponse(new PveError(status, fault.message ?? serverErrorReason(status)));
      }
      case 'rate-limit':
        return pveErrorResponse(new PveError(fault.status ?? 503, fault.message ?? 'too many requests'));
      case 'lock':
        return pveErrorResponse(new PveError(500, fault.message ?? 'VM is locked (clone)'));
      case 'lost-response':
        return 'lose';
      case 'task-error':
      case 'slow-task':
        return undefined; // taken above, never here
    }
  });

  const proxmoxVms = (): ProxmoxSimulatedVm[] =>
    [...cluster.vms.values()]
      .sort((a, b) => a.vmid - b.vmid)
      .map((vm) => ({
        vmid: vm.vmid,
        node: vm.node,
        status: vm.status,
        template: vm.config['template'] === '1',
        tags: splitList(vm.config['tags'] ?? ''),
        ...(vm.config['name'] !== undefined ? { name: vm.config['name'] } : {}),
        ...(vm.config['lock'] !== undefined ? { lock: vm.config['lock'] } : {}),
        ...(vm.config['description'] !== undefined ? { description: vm.config['description'] } : {}),
      }));

  const vms = (): SimulatedVm[] =>
    [...cluster.vms.values()]
      .filter((vm) => vm.config['template'] !== '1')
      .sort((a, b) => a.vmid - b.vmid)
      .map((vm) => ({
        id: String(vm.vmid),
        name: vm.config['name'] ?? '',
        labels: Object.fromEntries(splitList(vm.config['tags'] ?? '').map((tag) => [tag, ''])),
        status: vm.status,
        address: vm.status === 'running' ? guests.agent(vm.machineLabel)?.address : undefined,
      }));

  addControlRoutes(router, faults, vms);
  router.add('POST', '/_simulator/proxmox/nextid-race', (req) => {
    const count = Number(req.body['callers'] ?? 0);
    if (!Number.isInteger(count) || count < 0)
      return { status: 400, body: { problems: ['callers must be a non-negative integer'] } };
    cluster.raceNextId(count);
    return { status: 204 };
  });
  router.add('GET', '/_simulator/proxmox/vms', () => pveOk(proxmoxVms()));

  addProxmoxRoutes(router, {
    cluster,
    tasks,
    guests,
    qemu,
    auth,
    caller: (req) => callers.get(req) ?? auth.user,
    taskFault: (req) => taskFaults.get(req),
    changed,
  });

  let server: Server;
  let url: string;
  try {
    ({ server, url } = await router.listen(options.port ?? 0));
  } catch (err) {
    tasks.close();
    throw err;
  }

  return {
    kind: 'proxmox',
    url,
    credentials: { tokenId, tokenSecret, authorization: `PVEAPIToken=${tokenId}=${tokenSecret}` },
    faults,
    vms,
    proxmoxVms,
    raceNextId: (callers) => cluster.raceNextId(callers),
    close: simulatorCloser({
      server,
      machines,
      stateFile,
      stopWork: async () => {
        tasks.close();
        await guests.settle();
      },
    }),
  };
}
