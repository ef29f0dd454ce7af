/**
 * The Proxmox simulator on the wire (node:http): envelope, exact Content-Type, refusals with the
 * message in the reason phrase, 401 without a body, 501 for unknown paths, the clone's nameless
 * `lock: clone` phase, task states and exit statuses; then VMs whose machines really power off and
 * on, and a state file that carries the cluster across a restart.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { run } from '@fedops/sandbox-host';
import { presentedHostKey, sshPort, sshRun } from '../common/vm-probes.test';
import {
  startProxmoxSimulator,
  type ProxmoxSimulatorOptions,
  type RunningProxmoxSimulator,
} from './proxmox-simulator';
import { parseUpid } from './proxmox-upid';

interface Answer {
  status: number;
  reason: string;
  contentType: string | undefined;
  text: string;
  json: unknown;
}

/**
 * A client of one simulator (node:http, not fetch: fetch hides the reason phrase's exact text behind
 * statusText, http shows it as sent). `auth` defaults to the simulator's API token.
 */
type Call = (
  method: string,
  path: string,
  form?: Record<string, string>,
  auth?: string,
  extraHeaders?: Record<string, string>,
) => Promise<Answer>;

function clientOf(target: () => RunningProxmoxSimulator): Call {
  return function call(
    method: string,
    path: string,
    form?: Record<string, string>,
    auth = target().credentials.authorization,
    extraHeaders: Record<string, string> = {},
  ): Promise<Answer> {
    const body = form ? new URLSearchParams(form).toString() : undefined;
    const url = new URL(path, target().url);
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method,
          headers: {
            ...extraHeaders,
            ...(auth ? { authorization: auth } : {}),
            ...(body
              ? {
                  'content-type': 'application/x-www-form-urlencoded',
                  'content-length': String(Buffer.byteLength(body)),
                }
              : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let json: unknown;
            try {
              json = text === '' ? undefined : JSON.parse(text);
            } catch {
              json = undefined;
            }
            resolve({
              status: res.statusCode ?? 0,
              reason: res.statusMessage ?? '',
              contentType: res.headers['content-type'],
              text,
              json,
            });
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  };
}

describe('Proxmox simulator wire format', () => {
  let sim: RunningProxmoxSimulator;
  let stateDir: string;

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'fedops-pvewire-'));
    sim = await startProxmoxSimulator({
      stateDir,
      namePrefix: 'fopvw',
      authFailureDelayMs: 300,
      password: 'pve-password',
      cloneMs: 400,
      taskMs: 20,
    });
  });

  afterAll(async () => {
    await sim?.close({ destroyMachines: true });
    await rm(stateDir, { recursive: true, force: true });
  });

  const call = clientOf(() => sim);

  it('answers {data} with Content-Type exactly application/json;charset=UTF-8; nextid is a JSON string', async () => {
    const answer = await call('GET', '/api2/json/cluster/nextid');
    expect(answer).toMatchObject({
      status: 200,
      contentType: 'application/json;charset=UTF-8',
      json: { data: '100' },
    });
  });

  it('refuses a bad token with 401, the reason in the status line, no body, after the delay', async () => {
    const started = Date.now();
    const answer = await call(
      'GET',
      '/api2/json/nodes',
      undefined,
      'PVEAPIToken=fedops@pve!provisioner=00000000-0000-0000-0000-000000000000',
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
    expect(answer).toMatchObject({
      status: 401,
      reason: 'Authentication failed!',
      text: '',
      contentType: undefined,
    });
    expect((await call('GET', '/api2/json/nodes', undefined, '')).reason).toBe('No ticket');
  });

  it('logs in with a ticket; non-GET calls need the CSRF token too', async () => {
    const login = await call(
      'POST',
      '/api2/json/access/ticket',
      { username: 'fedops', realm: 'pve', password: 'pve-password' },
      '',
    );
    const { ticket, CSRFPreventionToken } = (
      login.json as { data: { ticket: string; CSRFPreventionToken: string } }
    ).data;
    expect(ticket).toMatch(/^PVE:fedops@pve:[0-9A-F]{8}::/);
    const cookie = `PVEAuthCookie=${encodeURIComponent(ticket)}`;
    expect((await call('GET', '/api2/json/nodes', undefined, '', { cookie })).status).toBe(200);
    expect(
      await call('POST', '/api2/json/nodes/pve1/qemu/9000/status/start', {}, '', { cookie }),
    ).toMatchObject({
      status: 401,
      reason: 'Permission denied - invalid csrf token',
    });
    const withToken = await call('POST', '/api2/json/nodes/pve1/qemu/9000/status/start', {}, '', {
      cookie,
      csrfpreventiontoken: CSRFPreventionToken,
    });
    expect(withToken).toMatchObject({ status: 500, reason: "you can't start a vm if it's a template" });
    expect(
      await call('POST', '/api2/json/access/ticket', { username: 'fedops@pve', password: 'wrong' }, ''),
    ).toMatchObject({ status: 401, reason: 'authentication failure' });
  });

  it('answers unknown paths with 501 and unknown formats with no such uri', async () => {
    const answer = await call('GET', '/api2/json/nodes/pve1/qemu/100/snapshotz');
    expect(answer).toMatchObject({
      status: 501,
      reason: "Method 'GET /nodes/pve1/qemu/100/snapshotz' not implemented",
      json: { data: null, message: "Method 'GET /nodes/pve1/qemu/100/snapshotz' not implemented\n" },
    });
    expect(await call('GET', '/api2/yaml/nodes')).toMatchObject({ status: 501, reason: 'no such uri' });
  });

  it('verifies parameters: 400 with the errors map', async () => {
    const answer = await call('POST', '/api2/json/nodes/pve1/qemu/9000/clone', {
      newid: '12',
      full: 'yes',
      bogus: '1',
    });
    expect(answer.status).toBe(400);
    expect(answer.reason).toBe('Parameter verification failed.');
    expect(answer.json).toEqual({
      data: null,
      message: 'Parameter verification failed.\n',
      errors: {
        newid: 'invalid format - value does not look like a valid VM ID\n',
        full: "type check ('boolean') failed - got 'yes'\n",
        bogus: 'property is not defined in schema and the schema does not allow additional properties\n',
      },
    });
  });

  it('clones in phases: nameless lock clone, named, unlocked on the target node; duplicate ids are a 500', async () => {
    const cloned = await call('POST', '/api2/json/nodes/pve1/qemu/9000/clone', {
      newid: '150',
      name: 'web-1',
      full: '1',
      target: 'pve2',
      storage: 'cephpool',
      description: 'hello',
    });
    expect(cloned.status).toBe(200);
    const upid = (cloned.json as { data: string }).data;
    expect(parseUpid(upid)).toMatchObject({
      node: 'pve1',
      type: 'qmclone',
      id: '9000',
      user: 'fedops@pve!provisioner',
    });
    await delay(50);
    const during = sim.proxmoxVms().find((vm) => vm.vmid === 150);
    expect(during).toMatchObject({ node: 'pve1', lock: 'clone' });
    expect(during?.name).toBeUndefined();
    const running = await call('GET', `/api2/json/nodes/pve1/tasks/${upid}/status`);
    expect(running.json).toMatchObject({ data: { status: 'running', upid } });
    expect((running.json as { data: Record<string, unknown> }).data).not.toHaveProperty('exitstatus');

    const again = await call('POST', '/api2/json/nodes/pve1/qemu/9000/clone', { newid: '150', full: '1' });
    expect(again).toMatchObject({
      status: 500,
      reason: 'unable to create VM 150: config file already exists',
    });
    const locked = await call('PUT', '/api2/json/nodes/pve1/qemu/150/config', { cores: '2' });
    expect(locked).toMatchObject({ status: 500, reason: 'VM is locked (clone)' });

    for (let i = 0; i < 100 && sim.proxmoxVms().find((vm) => vm.vmid === 150)?.lock !== undefined; i++)
      await delay(20);
    const after = await call('GET', `/api2/json/nodes/pve1/tasks/${upid}/status`);
    expect(after.json).toMatchObject({ data: { status: 'stopped', exitstatus: 'OK' } });
    expect(sim.proxmoxVms().find((vm) => vm.vmid === 150)).toMatchObject({
      node: 'pve2',
      name: 'web-1',
      description: 'hello',
    });
    const log = await call('GET', `/api2/json/nodes/pve1/tasks/${upid}/log`);
    expect((log.json as { data: Array<{ t: string }> }).data.at(-1)?.t).toBe('TASK OK');
  });

  it('checks cloud-init sshkeys: URL-encoded only, then each key', async () => {
    const raw = await call('PUT', '/api2/json/nodes/pve2/qemu/150/config', {
      sshkeys: 'ssh-ed25519 AAAA x@y',
    });
    expect(raw.status).toBe(400);
    expect((raw.json as { errors: Record<string, string> }).errors['sshkeys']).toMatch(
      /^invalid format - invalid urlencoded string/,
    );
    const junk = await call('PUT', '/api2/json/nodes/pve2/qemu/150/config', {
      sshkeys: encodeURIComponent('ssh-ed25519 AAAA'),
    });
    expect(junk).toMatchObject({ status: 500, reason: 'SSH public key validation error' });
  });

  it('answers the guest agent of a stopped VM with its 500', async () => {
    const answer = await call('GET', '/api2/json/nodes/pve2/qemu/150/agent/network-get-interfaces');
    expect(answer).toMatchObject({ status: 500, reason: 'VM 150 is not running' });
  });

  it('renders a rate-limit fault as 503 too many requests and a lock fault as VM is locked (clone)', async () => {
    sim.faults.add({ kind: 'rate-limit', path: '/cluster/nextid$' });
    expect(await call('GET', '/api2/json/cluster/nextid')).toMatchObject({
      status: 503,
      reason: 'too many requests',
    });
    sim.faults.add({ kind: 'lock', method: 'PUT', path: '/config$' });
    expect(await call('PUT', '/api2/json/nodes/pve2/qemu/150/config', { cores: '2' })).toMatchObject({
      status: 500,
      reason: 'VM is locked (clone)',
    });
  });

  it('deletes a stopped VM through a qmdestroy task', async () => {
    const answer = await call(
      'DELETE',
      '/api2/json/nodes/pve2/qemu/150?purge=1&destroy-unreferenced-disks=1',
    );
    const upid = (answer.json as { data: string }).data;
    expect(parseUpid(upid)).toMatchObject({ node: 'pve2', type: 'qmdestroy', id: '150' });
    for (let i = 0; i < 100 && sim.proxmoxVms().some((vm) => vm.vmid === 150); i++) await delay(20);
    expect(sim.proxmoxVms().some((vm) => vm.vmid === 150)).toBe(false);
    const missing = await call('GET', '/api2/json/nodes/pve2/qemu/150/config');
    expect(missing).toMatchObject({
      status: 500,
      reason: "Configuration file 'nodes/pve2/qemu-server/150.conf' does not exist",
    });
  });
});

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(50);
  }
}

