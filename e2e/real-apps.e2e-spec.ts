import { randomBytes } from 'node:crypto';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostLayout, run } from '@fedops/sandbox-host';
import { startTestPlatform, waitFor, type TestPlatform } from '@fedops/testing';
import { ApiClient } from './api-client';
import { newTenant } from './factories';
import { waitForTenantStatus } from './tenant-status';
import { front } from './machine-front';
import { namespaces, sandboxHosts } from './sandbox-state';

/**
 * An operator's tenant with Matrix and Forgejo gets real servers on its sandbox machine (Dendrite in
 * Synapse's place, Gitea in Forgejo's, on the machine's PostgreSQL): a person registers and talks
 * with the first admin, whose password the operator revealed; the admin's repository takes a push
 * and gives it back. Everything goes through the machine's front (nginx on 443, the app's fqdn as
 * Host and TLS server name), as a visitor's traffic would once DNS points there.
 */

interface Tenant {
  id: string;
  domain: string;
  status: string;
  error?: string;
}
interface Machine {
  machineId: string;
  tenantId: string;
  address: string;
}
interface Credentials {
  username: string;
  password: string;
  loginUrl: string;
}

let env: TestPlatform;
let acme: ApiClient;
const work = mkdtempSync(join(tmpdir(), 'fedops-e2e-real-apps-'));

beforeAll(async () => {
  env = await startTestPlatform('real-apps');
  acme = new ApiClient(env.apiUrl, env.tokens.acme);
}, 180_000);

afterAll(async () => {
  rmSync(work, { recursive: true, force: true });
  await env?.stop();
});

const waitForStatus = (id: string, status: string): Promise<Tenant> =>
  waitForTenantStatus<Tenant>(acme, id, status);

/** A ready tenant with the given apps, and its machine as ops see it in the fleet. */
async function readyTenant(
  apps: Array<{ app: string; options?: Record<string, unknown> }>,
): Promise<{ tenant: Tenant; machine: Machine }> {
  const created = await acme.post<Tenant>('/v1/tenants', newTenant({ apps }));
  expect(created.status).toBe(202);
  const tenant = await waitForStatus(created.body.id, 'ready');
  const fleet = await acme.as(env.tokens.ops).get<{ items: Machine[] }>('/v1/machines');
  const machine = fleet.body.items.find((m) => m.tenantId === tenant.id);
  if (machine === undefined) throw new Error(`no machine for tenant ${tenant.id}`);
  return { tenant, machine };
}

async function reveal(tenant: Tenant, app: string): Promise<Credentials> {
  const res = await acme.request<Credentials>(
    'POST',
    `/v1/tenants/${tenant.id}/apps/${app}/admin-credentials`,
  );
  expect(res.status).toBe(200);
  return res.body;
}

async function frontJson<T>(
  address: string,
  host: string,
  method: string,
  path: string,
  options: { body?: unknown; headers?: Record<string, string> } = {},
): Promise<T> {
  const res = await front(address, host, method, path, options);
  if (res.status < 200 || res.status >= 300)
    throw new Error(`${method} ${path}: HTTP ${res.status}: ${res.body}`);
  return JSON.parse(res.body) as T;
}

/** A Matrix client of the homeserver at `https://matrix.<domain>` (reached at the machine's address). */
function matrixClient(address: string, domain: string, token: string) {
  const host = `matrix.${domain}`;
  const api = <T>(method: string, route: string, body?: unknown): Promise<T> =>
    frontJson<T>(address, host, method, `/_matrix/client/v3${route}`, {
      headers: { Authorization: `Bearer ${token}` },
      ...(body === undefined ? {} : { body }),
    });
  return {
    api,
    send: (roomId: string, text: string) =>
      api(
        'PUT',
        `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/${randomBytes(8).toString('hex')}`,
        {
          msgtype: 'm.text',
          body: text,
        },
      ),
    /** The room's texts once they include `text` (the homeserver's sync API catches up asynchronously). */
    readUntil: (roomId: string, text: string) =>
      waitFor(
        async () => {
          const page = await api<{ chunk: Array<{ type: string; content: { body?: string } }> }>(
            'GET',
            `/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=50`,
          );
          const texts = page.chunk.filter((e) => e.type === 'm.room.message').map((e) => e.content.body);
          return texts.includes(text) ? texts : undefined;
        },
        { description: `"${text}" in ${roomId}`, timeoutMs: 20_000, intervalMs: 250 },
      ),
  };
}

async function matrixLogin(address: string, domain: string, user: string, password: string): Promise<string> {
  const body = await frontJson<{ access_token: string; user_id: string }>(
    address,
    `matrix.${domain}`,
    'POST',
    '/_matrix/client/v3/login',
    { body: { type: 'm.login.password', identifier: { type: 'm.id.user', user }, password } },
  );
  expect(body.user_id).toBe(`@${user}:${domain}`);
  return body.access_token;
}

/** Registration as a person does it on an open server: the interactive-auth round with the dummy stage. */
async function matrixRegister(
  address: string,
  domain: string,
  user: string,
  password: string,
): Promise<string> {
  const host = `matrix.${domain}`;
  const first = await front(address, host, 'POST', '/_matrix/client/v3/register', {
    body: { username: user, password },
  });
  expect(first.status).toBe(401);
  const { session, flows } = JSON.parse(first.body) as {
    session: string;
    flows: Array<{ stages: string[] }>;
  };
  expect(flows).toContainEqual({ stages: ['m.login.dummy'] });
  const done = await frontJson<{ user_id: string; access_token: string }>(
    address,
    host,
    'POST',
    '/_matrix/client/v3/register',
    { body: { username: user, password, auth: { type: 'm.login.dummy', session } } },
  );
  expect(done.user_id).toBe(`@${user}:${domain}`);
  return done.access_token;
}

