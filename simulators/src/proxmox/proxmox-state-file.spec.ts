import { StateFields } from '../common/simulator-state-file';
import { DEFAULT_NODES, DEFAULT_STORAGES, DEFAULT_TEMPLATES, ProxmoxCluster } from './proxmox-cluster';
import { parseProxmoxState, restoreProxmox, snapshotProxmox } from './proxmox-state-file';
import { INTERRUPTED_EXIT_STATUS, TaskBook } from './proxmox-tasks';

function newCluster(): { cluster: ProxmoxCluster; tasks: TaskBook } {
  const cluster = new ProxmoxCluster({
    clusterName: 'test',
    nodes: DEFAULT_NODES,
    storages: DEFAULT_STORAGES,
    templates: DEFAULT_TEMPLATES,
    nextIdLower: 100,
  });
  const tasks = new TaskBook(
    () => cluster.startedAt - 86_400_000,
    () => cluster.newPid(),
  );
  return { cluster, tasks };
}

const CONTEXT = { nodes: ['pve1', 'pve2'], templateIds: [9000] };

/** The state as written to the file and read back (JSON, then the parser). */
function roundTrip(value: unknown): ReturnType<typeof parseProxmoxState> {
  const problems: string[] = [];
  const fields = StateFields.root(JSON.parse(JSON.stringify(value)), problems);
  if (fields === undefined) throw new Error('not an object');
  const doc = parseProxmoxState(fields, CONTEXT);
  expect(problems).toEqual([]);
  return doc;
}

describe('Proxmox simulator state file', () => {
  it('keeps VMs but templates, and ends running tasks as interrupted', () => {
    const { cluster, tasks } = newCluster();
    cluster.vms.set(120, {
      vmid: 120,
      node: 'pve2',
      config: { name: 'web-1', tags: 'fedops;web', description: 'hello', cores: '2' },
      pending: { memory: '4096' },
      status: 'running',
      startedAt: 1_700_000_000_000,
      pid: 4242,
      machineLabel: 'pve-120-abcdef12',
    });
    const running = tasks.start(
      'pve1',
      'qmclone',
      '9000',
      'root@pam',
      () => new Promise<void>(() => undefined),
    );
    const doc = roundTrip(snapshotProxmox(cluster, tasks));
    expect(doc.vms.map((vm) => vm.vmid)).toEqual([120]);
    tasks.close();

    const restarted = newCluster();
    restoreProxmox(doc, restarted.cluster, restarted.tasks);
    expect(restarted.cluster.vms.get(120)).toEqual(cluster.vms.get(120));
    expect(restarted.cluster.vms.get(9000)?.config['template']).toBe('1');
    expect(restarted.cluster.startedAt).toBe(cluster.startedAt);
    expect(restarted.tasks.get(running.upid)).toMatchObject({
      node: 'pve1',
      type: 'qmclone',
      user: 'root@pam',
      status: 'stopped',
      exitstatus: INTERRUPTED_EXIT_STATUS,
    });
    expect(restarted.tasks.get(running.upid)?.log.at(-1)).toBe(`TASK ERROR: ${INTERRUPTED_EXIT_STATUS}`);
  });

  it('lists every problem of a bad state', () => {
    const problems: string[] = [];
    const fields = StateFields.root(
      {
        startedAt: 1,
        nextPid: 1,
        vms: [
          { vmid: 9000, node: 'pve9', config: {}, pending: {}, status: 'paused', machineLabel: 'a' },
          { vmid: 9000, node: 'pve1', config: {}, pending: {}, status: 'stopped', machineLabel: 'a' },
        ],
        tasks: [{ upid: 'UPID:nope', status: 'running', log: [], warnings: 0 }],
      },
      problems,
    );
    if (fields !== undefined) parseProxmoxState(fields, CONTEXT);
    expect(problems).toEqual([
      "vms[0].vmid: 9000 is a template's VMID",
      'vms[0].node: no node "pve9" in the cluster',
      'vms[0].status: must be one of running, stopped',
      "vms[1].vmid: 9000 is a template's VMID",
      'vms[1].vmid: duplicate 9000',
      'vms[1].machineLabel: duplicate "a"',
      'tasks[0].upid: is not a UPID',
    ]);
  });
});