function dataOf<T>(answer: Answer): T {
  if (answer.status !== 200) throw new Error(`${answer.status} ${answer.reason}`);
  return (answer.json as { data: T }).data;
}

/** A VM's life through the API, as a provisioner drives it: clone, configure, power, wait on tasks. */
function vmClient(call: Call) {
  /** Waits for the task of `answer` (a UPID) to stop; its exit status. */
  const settle = async (node: string, answer: Answer): Promise<string> => {
    const upid = dataOf<string>(answer);
    let exitstatus: string | undefined;
    await until(`task ${upid}`, async () => {
      const task = dataOf<{ status: string; exitstatus?: string }>(
        await call('GET', `/api2/json/nodes/${node}/tasks/${upid}/status`),
      );
      exitstatus = task.exitstatus;
      return task.status === 'stopped';
    });
    return exitstatus ?? '';
  };
  const power = (node: string, vmid: number, action: 'start' | 'stop' | 'reboot'): Promise<string> =>
    call('POST', `/api2/json/nodes/${node}/qemu/${vmid}/status/${action}`, {}).then((a) => settle(node, a));
  /** The host key the guest agent reads from the VM, once the guest has booted. */
  const agentHostKey = async (node: string, vmid: number): Promise<string> => {
    let key = '';
    await until(`the guest agent of VM ${vmid}`, async () => {
      const answer = await call(
        'GET',
        `/api2/json/nodes/${node}/qemu/${vmid}/agent/file-read?file=${encodeURIComponent('/etc/ssh/ssh_host_ed25519_key.pub')}`,
      );
      if (answer.status !== 200) return false;
      key = dataOf<{ content: string }>(answer).content.split(' ').slice(0, 2).join(' ');
      return true;
    });
    return key;
  };
  /** Clones the template onto pve1 with the key and tags, and starts it unless told not to. */
  const create = async (
    vmid: number,
    publicKey: string,
    options: { start?: boolean; tags?: string } = {},
  ): Promise<void> => {
    const clone = await call('POST', '/api2/json/nodes/pve1/qemu/9000/clone', {
      newid: String(vmid),
      name: `vm-${vmid}`,
      full: '1',
      description: `made by the test as ${vmid}`,
    });
    expect(await settle('pve1', clone)).toBe('OK');
    const config = await call('PUT', `/api2/json/nodes/pve1/qemu/${vmid}/config`, {
      sshkeys: encodeURIComponent(publicKey),
      tags: options.tags ?? 'fedops',
      cores: '2',
    });
    expect(config.status).toBe(200);
    if (options.start ?? true) expect(await power('pve1', vmid, 'start')).toBe('OK');
  };
  return { settle, power, agentHostKey, create };
}