/** git without prompts or credential helpers, reaching `host` at the machine's address. */
function git(address: string, host: string, args: string[]) {
  return run(
    '/usr/bin/env',
    [
      'GIT_TERMINAL_PROMPT=0',
      'git',
      '-c',
      'credential.helper=',
      '-c',
      'http.sslVerify=false',
      '-c',
      `http.curloptResolve=${host}:443:${address}`,
      '-c',
      'user.name=Test Person',
      '-c',
      'user.email=person@example.org',
      ...args,
    ],
    { timeoutMs: 60_000 },
  );
}

/** The sandbox machine's root folder on this host. */
function machineRoot(machine: Machine): string {
  const host = sandboxHosts(env.dataDir).find((h) => h.label === machine.machineId);
  if (host === undefined) throw new Error(`no sandbox machine ${machine.machineId}`);
  return hostLayout(join(env.dataDir, 'sandbox'), host.name).rootDir;
}

/** Processes whose command line or working folder lies under `dir`. */
function processesUnder(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      const cwd = readlinkSync(`/proc/${entry}/cwd`);
      if (cmdline.includes(dir) || cwd.startsWith(dir))
        found.push(`${entry}: ${cmdline.replace(/\0/g, ' ')}`);
    } catch {
      // ended meanwhile
    }
  }
  return found;
}

const MATRIX_AND_FORGEJO = [
  { app: 'matrix', options: { registrationOpen: true } },
  { app: 'forgejo', options: { adminUsername: 'gitadmin' } },
];

describe('an operator’s tenant with Matrix and Forgejo runs the real servers on its machine', () => {
  let tenant: Tenant;
  let machine: Machine;

  beforeAll(async () => {
    ({ tenant, machine } = await readyTenant(MATRIX_AND_FORGEJO));
  }, 360_000);

  it('lets a person register on the tenant’s Matrix server and exchange messages with its first admin', async () => {
    const { address } = machine;
    const { domain } = tenant;
    const admin = await reveal(tenant, 'matrix');
    expect(admin.username).toBe('owner');
    const owner = matrixClient(
      address,
      domain,
      await matrixLogin(address, domain, admin.username, admin.password),
    );
    const alice = matrixClient(
      address,
      domain,
      await matrixRegister(address, domain, 'alice', randomBytes(12).toString('hex')),
    );

    const { room_id: roomId } = await owner.api<{ room_id: string }>('POST', '/createRoom', {
      preset: 'private_chat',
      invite: [`@alice:${domain}`],
    });
    const welcome = `welcome alice ${randomBytes(4).toString('hex')}`;
    await owner.send(roomId, welcome);
    await alice.api('POST', `/join/${encodeURIComponent(roomId)}`, {});
    expect(await alice.readUntil(roomId, welcome)).toContain(welcome);
    const thanks = `thanks ${randomBytes(4).toString('hex')}`;
    await alice.send(roomId, thanks);
    expect(await owner.readUntil(roomId, thanks)).toEqual(expect.arrayContaining([welcome, thanks]));
  });

  it('takes a git push over https into a repository the first Forgejo admin made, and a clone gives it back', async () => {
    const { address } = machine;
    const host = `git.${tenant.domain}`;
    const admin = await reveal(tenant, 'forgejo');
    expect(admin.username).toBe('gitadmin');
    const auth = `Basic ${Buffer.from(`${admin.username}:${admin.password}`).toString('base64')}`;
    const repo = await frontJson<{ clone_url: string }>(address, host, 'POST', '/api/v1/user/repos', {
      headers: { Authorization: auth },
      body: { name: 'site', private: true },
    });
    expect(repo.clone_url).toBe(`https://${host}/gitadmin/site.git`);
    const remote = new URL(repo.clone_url);
    remote.username = admin.username;
    remote.password = admin.password;

    const source = join(work, 'source');
    mkdirSync(source);
    const text = `index ${randomBytes(4).toString('hex')}\n`;
    writeFileSync(join(source, 'index.md'), text);
    await git(address, host, ['-C', source, 'init', '-q', '-b', 'main']);
    await git(address, host, ['-C', source, 'add', 'index.md']);
    await git(address, host, ['-C', source, 'commit', '-q', '-m', 'first page']);
    await git(address, host, ['-C', source, 'push', '-q', remote.toString(), 'main']);
    const copy = join(work, 'copy');
    await git(address, host, ['clone', '-q', remote.toString(), copy]);
    expect(readFileSync(join(copy, 'index.md'), 'utf8')).toBe(text);
  });
});

describe('deleting a tenant with real servers', () => {
  it('leaves no process of its machine behind (PostgreSQL, Dendrite, Gitea, nginx)', async () => {
    const { tenant, machine } = await readyTenant(MATRIX_AND_FORGEJO);
    const root = machineRoot(machine);
    const running = processesUnder(root).join('\n');
    for (const server of ['/dendrite ', '/gitea web', '/postgres -D', 'nginx: master'])
      expect(running).toContain(server);
    const namespace = sandboxHosts(env.dataDir).find((h) => h.label === machine.machineId)?.name;

    const deleted = await acme.delete<Tenant>(`/v1/tenants/${tenant.id}`);
    expect(deleted.status).toBe(202);
    await waitForStatus(tenant.id, 'deleted');
    expect(namespaces()).not.toContain(namespace);
    expect(processesUnder(root)).toEqual([]);
  }, 420_000);
});
