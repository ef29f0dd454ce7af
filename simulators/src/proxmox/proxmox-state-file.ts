import { checkUnique, SimulatorStateFile, type StateFields } from '../common/simulator-state-file';
import type { ProxmoxCluster, QemuVm } from './proxmox-cluster';
import type { TaskBook, TaskRecord } from './proxmox-tasks';
import { parseUpid } from './proxmox-upid';

/**
 * The Proxmox simulator's state file (see SimulatorStateFile): the cluster's VMs (VMID, node, config
 * as qemu-server writes it, so name, tags, description and lock too, pending changes, power status,
 * the machine's label), the node boot time and PID counter UPIDs are made of, and the task history
 * (every running task, the newest finished ones). Templates are not saved: they come from the
 * options at every start. Not saved: tickets (a restart signs with a new key: log in again), the
 * `nextid` race and faults.
 *
 * A task running when the simulator stopped ends `stopped` with exit status
 * INTERRUPTED_EXIT_STATUS; what its worker had done stays (a clone interrupted half way leaves its
 * VM `lock: clone`, as a node crash does). Machines are brought in line afterwards by
 * QemuOperations.restoreGuests.
 */
export const PROXMOX_STATE_VERSION = 1;

export interface ProxmoxStateDoc {
  startedAt: number;
  nextPid: number;
  vms: QemuVm[];
  tasks: TaskDoc[];
}

/** A task as saved: its UPID holds the node, pid, process start, start time, type, id and user. */
interface TaskDoc {
  upid: string;
  status: TaskRecord['status'];
  exitstatus?: string;
  endtime?: number;
  log: string[];
  warnings: number;
}

/** What a saved state is checked against: the cluster's nodes and the VMIDs its templates take. */
export interface ProxmoxStateContext {
  nodes: readonly string[];
  templateIds: readonly number[];
}

export function proxmoxStateFile(
  path: string,
  context: ProxmoxStateContext,
): SimulatorStateFile<ProxmoxStateDoc> {
  return new SimulatorStateFile({
    path,
    kind: 'proxmox',
    version: PROXMOX_STATE_VERSION,
    parse: (fields) => parseProxmoxState(fields, context),
  });
}

export function snapshotProxmox(cluster: ProxmoxCluster, tasks: TaskBook): ProxmoxStateDoc {
  return {
    ...cluster.save(),
    tasks: tasks.save().map((t) => ({
      upid: t.upid,
      status: t.status,
      ...(t.exitstatus !== undefined ? { exitstatus: t.exitstatus } : {}),
      ...(t.endtime !== undefined ? { endtime: t.endtime } : {}),
      log: t.log,
      warnings: t.warnings,
    })),
  };
}

/** Puts a loaded state into the cluster and the task book (running tasks end interrupted). */
export function restoreProxmox(doc: ProxmoxStateDoc, cluster: ProxmoxCluster, tasks: TaskBook): void {
  cluster.restore(doc);
  tasks.restore(
    doc.tasks.map(({ upid, ...rest }) => {
      const parts = parseUpid(upid);
      if (parts === undefined) throw new Error(`task ${upid} became unparsable after validation`);
      return { ...parts, upid, ...rest };
    }),
  );
}

export function parseProxmoxState(fields: StateFields, context: ProxmoxStateContext): ProxmoxStateDoc {
  const vmFields = fields.objects('vms');
  const vms = vmFields.map((f) => parseVm(f, context));
  checkUnique(
    vmFields.map((f, i) => [f, vms[i]?.vmid] as const),
    'vmid',
  );
  checkUnique(
    vmFields.map((f, i) => [f, vms[i]?.machineLabel] as const),
    'machineLabel',
  );
  const taskFields = fields.objects('tasks');
  const tasks = taskFields.map(parseTask);
  checkUnique(
    taskFields.map((f, i) => [f, tasks[i]?.upid] as const),
    'upid',
  );
  return {
    startedAt: fields.integer('startedAt'),
    nextPid: fields.integer('nextPid'),
    vms,
    tasks,
  };
}

function parseVm(f: StateFields, context: ProxmoxStateContext): QemuVm {
  const vmid = f.integer('vmid');
  if (vmid < 100) f.problem('vmid', 'must be 100 or more');
  if (context.templateIds.includes(vmid)) f.problem('vmid', `${vmid} is a template's VMID`);
  const node = f.string('node');
  if (!context.nodes.includes(node)) f.problem('node', `no node ${JSON.stringify(node)} in the cluster`);
  const config = f.stringMap('config');
  if (config['template'] === '1') f.problem('config', 'templates are not saved');
  const startedAt = f.optionalInteger('startedAt');
  const pid = f.optionalInteger('pid');
  return {
    vmid,
    node,
    config,
    pending: f.stringMap('pending'),
    status: f.oneOf('status', ['running', 'stopped'] as const),
    ...(startedAt !== undefined ? { startedAt } : {}),
    ...(pid !== undefined ? { pid } : {}),
    machineLabel: f.string('machineLabel', /^[a-z0-9][a-z0-9-]*$/),
  };
}

function parseTask(f: StateFields): TaskDoc {
  const upid = f.string('upid');
  if (upid !== '' && parseUpid(upid) === undefined) f.problem('upid', 'is not a UPID');
  const exitstatus = f.optionalString('exitstatus');
  const endtime = f.optionalInteger('endtime');
  return {
    upid,
    status: f.oneOf('status', ['running', 'stopped'] as const),
    ...(exitstatus !== undefined ? { exitstatus } : {}),
    ...(endtime !== undefined ? { endtime } : {}),
    log: f.strings('log'),
    warnings: f.integer('warnings'),
  };
}