/** Stopping a VM powers its machine off: SSH is refused, and start or reboot bring it back unchanged. */
describe('Proxmox simulator VM power', () => {
  let dir: string;
  let sim: RunningProxmoxSimulator;
  let keyFile: string;
  let publicKey: string;
  const call = clientOf(() => sim);
  const { power, agentHostKey, create } = vmClient(call);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fedops-pvepower-'));
    keyFile = join(dir, 'key');
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'sim', '-f', keyFile]);
    publicKey = (await readFile(`${keyFile}.pub`, 'utf8')).trim();
    sim = await startProxmoxSimulator({
      stateDir: join(dir, 'machines'),
      namePrefix: 'fopvp',
      bootDelayMs: 200,
      cloneMs: 100,
      taskMs: 20,
    });
  });

  afterAll(async () => {
    await sim?.close({ destroyMachines: true });
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('a stopped VM refuses SSH; start and reboot bring it back with the same address and host key', async () => {
    await create(120, publicKey);
    const hostKey = await agentHostKey('pve1', 120);
    const address = sim.vms().find((vm) => vm.id === '120')?.address ?? '';
    expect(await sshPort(address)).toBe('open');
    expect(await presentedHostKey(address)).toBe(hostKey);
    expect(await sshRun(address, keyFile, 'echo on')).toBe('on');

    expect(await power('pve1', 120, 'stop')).toBe('OK');
    expect(await sshPort(address)).toBe('refused');
    expect(await call('GET', '/api2/json/nodes/pve1/qemu/120/agent/network-get-interfaces')).toMatchObject({
      status: 500,
      reason: 'VM 120 is not running',
    });

    expect(await power('pve1', 120, 'start')).toBe('OK');
    expect(await agentHostKey('pve1', 120)).toBe(hostKey);
    expect(sim.vms().find((vm) => vm.id === '120')?.address).toBe(address);
    expect(await presentedHostKey(address)).toBe(hostKey);
    expect(await sshRun(address, keyFile, 'echo again')).toBe('again');

    expect(await power('pve1', 120, 'reboot')).toBe('OK');
    expect(await agentHostKey('pve1', 120)).toBe(hostKey);
    expect(await presentedHostKey(address)).toBe(hostKey);
  }, 90_000);
});

