import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '@fedops/sandbox-host';
import type { RunningSimulator } from '../common/simulator';
import { presentedHostKey, sshPort, sshRun } from '../common/vm-probes.test';
import { startHetznerSimulator, type HetznerSimulatorOptions } from './hetzner-simulator';

type Call = (
  method: string,
  path: string,
  body?: unknown,
  auth?: boolean,
) => Promise<{ status: number; headers: Headers; body: Record<string, unknown> }>;

/** A client of one simulator: JSON calls with its token, and waits on a condition with a deadline. */
function clientOf(target: () => RunningSimulator): {
  call: Call;
  until: (what: string, check: () => Promise<boolean>, timeoutMs?: number) => Promise<void>;
  status: (id: number) => Promise<string>;
  action: (id: number) => Promise<{ status: string; error: { code: string; message: string } | null }>;
  settled: (id: number) => Promise<{ status: string }>;
} {
  const call: Call = async (method, path, body, auth = true) => {
    const sim = target();
    const response = await fetch(`${sim.url}${path}`, {
      method,
      headers: {
        ...(auth ? { authorization: `Bearer ${sim.credentials['token'] ?? ''}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
    };
  };
  const until = async (what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const status = async (id: number): Promise<string> =>
    ((await call('GET', `/servers/${id}`)).body['server'] as { status: string }).status;
  const action = async (
    id: number,
  ): Promise<{ status: string; error: { code: string; message: string } | null }> =>
    (await call('GET', `/actions/${id}`)).body['action'] as {
      status: string;
      error: { code: string; message: string } | null;
    };
  const settled = async (id: number): Promise<{ status: string }> => {
    await until(`action ${id} to end`, async () => (await action(id)).status !== 'running');
    return action(id);
  };
  return { call, until, status, action, settled };
}

/** The simulator's API as a client sees it: envelopes, headers, lists, SSH keys, a server's life. */
describe('Hetzner Cloud simulator', () => {
  let dir: string;
  let sim: RunningSimulator;
  let publicKey: string;
  const { call, until } = clientOf(() => sim);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fedops-hetzner-sim-'));
    sim = await startHetznerSimulator({
      stateDir: join(dir, 'state'),
      namePrefix: 'hzs',
      bootDelayMs: 400,
      actionDelayMs: 100,
    });
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'sim', '-f', join(dir, 'key')]);
    publicKey = (await readFile(join(dir, 'key.pub'), 'utf8')).trim();
  });

  afterAll(async () => {
    await sim?.close({ destroyMachines: true });
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('refuses a missing or wrong token with 401 unauthorized in the error envelope', async () => {
    for (const answer of [await call('GET', '/locations', undefined, false), await fetchWithToken('nope')]) {
      expect(answer.status).toBe(401);
      expect(answer.body).toEqual({
        error: { code: 'unauthorized', message: 'unable to authenticate', details: null },
      });
    }
    async function fetchWithToken(bad: string): Promise<{ status: number; body: unknown }> {
      const response = await fetch(`${sim.url}/locations`, { headers: { authorization: `Bearer ${bad}` } });
      return { status: response.status, body: await response.json() };
    }
  });

  it('puts a correlation id and the rate-limit headers on every answer, counting down', async () => {
    const first = await call('GET', '/locations');
    const second = await call('GET', '/no-such-thing');
    expect(second.status).toBe(404);
    expect(second.body['error']).toMatchObject({ code: 'not_found' });
    for (const answer of [first, second]) {
      expect(answer.headers.get('x-correlation-id')).toMatch(/^[0-9a-f]{16}$/);
      expect(answer.headers.get('ratelimit-limit')).toBe('3600');
      expect(Number(answer.headers.get('ratelimit-reset'))).toBeGreaterThanOrEqual(
        Math.floor(Date.now() / 1000),
      );
    }
    expect(Number(second.headers.get('ratelimit-remaining'))).toBeLessThan(
      Number(first.headers.get('ratelimit-remaining')),
    );
  });

  it('pages lists with meta.pagination and a Link header', async () => {
    const answer = await call('GET', '/locations?per_page=2&page=1');
    expect((answer.body['locations'] as unknown[]).length).toBe(2);
    expect(answer.body['meta']).toEqual({
      pagination: { page: 1, per_page: 2, previous_page: null, next_page: 2, last_page: 2, total_entries: 4 },
    });
    expect(answer.headers.get('link')).toBe(
      `<${sim.url}/locations?per_page=2&page=2>; rel="next", <${sim.url}/locations?per_page=2&page=2>; rel="last"`,
    );
    const named = await call('GET', '/server_types?name=cpx11');
    expect(named.body['server_types']).toEqual([
      expect.objectContaining({ name: 'cpx11', cores: 2, memory: 2, disk: 40 }),
    ]);
    const sorted = await call('GET', '/locations?sort=name:desc');
    expect((sorted.body['locations'] as Array<{ name: string }>).map((l) => l.name)).toEqual([
      'nbg1',
      'hel1',
      'fsn1',
      'ash',
    ]);
    const snapshots = await call('GET', '/images?type=snapshot');
    expect(snapshots.body['images']).toEqual([expect.objectContaining({ type: 'snapshot', name: null })]);
  });

  it('keeps SSH keys unique by fingerprint and name, found by fingerprint and label selector', async () => {
    const created = await call('POST', '/ssh_keys', {
      name: 'ops',
      public_key: publicKey,
      labels: { team: 'ops' },
    });
    expect(created.status).toBe(201);
    const key = created.body['ssh_key'] as { id: number; fingerprint: string };
    expect(key.fingerprint).toMatch(/^([0-9a-f]{2}:){15}[0-9a-f]{2}$/);
    const again = await call('POST', '/ssh_keys', { name: 'other', public_key: publicKey });
    expect(again.status).toBe(409);
    expect(again.body['error']).toEqual({
      code: 'uniqueness_error',
      message: 'SSH key with the same fingerprint already exists',
      details: { fields: [{ name: 'public_key' }] },
    });
    const bad = await call('POST', '/ssh_keys', { name: 'bad', public_key: 'ssh-ed25519 nope' });
    expect(bad.status).toBe(400);
    expect(bad.body['error']).toMatchObject({
      code: 'invalid_input',
      details: { fields: [{ name: 'public_key' }] },
    });
    const byFingerprint = await call('GET', `/ssh_keys?fingerprint=${encodeURIComponent(key.fingerprint)}`);
    expect((byFingerprint.body['ssh_keys'] as Array<{ id: number }>).map((k) => k.id)).toEqual([key.id]);
    for (const [selector, count] of [
      ['team==ops', 1],
      ['team in (ops,dev)', 1],
      ['team!=ops', 0],
      ['!team', 0],
    ] as const) {
      const found = await call('GET', `/ssh_keys?label_selector=${encodeURIComponent(selector)}`);
      expect({ selector, count: (found.body['ssh_keys'] as unknown[]).length }).toEqual({ selector, count });
    }
    const broken = await call('GET', '/ssh_keys?label_selector=team%3D%3D%3Dops');
    expect(broken.status).toBe(400);
    expect(broken.body['error']).toMatchObject({ code: 'invalid_input' });
  });

  it('refuses malformed JSON as json_error and listing actions without ids', async () => {
    const response = await fetch(`${sim.url}/ssh_keys`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${sim.credentials['token'] ?? ''}`,
        'content-type': 'application/json',
      },
      body: '{"name":',
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('json_error');
    expect((await call('GET', '/actions')).status).toBe(400);
  });

  it('renders injected faults the Hetzner way', async () => {
    sim.faults.add({ kind: 'server-error', path: '^/v1/locations$', status: 503 });
    const unavailable = await call('GET', '/locations');
    expect(unavailable.status).toBe(503);
    expect(unavailable.body['error']).toMatchObject({ code: 'unavailable' });
    sim.faults.add({ kind: 'rate-limit', path: '^/v1/locations$' });
    const limited = await call('GET', '/locations');
    expect(limited.status).toBe(429);
    expect(limited.body['error']).toMatchObject({ code: 'rate_limit_exceeded' });
    expect(limited.headers.get('ratelimit-remaining')).toBe('0');
    expect(Number(limited.headers.get('ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000);
    sim.faults.add({ kind: 'lock', path: '^/v1/locations$' });
    expect((await call('GET', '/locations')).body['error']).toMatchObject({ code: 'locked' });
    expect((await call('GET', '/locations')).status).toBe(200);
  });

  it('creates a server that boots, locks while its actions run, and is gone after delete', async () => {
    const keyId = ((await call('GET', '/ssh_keys?name=ops')).body['ssh_keys'] as Array<{ id: number }>)[0]
      ?.id;
    const created = await call('POST', '/servers', {
      name: 'sim-one',
      server_type: 'cpx11',
      image: 'ubuntu-24.04',
      location: 'nbg1',
      ssh_keys: [keyId],
      labels: { 'fedops-machine': 'm-1' },
    });
    expect(created.status).toBe(201);
    const server = created.body['server'] as {
      id: number;
      status: string;
      public_net: { ipv4: { ip: string } };
    };
    expect(server.status).toBe('initializing');
    expect(server.public_net.ipv4.ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(created.body['root_password']).toBeNull();
    expect(created.body['action']).toMatchObject({
      command: 'create_server',
      status: 'running',
      error: null,
    });
    expect(created.body['next_actions']).toEqual([expect.objectContaining({ command: 'start_server' })]);

    const duplicate = await call('POST', '/servers', {
      name: 'sim-one',
      server_type: 'cpx11',
      image: 'debian-12',
    });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body['error']).toMatchObject({
      code: 'uniqueness_error',
      details: { fields: [{ name: 'name' }] },
    });
    const locked = await call('POST', `/servers/${server.id}/actions/reboot`, {});
    expect(locked.status).toBe(423);
    expect(locked.body['error']).toMatchObject({ code: 'locked' });

    const actionId = (created.body['action'] as { id: number }).id;
    await until('the server to run', async () => {
      const got = await call('GET', `/servers/${server.id}`);
      return (got.body['server'] as { status: string }).status === 'running';
    });
    const actions = await call('GET', `/actions?id=${actionId}`);
    expect(actions.body['actions']).toEqual([
      expect.objectContaining({ id: actionId, status: 'success', progress: 100 }),
    ]);
    expect((await call('GET', `/servers/${server.id}/actions/${actionId}`)).status).toBe(200);
    expect(sim.vms()).toEqual([
      expect.objectContaining({
        id: String(server.id),
        name: 'sim-one',
        status: 'running',
        labels: { 'fedops-machine': 'm-1' },
      }),
    ]);

    const live = await call('POST', `/servers/${server.id}/actions/change_type`, {
      server_type: 'cpx21',
      upgrade_disk: true,
    });
    expect(live.status).toBe(409);
    expect(live.body['error']).toMatchObject({ code: 'server_not_stopped' });

    const deleted = await call('DELETE', `/servers/${server.id}`);
    expect(deleted.status).toBe(200);
    expect(deleted.body['action']).toMatchObject({ command: 'delete_server', status: 'running' });
    await until(
      'the server to be gone',
      async () => (await call('GET', `/servers/${server.id}`)).status === 404,
    );
    expect(sim.vms()).toEqual([]);
  });

  it('powers a server off for real: SSH is refused while it is off, and answers after poweron', async () => {
    const { settled, until, status } = clientOf(() => sim);
    const keyId = ((await call('GET', '/ssh_keys?name=ops')).body['ssh_keys'] as Array<{ id: number }>)[0]
      ?.id;
    const created = await call('POST', '/servers', {
      name: 'sim-power',
      server_type: 'cpx11',
      image: 'ubuntu-24.04',
      ssh_keys: [keyId],
    });
    const server = created.body['server'] as { id: number; public_net: { ipv4: { ip: string } } };
    const ip = server.public_net.ipv4.ip;
    await until('the server to run', async () => (await status(server.id)) === 'running');
    expect(await sshRun(ip, join(dir, 'key'), 'echo on')).toBe('on');

    const poweroff = (await call('POST', `/servers/${server.id}/actions/poweroff`, {})).body['action'] as {
      id: number;
    };
    expect(await settled(poweroff.id)).toMatchObject({ status: 'success' });
    expect(await status(server.id)).toBe('off');
    expect(await sshPort(ip)).toBe('refused');

    const poweron = (await call('POST', `/servers/${server.id}/actions/poweron`, {})).body['action'] as {
      id: number;
    };
    expect(await settled(poweron.id)).toMatchObject({ status: 'success' });
    expect(await status(server.id)).toBe('running');
    expect(await sshRun(ip, join(dir, 'key'), 'echo back')).toBe('back');

    // ACPI shutdown: the action ends when the signal is sent, the server is off a moment later.
    const shutdown = (await call('POST', `/servers/${server.id}/actions/shutdown`, {})).body['action'] as {
      id: number;
    };
    expect(await settled(shutdown.id)).toMatchObject({ status: 'success' });
    await until('the server to be off', async () => (await status(server.id)) === 'off');
    expect(await sshPort(ip)).toBe('refused');
    const reset = (await call('POST', `/servers/${server.id}/actions/reset`, {})).body['action'] as {
      id: number;
    };
    expect(await settled(reset.id)).toMatchObject({ status: 'success' });
    expect(await sshRun(ip, join(dir, 'key'), 'echo reset')).toBe('reset');

    await call('DELETE', `/servers/${server.id}`);
    await until(
      'the server to be gone',
      async () => (await call('GET', `/servers/${server.id}`)).status === 404,
    );
  }, 60_000);
});

/** `stateFile`: the Project survives a restart of the simulator, its running servers still answer SSH. */
describe('Hetzner Cloud simulator with a state file', () => {
  let dir: string;
  let sim: RunningSimulator;
  let keyFile: string;
  const { call, until, status, action, settled } = clientOf(() => sim);
  const options = (): HetznerSimulatorOptions => ({
    stateDir: join(dir, 'machines'),
    namePrefix: 'hzp',
    bootDelayMs: 200,
    actionDelayMs: 100,
    token: 'persisted-token',
    stateFile: join(dir, 'hetzner-state.json'),
  });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fedops-hetzner-state-'));
    keyFile = join(dir, 'key');
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'sim', '-f', keyFile]);
  });

  afterAll(async () => {
    await sim?.close({ destroyMachines: true });
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('keeps servers, SSH keys and ids across a restart; running servers answer SSH with the same host key', async () => {
    sim = await startHetznerSimulator(options());
    const publicKey = (await readFile(`${keyFile}.pub`, 'utf8')).trim();
    const key = (await call('POST', '/ssh_keys', { name: 'ops', public_key: publicKey })).body['ssh_key'] as {
      id: number;
    };
    const create = async (name: string, extra: Record<string, unknown> = {}) =>
      (
        await call('POST', '/servers', {
          name,
          server_type: 'cpx11',
          image: 'ubuntu-24.04',
          ssh_keys: [key.id],
          labels: { 'fedops-machine': name },
          ...extra,
        })
      ).body['server'] as { id: number; public_net: { ipv4: { ip: string } } };
    const running = await create('kept-on');
    const stopped = await create('kept-off', { start_after_create: false });
    await until('both servers to settle', async () => {
      return (await status(running.id)) === 'running' && (await status(stopped.id)) === 'off';
    });
    const ip = running.public_net.ipv4.ip;
    expect(await sshPort(stopped.public_net.ipv4.ip)).toBe('refused');
    const hostKey = await presentedHostKey(ip);
    // An action caught by the restart: slow, so it still runs when the simulator stops.
    sim.faults.add({ kind: 'slow-task', path: `/servers/${running.id}/actions/reboot$`, delayMs: 30_000 });
    const reboot = (await call('POST', `/servers/${running.id}/actions/reboot`, {})).body['action'] as {
      id: number;
    };
    const before = await call('GET', '/servers?sort=id');
    await sim.close();

    sim = await startHetznerSimulator({ ...options(), port: 0 });
    const after = await call('GET', '/servers?sort=id');
    const summary = (answer: typeof before) =>
      (answer.body['servers'] as Array<Record<string, unknown>>).map((s) => ({
        id: s['id'],
        name: s['name'],
        labels: s['labels'],
        ip: (s['public_net'] as { ipv4: { ip: string } }).ipv4.ip,
        server_type: (s['server_type'] as { name: string }).name,
      }));
    expect(summary(after)).toEqual(summary(before));
    expect(await status(running.id)).toBe('running');
    expect(await status(stopped.id)).toBe('off');
    expect(await action(reboot.id)).toMatchObject({
      status: 'error',
      error: { code: 'action_failed', message: expect.stringContaining('interrupted') },
    });
    expect(await presentedHostKey(ip)).toBe(hostKey);
    expect(await sshRun(ip, keyFile, 'echo survived')).toBe('survived');
    expect(await sshPort(stopped.public_net.ipv4.ip)).toBe('refused');
    expect((await call('GET', `/ssh_keys/${key.id}`)).status).toBe(200);

    // The off server boots with its address, and ids keep counting up.
    const poweron = (await call('POST', `/servers/${stopped.id}/actions/poweron`, {})).body['action'] as {
      id: number;
    };
    expect(poweron.id).toBeGreaterThan(reboot.id);
    expect(await settled(poweron.id)).toMatchObject({ status: 'success' });
    expect(await sshRun(stopped.public_net.ipv4.ip, keyFile, 'echo on')).toBe('on');
    const third = await create('after-restart');
    expect(third.id).toBeGreaterThan(stopped.id);
  }, 90_000);

  it('refuses to start from a corrupt state file, naming it', async () => {
    const corrupt = join(dir, 'corrupt.json');
    await writeFile(corrupt, '{"simulator": "hetzner", "version": 1, "state": {"servers": [{"id": "x"}]');
    await expect(
      startHetznerSimulator({ ...options(), namePrefix: 'hzq', stateFile: corrupt }),
    ).rejects.toThrow(`Simulator state file ${corrupt} is not valid JSON`);
    await writeFile(
      corrupt,
      JSON.stringify({ simulator: 'hetzner', version: 1, state: { servers: [{ id: 'x' }] } }),
    );
    await expect(
      startHetznerSimulator({ ...options(), namePrefix: 'hzq', stateFile: corrupt }),
    ).rejects.toThrow(
      /Simulator state file .*corrupt\.json is invalid: state\.servers\[0\]\.serverTypeId: must be a non-negative integer/,
    );
  });
});
