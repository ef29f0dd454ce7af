import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { run } from '@fedops/sandbox-host';
import type { RunningSimulator } from '../common/simulator';
import { presentedHostKey, sshPort, sshRun } from '../common/vm-probes.test';
import { startDigitalOceanSimulator, type DigitalOceanSimulatorOptions } from './digitalocean-simulator';

/** The simulator's API seen as a raw HTTP client (godo, doctl, curl) sees it. */
describe('DigitalOcean simulator', () => {
  let dir: string;
  let sim: RunningSimulator;
  let origin: string;
  let clientKey: string;
  let clientKeyFile: string;
  let hostKey: { privateKey: string; publicKey: string };

  async function api(
    method: string,
    path: string,
    body?: unknown,
    token: string | null = sim.credentials['token'] ?? null,
  ): Promise<{ status: number; headers: Headers; json: Record<string, unknown>; text: string }> {
    const response = await fetch(path.startsWith('http') ? path : `${sim.url}${path}`, {
      method,
      headers: {
        ...(token !== null ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    let json: Record<string, unknown> = {};
    try {
      json = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
    } catch {
      // Not JSON (the load balancer's HTML page).
    }
    return { status: response.status, headers: response.headers, json, text };
  }

  async function waitAction(href: string): Promise<Record<string, unknown>> {
    for (const until = Date.now() + 30_000; Date.now() < until; await delay(100)) {
      const { json } = await api('GET', href);
      const action = json['action'] as Record<string, unknown>;
      if (action['status'] !== 'in-progress') return action;
    }
    throw new Error(`action ${href} did not finish`);
  }

  function dropletRequest(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      name,
      region: 'nyc3',
      size: 's-1vcpu-1gb',
      image: 'debian-12-x64',
      ssh_keys: [],
      backups: false,
      ipv6: false,
      monitoring: false,
      tags: ['sim-test'],
      ...extra,
    };
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fedops-do-sim-'));
    sim = await startDigitalOceanSimulator({
      stateDir: join(dir, 'state'),
      namePrefix: 'dosim',
      bootDelayMs: 200,
    });
    origin = sim.url.replace(/\/v2$/, '');
    clientKeyFile = join(dir, 'client');
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'sim-client', '-f', clientKeyFile]);
    clientKey = (await readFile(`${clientKeyFile}.pub`, 'utf8')).trim();
    const hostKeyFile = join(dir, 'host');
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'host', '-f', hostKeyFile]);
    hostKey = {
      privateKey: await readFile(hostKeyFile, 'utf8'),
      publicKey: (await readFile(`${hostKeyFile}.pub`, 'utf8')).trim().split(' ').slice(0, 2).join(' '),
    };
  }, 60_000);

  afterAll(async () => {
    await sim?.close({ destroyMachines: true });
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  afterEach(() => sim.faults.clear());

  it('refuses a missing or wrong token with 401 unauthorized, a request id and the rate-limit headers', async () => {
    for (const token of [null, 'dop_v1_wrong']) {
      const { status, json, headers } = await api('GET', '/account', undefined, token);
      expect(status).toBe(401);
      expect(json).toEqual({
        id: 'unauthorized',
        message: 'Unable to authenticate you.',
        request_id: headers.get('x-request-id'),
      });
      expect(headers.get('ratelimit-limit')).toBe('5000');
    }
  });

  it('counts each request against the hour: remaining drops by one, reset is when the first expires', async () => {
    const a = await api('GET', '/account');
    const b = await api('GET', '/regions');
    expect(a.status).toBe(200);
    expect(a.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(Number(b.headers.get('ratelimit-remaining'))).toBe(
      Number(a.headers.get('ratelimit-remaining')) - 1,
    );
    const reset = Number(b.headers.get('ratelimit-reset'));
    expect(reset).toBe(Number(a.headers.get('ratelimit-reset')));
    expect(reset - Date.now() / 1000).toBeGreaterThan(3500);
    // Whole seconds, rounded up.
    expect(reset - Date.now() / 1000).toBeLessThanOrEqual(3601);
  });

  it('pages with absolute links built from its own base URL, which a client can follow as given', async () => {
    const first = await api('GET', '/regions?per_page=5');
    expect(first.json['meta']).toEqual({ total: 14 });
    const pages = (first.json['links'] as { pages: Record<string, string> }).pages;
    expect(pages).toEqual({
      next: `${origin}/v2/regions?page=2&per_page=5`,
      last: `${origin}/v2/regions?page=3&per_page=5`,
    });
    const second = await api('GET', pages['next'] ?? '');
    expect((second.json['regions'] as unknown[]).length).toBe(5);
    expect(Object.keys((second.json['links'] as { pages: object }).pages).sort()).toEqual([
      'first',
      'last',
      'next',
      'prev',
    ]);
    const all = await api('GET', '/sizes?per_page=200');
    expect(all.json['links']).toEqual({});
    expect((all.json['sizes'] as Array<{ slug: string }>).map((s) => s.slug)).toEqual(
      expect.arrayContaining(['s-1vcpu-1gb', 's-1vcpu-2gb', 's-2vcpu-4gb']),
    );
  });

  it('keeps SSH keys by id or fingerprint and refuses a duplicate or a malformed key with 422', async () => {
    const created = await api('POST', '/account/keys', { name: 'client', public_key: clientKey });
    expect(created.status).toBe(201);
    const key = created.json['ssh_key'] as { id: number; fingerprint: string };
    const fingerprint = (await run('ssh-keygen', ['-l', '-E', 'md5', '-f', `${clientKeyFile}.pub`])).stdout
      .split(' ')[1]
      ?.replace(/^MD5:/, '');
    expect(key.fingerprint).toBe(fingerprint);
    expect((await api('GET', `/account/keys/${key.fingerprint}`)).json['ssh_key']).toMatchObject({
      id: key.id,
    });
    expect((await api('GET', `/account/keys/${key.id}`)).json['ssh_key']).toMatchObject({ name: 'client' });
    const again = await api('POST', '/account/keys', { name: 'again', public_key: clientKey });
    expect(again.status).toBe(422);
    expect(again.json).toMatchObject({
      id: 'unprocessable_entity',
      message: 'SSH Key is already in use on your account',
    });
    expect((await api('POST', '/account/keys', { name: 'bad', public_key: 'ssh-ed25519 nope' })).status).toBe(
      422,
    );
  });

  it('validates tag names as documented', async () => {
    const bad = await api('POST', '/tags', { name: 'has space' });
    expect(bad.status).toBe(400);
    expect(bad.json['error']).toMatch(/contains invalid characters/);
    const good = await api('POST', '/tags', { name: 'env:prod_1-a' });
    expect(good.status).toBe(201);
    expect(good.json['tag']).toMatchObject({ name: 'env:prod_1-a', resources: { count: 0 } });
  });

  it('creates a droplet that boots into a real machine with the identity of its SSH keys and cloud-config', async () => {
    const key = (await api('GET', '/account/keys')).json['ssh_keys'] as Array<{ fingerprint: string }>;
    const userData = [
      '#cloud-config',
      'ssh_keys:',
      '  ed25519_private: |',
      ...hostKey.privateKey
        .trim()
        .split('\n')
        .map((line) => `    ${line}`),
      `  ed25519_public: ${hostKey.publicKey}`,
      '',
    ].join('\n');
    const created = await api(
      'POST',
      '/droplets',
      dropletRequest('web-1', {
        ssh_keys: [key[0]?.fingerprint],
        user_data: userData,
        tags: ['sim-test', 'env:prod'],
      }),
    );
    expect(created.status).toBe(202);
    const droplet = created.json['droplet'] as Record<string, unknown>;
    expect(droplet).toMatchObject({
      name: 'web-1',
      status: 'new',
      networks: { v4: [], v6: [] },
      size_slug: 's-1vcpu-1gb',
    });
    const [link] = (created.json['links'] as { actions: Array<{ id: number; rel: string; href: string }> })
      .actions;
    expect(link).toEqual({ id: link?.id, rel: 'create', href: `${origin}/v2/actions/${link?.id}` });
    // While the create runs, every other event is refused.
    const busy = await api('POST', `/droplets/${String(droplet['id'])}/actions`, { type: 'power_off' });
    expect(busy.status).toBe(422);
    expect(busy.json['message']).toBe('Droplet already has a pending event.');

    expect(await waitAction(link?.href ?? '')).toMatchObject({
      status: 'completed',
      type: 'create',
      resource_type: 'droplet',
    });
    const active = (await api('GET', `/droplets/${String(droplet['id'])}`)).json['droplet'] as {
      status: string;
      networks: { v4: Array<{ ip_address: string; type: string }> };
    };
    expect(active.status).toBe('active');
    const address = active.networks.v4.find((n) => n.type === 'public')?.ip_address ?? '';
    expect(sim.vms().find((vm) => vm.id === String(droplet['id']))?.address).toBe(address);

    expect(await presentedHostKey(address)).toBe(hostKey.publicKey);
    expect(await sshRun(address, clientKeyFile, 'echo up')).toBe('up');

    const tagged = await api('GET', '/droplets?tag_name=env:prod');
    expect((tagged.json['droplets'] as Array<{ id: number }>).map((d) => d.id)).toEqual([droplet['id']]);
    expect((await api('DELETE', `/droplets/${String(droplet['id'])}`)).status).toBe(204);
    const gone = await api('GET', `/droplets/${String(droplet['id'])}`);
    expect(gone.status).toBe(404);
    expect(gone.json).toMatchObject({ id: 'not_found' });
    expect((await api('GET', link?.href ?? '')).status).toBe(200);
  }, 60_000);

  it('powers a droplet off for real: SSH is refused while it is off, and answers after power_on', async () => {
    const key = (await api('GET', '/account/keys')).json['ssh_keys'] as Array<{ id: number }>;
    const created = await api('POST', '/droplets', dropletRequest('power-1', { ssh_keys: [key[0]?.id] }));
    const id = (created.json['droplet'] as { id: number }).id;
    const [link] = (created.json['links'] as { actions: Array<{ href: string }> }).actions;
    expect(await waitAction(link?.href ?? '')).toMatchObject({ status: 'completed' });
    const droplet = async (): Promise<{ status: string; address: string }> => {
      const got = (await api('GET', `/droplets/${id}`)).json['droplet'] as {
        status: string;
        networks: { v4: Array<{ ip_address: string }> };
      };
      return { status: got.status, address: got.networks.v4[0]?.ip_address ?? '' };
    };
    const { address } = await droplet();
    expect(await sshRun(address, clientKeyFile, 'echo on')).toBe('on');
    const act = async (type: string): Promise<Record<string, unknown>> => {
      const posted = await api('POST', `/droplets/${id}/actions`, { type });
      expect(posted.status).toBe(201);
      return waitAction(`/actions/${(posted.json['action'] as { id: number }).id}`);
    };

    for (const off of ['power_off', 'shutdown']) {
      expect(await act(off)).toMatchObject({ status: 'completed', type: off });
      // The address stays while the droplet is off, as on DigitalOcean; nothing answers on it.
      expect(await droplet()).toEqual({ status: 'off', address });
      expect(await sshPort(address)).toBe('refused');
      // A graceful reboot needs a running guest: an off droplet stays off.
      expect(await act('reboot')).toMatchObject({ status: 'completed' });
      expect(await droplet()).toEqual({ status: 'off', address });
      const on = off === 'power_off' ? 'power_on' : 'power_cycle';
      expect(await act(on)).toMatchObject({ status: 'completed', type: on });
      expect(await droplet()).toEqual({ status: 'active', address });
      expect(await sshRun(address, clientKeyFile, `echo after-${on}`)).toBe(`after-${on}`);
    }
    expect((await api('DELETE', `/droplets/${id}`)).status).toBe(204);
  }, 60_000);

  it('does not keep names unique: a repeated create makes another droplet, and names[] makes several', async () => {
    const one = await api('POST', '/droplets', dropletRequest('twin', { tags: ['twins'] }));
    const two = await api('POST', '/droplets', dropletRequest('twin', { tags: ['twins'] }));
    expect([one.status, two.status]).toEqual([202, 202]);
    const multi = await api('POST', '/droplets', {
      ...dropletRequest('x', { tags: ['twins'] }),
      name: undefined,
      names: ['m-1', 'm-2'],
    });
    expect(multi.status).toBe(202);
    expect((multi.json['droplets'] as Array<{ name: string }>).map((d) => d.name)).toEqual(['m-1', 'm-2']);
    expect((multi.json['links'] as { actions: unknown[] }).actions).toHaveLength(2);
    const byName = await api('GET', '/droplets?name=TWIN');
    expect((byName.json['droplets'] as unknown[]).length).toBe(2);
    expect(((await api('GET', '/droplets?tag_name=twins')).json['meta'] as { total: number }).total).toBe(4);
    expect((await api('DELETE', '/droplets?tag_name=twins')).status).toBe(204);
    expect(((await api('GET', '/droplets?tag_name=twins')).json['meta'] as { total: number }).total).toBe(0);
  }, 60_000);

  it('refuses bad creates with the API’s own 422 messages', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ image: 'no-such-image' }, 'You specified an invalid image for Droplet creation.'],
      [{ size: 's-99vcpu' }, 'You specified an invalid size for Droplet creation.'],
      [{ region: 'mars1' }, 'You specified an invalid region for Droplet creation.'],
      [{ name: 'under_score' }, 'Only valid hostname characters are allowed. (a-z, A-Z, 0-9, . and -)'],
      [{ ssh_keys: [123] }, '123 are invalid key identifiers for Droplet creation.'],
    ];
    for (const [extra, message] of cases) {
      const { status, json } = await api('POST', '/droplets', dropletRequest('bad', extra));
      expect({ status, message: json['message'] }).toEqual({ status: 422, message });
    }
    expect(sim.vms().filter((vm) => vm.name === 'bad')).toEqual([]);
  });

  it('renders faults the DigitalOcean way', async () => {
    sim.faults.add({ kind: 'server-error', status: 503, path: '^/v2/account$' });
    const html = await api('GET', '/account');
    expect(html.status).toBe(503);
    expect(html.text).toContain('<h1>503 Service Temporarily Unavailable</h1>');
    sim.faults.add({ kind: 'server-error', path: '^/v2/account$' });
    expect((await api('GET', '/account')).json).toMatchObject({ id: 'server_error' });
    sim.faults.add({ kind: 'rate-limit', path: '^/v2/account$', delayMs: 30_000 });
    const limited = await api('GET', '/account');
    expect(limited.status).toBe(429);
    expect(limited.json).toMatchObject({ id: 'too_many_requests', message: 'API rate limit exceeded.' });
    expect(limited.headers.get('ratelimit-remaining')).toBe('0');
    expect(limited.headers.get('retry-after')).toBe('30');
    expect(Number(limited.headers.get('ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000);

    // A lost response: the droplet is made, the client hears nothing.
    sim.faults.add({ kind: 'lost-response', method: 'POST', path: '^/v2/droplets$' });
    await expect(api('POST', '/droplets', dropletRequest('lost', { tags: ['lost'] }))).rejects.toThrow();
    expect(sim.vms().filter((vm) => vm.name === 'lost')).toHaveLength(1);
    await api('DELETE', '/droplets?tag_name=lost');

    // An errored create leaves a broken droplet: still `new`, no address.
    sim.faults.add({ kind: 'task-error', method: 'POST', path: '^/v2/droplets$' });
    const broken = await api('POST', '/droplets', dropletRequest('broken', { tags: ['broken'] }));
    const [link] = (broken.json['links'] as { actions: Array<{ href: string }> }).actions;
    expect(await waitAction(link?.href ?? '')).toMatchObject({ status: 'errored' });
    const droplet = (broken.json['droplet'] as { id: number }).id;
    expect((await api('GET', `/droplets/${droplet}`)).json['droplet']).toMatchObject({
      status: 'new',
      networks: { v4: [] },
    });
    await api('DELETE', `/droplets/${droplet}`);
  }, 60_000);

  it('answers the burst limit with 429 and retry-after, the hourly limit with 429 and remaining 0', async () => {
    const limitedSimulator = (namePrefix: string, perMinute: number, perHour: number) =>
      startDigitalOceanSimulator({
        stateDir: join(dir, namePrefix),
        namePrefix,
        rateLimitPerMinute: perMinute,
        rateLimitPerHour: perHour,
      });
    const call = (target: RunningSimulator): Promise<Response> =>
      fetch(`${target.url}/regions`, {
        headers: { authorization: `Bearer ${target.credentials['token'] ?? ''}` },
      });
    const burst = await limitedSimulator('dobur', 2, 10);
    const hourly = await limitedSimulator('dohou', 100, 2);
    try {
      expect((await call(burst)).status).toBe(200);
      expect((await call(burst)).status).toBe(200);
      const refused = await call(burst);
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(59);
      expect(refused.headers.get('ratelimit-remaining')).toBe('8');

      expect((await call(hourly)).status).toBe(200);
      expect((await call(hourly)).headers.get('ratelimit-remaining')).toBe('0');
      const spent = await call(hourly);
      expect(spent.status).toBe(429);
      expect(spent.headers.get('retry-after')).toBeNull();
      expect(((await spent.json()) as { id: string }).id).toBe('too_many_requests');
    } finally {
      await burst.close();
      await hourly.close();
    }
  });
});

/** `stateFile`: the account survives a restart of the simulator, its active droplets still answer SSH. */
describe('DigitalOcean simulator with a state file', () => {
  let dir: string;
  let sim: RunningSimulator;
  let keyFile: string;
  const options = (): DigitalOceanSimulatorOptions => ({
    stateDir: join(dir, 'machines'),
    namePrefix: 'dop',
    bootDelayMs: 200,
    token: 'dop_v1_persisted',
    stateFile: join(dir, 'digitalocean-state.json'),
  });
  async function api(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
    const response = await fetch(`${sim.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${sim.credentials['token'] ?? ''}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    return text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
  }
  async function settled(actionId: number): Promise<Record<string, unknown>> {
    for (const until = Date.now() + 30_000; Date.now() < until; await delay(100)) {
      const action = (await api('GET', `/actions/${actionId}`))['action'] as Record<string, unknown>;
      if (action['status'] !== 'in-progress') return action;
    }
    throw new Error(`action ${actionId} did not finish`);
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fedops-do-state-'));
    keyFile = join(dir, 'client');
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'sim-client', '-f', keyFile]);
  });

  afterAll(async () => {
    await sim?.close({ destroyMachines: true });
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it('keeps droplets, tags, keys and ids across a restart; active droplets answer SSH with the same host key', async () => {
    sim = await startDigitalOceanSimulator(options());
    const publicKey = (await readFile(`${keyFile}.pub`, 'utf8')).trim();
    const key = (await api('POST', '/account/keys', { name: 'client', public_key: publicKey }))[
      'ssh_key'
    ] as {
      id: number;
    };
    const create = async (name: string): Promise<{ id: number; action: number }> => {
      const created = await api('POST', '/droplets', {
        name,
        region: 'fra1',
        size: 's-1vcpu-2gb',
        image: 'ubuntu-24-04-x64',
        ssh_keys: [key.id],
        tags: ['fedops-machine:' + name, 'kept'],
      });
      const links = (created['links'] as { actions: Array<{ id: number }> }).actions;
      return { id: (created['droplet'] as { id: number }).id, action: links[0]?.id ?? 0 };
    };
    const on = await create('kept-on');
    const off = await create('kept-off');
    expect(await settled(on.action)).toMatchObject({ status: 'completed' });
    expect(await settled(off.action)).toMatchObject({ status: 'completed' });
    const powerOff = (await api('POST', `/droplets/${off.id}/actions`, { type: 'power_off' }))['action'] as {
      id: number;
    };
    expect(await settled(powerOff.id)).toMatchObject({ status: 'completed' });
    const addressOf = async (id: number): Promise<string> =>
      (
        (await api('GET', `/droplets/${id}`))['droplet'] as {
          networks: { v4: Array<{ ip_address: string }> };
        }
      ).networks.v4[0]?.ip_address ?? '';
    const onAddress = await addressOf(on.id);
    const offAddress = await addressOf(off.id);
    const hostKey = await presentedHostKey(onAddress);
    // An event caught by the restart: slow, so it is still in progress when the simulator stops.
    sim.faults.add({ kind: 'slow-task', path: `/droplets/${on.id}/actions$`, delayMs: 30_000 });
    const rename = (await api('POST', `/droplets/${off.id}/actions`, { type: 'rename', name: 'renamed' }))[
      'action'
    ] as { id: number };
    const stuck = (await api('POST', `/droplets/${on.id}/actions`, { type: 'reboot' }))['action'] as {
      id: number;
    };
    expect(await settled(rename.id)).toMatchObject({ status: 'completed' });
    const before = await api('GET', '/droplets?tag_name=kept');
    await sim.close();

    sim = await startDigitalOceanSimulator({ ...options(), port: 0 });
    const after = await api('GET', '/droplets?tag_name=kept');
    const summary = (answer: Record<string, unknown>) =>
      (answer['droplets'] as Array<Record<string, unknown>>).map((d) => ({
        id: d['id'],
        name: d['name'],
        tags: d['tags'],
        size: d['size_slug'],
        region: (d['region'] as { slug: string }).slug,
        networks: d['networks'],
      }));
    expect(summary(after)).toEqual(summary(before));
    expect(summary(after).map((d) => d.name)).toEqual(['kept-on', 'renamed']);
    const statuses = (after['droplets'] as Array<{ status: string; locked: boolean }>).map((d) => [
      d.status,
      d.locked,
    ]);
    expect(statuses).toEqual([
      ['active', false],
      ['off', false],
    ]);
    expect(await settled(stuck.id)).toMatchObject({ status: 'errored', type: 'reboot' });
    expect(await presentedHostKey(onAddress)).toBe(hostKey);
    expect(await sshRun(onAddress, keyFile, 'echo survived')).toBe('survived');
    expect(await sshPort(offAddress)).toBe('refused');
    expect(((await api('GET', `/account/keys/${key.id}`))['ssh_key'] as { id: number }).id).toBe(key.id);
    expect(((await api('GET', '/tags/kept'))['tag'] as { name: string }).name).toBe('kept');

    const powerOn = (await api('POST', `/droplets/${off.id}/actions`, { type: 'power_on' }))['action'] as {
      id: number;
    };
    expect(powerOn.id).toBeGreaterThan(stuck.id);
    expect(await settled(powerOn.id)).toMatchObject({ status: 'completed' });
    expect(await sshRun(offAddress, keyFile, 'echo on')).toBe('on');
    expect((await create('after-restart')).id).toBeGreaterThan(off.id);
  }, 90_000);

  it('refuses to start from a corrupt state file, naming it', async () => {
    const corrupt = join(dir, 'corrupt.json');
    await writeFile(corrupt, 'not json');
    await expect(
      startDigitalOceanSimulator({ ...options(), namePrefix: 'doq', stateFile: corrupt }),
    ).rejects.toThrow(`Simulator state file ${corrupt} is not valid JSON`);
    await writeFile(corrupt, JSON.stringify({ simulator: 'hetzner', version: 1, state: {} }));
    await expect(
      startDigitalOceanSimulator({ ...options(), namePrefix: 'doq', stateFile: corrupt }),
    ).rejects.toThrow(`Simulator state file ${corrupt} is not the state of a digitalocean simulator`);
  });
});