/** `stateFile`: the cluster survives a restart of the simulator, its running VMs still answer SSH. */
describe('Proxmox simulator with a state file', () => {
  let dir: string;
  let sim: RunningProxmoxSimulator;
  let keyFile: string;
  let publicKey: string;
  const call = clientOf(() => sim);
  const { settle, power, agentHostKey, create } = vmClient(call);
  const options = (): ProxmoxSimulatorOptions => ({
    stateDir: join(dir, 'machines'),
    namePrefix: 'fopvs',
    bootDelayMs: 200,
    cloneMs: 100,
    taskMs: 20,
    token: '4f7b1c5e-8d2a-4b39-9a61-0c3e2d5f7a18',
    stateFile: join(dir, 'proxmox-state.json'),
  });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fedops-pvestate-'));
    keyFile = join(dir, 'key');
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'sim', '-f', keyFile]);
    publicKey = (await readFile(`${keyFile}.pub`, 'utf8')).trim();
  });

  afterAll(async () => {
    await sim?.close({ destroyMachines: true });
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('keeps VMs with their config and tags across a restart; running ones answer SSH with the same host key', async () => {
    sim = await startProxmoxSimulator(options());
    await create(130, publicKey, { tags: 'fedops;web' });
    await create(131, publicKey, { start: false });
    const hostKey = await agentHostKey('pve1', 130);
    const address = sim.vms().find((vm) => vm.id === '130')?.address ?? '';
    // A clone caught by the restart: slow, so its task still runs when the simulator stops.
    sim.faults.add({ kind: 'slow-task', path: '/qemu/9000/clone$', delayMs: 30_000 });
    const clone = await call('POST', '/api2/json/nodes/pve1/qemu/9000/clone', { newid: '132', full: '1' });
    const config = dataOf<Record<string, unknown>>(
      await call('GET', '/api2/json/nodes/pve1/qemu/130/config'),
    );
    const before = sim.proxmoxVms();
    await sim.close();

    sim = await startProxmoxSimulator({ ...options(), port: 0 });
    expect(sim.proxmoxVms()).toEqual(before);
    expect(dataOf(await call('GET', '/api2/json/nodes/pve1/qemu/130/config'))).toEqual(config);
    expect(sim.proxmoxVms().find((vm) => vm.vmid === 130)).toMatchObject({
      status: 'running',
      tags: ['fedops', 'web'],
      description: 'made by the test as 130',
    });
    expect(await settle('pve1', clone)).toBe('interrupted: the simulator restarted');
    expect(sim.proxmoxVms().find((vm) => vm.vmid === 132)).toMatchObject({ lock: 'clone' });

    expect(await agentHostKey('pve1', 130)).toBe(hostKey);
    expect(sim.vms().find((vm) => vm.id === '130')?.address).toBe(address);
    expect(await presentedHostKey(address)).toBe(hostKey);
    expect(await sshRun(address, keyFile, 'echo survived')).toBe('survived');

    // The stopped one boots for the first time after the restart; new tasks keep working.
    expect(await power('pve1', 131, 'start')).toBe('OK');
    await agentHostKey('pve1', 131);
    const second = sim.vms().find((vm) => vm.id === '131')?.address ?? '';
    expect(await sshRun(second, keyFile, 'echo on')).toBe('on');
  }, 120_000);

  it('refuses to start from a corrupt state file, naming it', async () => {
    const corrupt = join(dir, 'corrupt.json');
    await writeFile(corrupt, '{"simulator": "proxmox", "version": 1, "state": {"vms": [');
    await expect(
      startProxmoxSimulator({ ...options(), namePrefix: 'fopvq', stateFile: corrupt }),
    ).rejects.toThrow(`Simulator state file ${corrupt} is not valid JSON`);
    await writeFile(
      corrupt,
      JSON.stringify({
        simulator: 'proxmox',
        version: 1,
        state: { startedAt: 1, nextPid: 1, tasks: [], vms: [{ vmid: 9000, node: 'pve9' }] },
      }),
    );
    await expect(
      startProxmoxSimulator({ ...options(), namePrefix: 'fopvq', stateFile: corrupt }),
    ).rejects.toThrow(
      /Simulator state file .*corrupt\.json is invalid: state\.vms\[0\]\.vmid: 9000 is a template's VMID; state\.vms\[0\]\.node: no node "pve9" in the cluster/,
    );
  });
});
