import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  describeNamespace,
  destroySandboxHosts,
  destroySandboxMachines,
  fetchToken,
  logTail,
  NATS_ADMIN_USER,
  natsJetStreamReady,
  pdnsServerInfo,
  postgresSelectOne,
  readClientSecrets,
  repoRoot,
  SEEDED_CLIENT_IDS,
  waitFor,
} from '@fedops/testing';
import { SIMULATOR_KINDS, simulatorNamePrefix } from '@fedops/simulators';
import { ApiClient } from './api-client';
import { newTenant } from './factories';

// The real launcher of `npm start` (tools/platform/dist/main.js) as a child process, on free ports,
// in a temporary data dir, with its own sandbox prefix and subnet (never those of a developer's
// `npm start`, 'fo', or of the other e2e tests, 'fte').
const SANDBOX_PREFIX = 'fsup';
const SANDBOX_SUBNET = '10.219.0.0/16';

interface ComponentStatus {
  name: string;
  state: string;
  pid: number | null;
  restarts: number;
  lastExit: { how: string } | null;
}

interface Tenant {
  id: string;
  status: string;
  error?: string;
}

let dataDir: string;
let launcher: ChildProcess;
let launcherExit: Promise<number | null>;
let statusUrl: string;
let urls: Record<string, string>;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'fedops-e2e-supervision-'));
  await chmod(dataDir, 0o755); // the postgres user must traverse it
  const log = openSync(join(dataDir, 'launcher.log'), 'a');
  launcher = spawn(process.execPath, [join(repoRoot(), 'tools', 'platform', 'dist', 'main.js')], {
    env: {
      ...process.env,
      FEDOPS_DATA_DIR: join(dataDir, 'fedops'),
      FEDOPS_PORTS: 'free',
      FEDOPS_SANDBOX_PREFIX: SANDBOX_PREFIX,
      FEDOPS_SANDBOX_SUBNET: SANDBOX_SUBNET,
    },
    stdio: ['ignore', log, log],
  });
  launcherExit = new Promise((resolve) => launcher.once('exit', (code) => resolve(code)));
  const exited = new AbortController();
  void launcherExit.then(() => exited.abort(new Error('the launcher exited')));
  const file = await waitFor(
    async () => {
      const parsed = JSON.parse(await readFile(join(dataDir, 'fedops', 'launcher.json'), 'utf8')) as {
        statusUrl: string;
        urls: Record<string, string>;
      };
      return parsed.urls['tenant-api'] === undefined ? undefined : parsed;
    },
    {
      description: 'the launcher to start everything',
      timeoutMs: 240_000,
      intervalMs: 500,
      signal: exited.signal,
    },
  ).catch(async (err: unknown) => {
    throw new Error(`${String(err)}\n${await launcherLog()}`);
  });
  statusUrl = file.statusUrl;
  urls = file.urls;
  await allRunning();
}, 300_000);

afterAll(async () => {
  if (launcher !== undefined && launcher.exitCode === null) {
    launcher.kill('SIGTERM');
    const exitCode = await Promise.race([
      launcherExit,
      new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 90_000).unref()),
    ]);
    if (exitCode === 'timeout') launcher.kill('SIGKILL');
  }
  if (dataDir !== undefined) {
    await destroySandboxMachines(join(dataDir, 'fedops', 'platform'), SANDBOX_PREFIX, SANDBOX_SUBNET);
    // The simulated providers' VMs outlive a launcher (as a cloud's do): remove them with it.
    for (const kind of SIMULATOR_KINDS) {
      await destroySandboxHosts(
        join(dataDir, 'fedops', 'simulators', kind),
        simulatorNamePrefix(SANDBOX_PREFIX, kind),
        SANDBOX_SUBNET,
      );
    }
    await rm(dataDir, { recursive: true, force: true });
  }
}, 120_000);

async function launcherLog(): Promise<string> {
  return `--- launcher output ---\n${await logTail(join(dataDir, 'launcher.log'), 60)}`;
}

async function status(): Promise<ComponentStatus[]> {
  const res = await fetch(statusUrl);
  expect(res.status).toBe(200);
  return ((await res.json()) as { components: ComponentStatus[] }).components;
}

async function componentStatus(name: string): Promise<ComponentStatus> {
  const found = (await status()).find((c) => c.name === name);
  if (found === undefined) throw new Error(`no component ${name} in the status`);
  return found;
}

/** Every one of the eleven components is running (an earlier kill may have taken others down with it). */
async function allRunning(): Promise<void> {
  await waitFor(
    async () => {
      const components = await status();
      return components.length === 11 && components.every((c) => c.state === 'running');
    },
    { description: 'every component to be running', timeoutMs: 120_000, intervalMs: 250 },
  );
}

/** SIGKILLs a component and waits until the launcher reports it running again. */
async function killAndAwaitRestart(
  name: string,
): Promise<{ before: ComponentStatus; after: ComponentStatus }> {
  const before = await componentStatus(name);
  if (before.pid === null) throw new Error(`${name} has no pid`);
  process.kill(before.pid, 'SIGKILL');
  const after = await waitFor(
    async () => {
      const now = await componentStatus(name);
      return now.state === 'running' && now.pid !== before.pid ? now : undefined;
    },
    { description: `${name} to be running again`, timeoutMs: 120_000, intervalMs: 200 },
  ).catch(async (err: unknown) => {
    throw new Error(`${String(err)}\n${await launcherLog()}`);
  });
  return { before, after };
}

async function stateFile(component: string): Promise<Record<string, string | number>> {
  const path = join(dataDir, 'fedops', 'infra', component, 'fedops-state.json');
  return JSON.parse(await readFile(path, 'utf8')) as Record<string, string | number>;
}

/** Asks the component to do its job: the real outcome, not just "a process exists". */
const serves: Record<string, () => Promise<boolean>> = {
  postgres: async () => {
    const s = await stateFile('postgres');
    return postgresSelectOne(`postgres://fedops:${s['password']}@127.0.0.1:${s['postgresPort']}/fedops`);
  },
  nats: async () => {
    const path = join(dataDir, 'fedops', 'infra', 'nats', 'credentials.json');
    const passwords = JSON.parse(await readFile(path, 'utf8')) as Record<string, string>;
    const admin = { user: NATS_ADMIN_USER, password: passwords[NATS_ADMIN_USER] ?? '' };
    return natsJetStreamReady(`nats://127.0.0.1:${(await stateFile('nats'))['natsPort']}`, admin);
  },
  temporal: async () =>
    describeNamespace(`127.0.0.1:${(await stateFile('temporal'))['grpcPort']}`, 'default'),
  powerdns: async () => {
    const s = await stateFile('powerdns');
    return pdnsServerInfo({ apiUrl: `http://127.0.0.1:${s['apiPort']}`, apiKey: String(s['apiKey']) });
  },
  'oidc-issuer': async () => (await fetch(`${urls['oidc-issuer']}/.well-known/openid-configuration`)).ok,
};
for (const service of ['tenant-api', 'provisioner', 'dns', 'deployer', 'backup']) {
  serves[service] = async () => (await fetch(`${urls[service]}/readyz`)).status === 200;
}

async function api(): Promise<ApiClient> {
  const secrets = await readClientSecrets(join(dataDir, 'fedops', 'oidc'));
  const clientId = SEEDED_CLIENT_IDS.acme;
  const token = await fetchToken(urls['oidc-issuer'] ?? '', {
    clientId,
    clientSecret: secrets[clientId] ?? '',
  });
  return new ApiClient(urls['tenant-api'] ?? '', token);
}

async function createTenant(client: ApiClient): Promise<string> {
  const created = await client.post<Tenant>('/v1/tenants', newTenant({ apps: ['gotosocial'] }));
  expect(created.status).toBe(202);
  return created.body.id;
}

async function waitUntilReady(client: ApiClient, id: string): Promise<Tenant> {
  return waitFor(
    async () => {
      const t = (await client.get<Tenant>(`/v1/tenants/${id}`)).body;
      if (t.status === 'failed') throw new Error(`tenant ${id} failed: ${t.error ?? ''}`);
      return t.status === 'ready' ? t : undefined;
    },
    { description: `tenant ${id} to become ready`, timeoutMs: 150_000, intervalMs: 500 },
  );
}

describe('the npm start launcher supervises what it started', () => {
  it('restarts the deployer and backup services SIGKILLed while five tenants deploy (restarts=1, new pids), and all five tenants become ready', async () => {
    const client = await api();
    const ids = await Promise.all([1, 2, 3, 4, 5].map(() => createTenant(client)));

    const [deployer, backup] = await Promise.all([
      killAndAwaitRestart('deployer'),
      killAndAwaitRestart('backup'),
    ]);

    for (const { before, after } of [deployer, backup]) {
      expect(after.restarts).toBe(before.restarts + 1);
      expect(after.restarts).toBe(1);
      expect(after.pid).not.toBe(before.pid);
      expect(after.lastExit?.how).toBe('signal SIGKILL');
    }
    expect(await serves['deployer']?.()).toBe(true);
    expect(await serves['backup']?.()).toBe(true);
    const tenants = await Promise.all(ids.map((id) => waitUntilReady(client, id)));
    expect(tenants.map((t) => t.status)).toEqual(['ready', 'ready', 'ready', 'ready', 'ready']);
  }, 300_000);

  it.each(['tenant-api', 'provisioner', 'dns', 'oidc-issuer', 'postgres', 'nats', 'temporal', 'powerdns'])(
    'restarts %s after SIGKILL: running again with one more restart and a new pid, it serves, and a tenant created after it becomes ready',
    async (name) => {
      await allRunning();
      const { before, after } = await killAndAwaitRestart(name);

      expect(after.restarts).toBe(before.restarts + 1);
      expect(after.lastExit?.how).toBe('signal SIGKILL');
      const probe = serves[name];
      if (probe === undefined) throw new Error(`no probe for ${name}`);
      await waitFor(probe, { description: `${name} to serve again`, timeoutMs: 30_000, intervalMs: 250 });

      await allRunning();
      const client = await api();
      const ready = await waitUntilReady(client, await createTenant(client));
      expect(ready.status).toBe('ready');
    },
    300_000,
  );

  // Last: it ends the launcher the other tests use.
  it('stops supervising first on SIGTERM: every component ends, none is restarted, and the launcher exits 0', async () => {
    await allRunning();
    const pids = (await status()).map((c) => c.pid).filter((pid): pid is number => pid !== null);
    expect(pids).toHaveLength(11);

    launcher.kill('SIGTERM');

    expect(await launcherExit).toBe(0);
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
    const log = await readFile(join(dataDir, 'launcher.log'), 'utf8');
    const afterStop = log.slice(log.lastIndexOf('[fedops] stopping'));
    expect(afterStop).toMatch(
      /^\[fedops\] stopping \(supervision first, then workers drain\)\n\[fedops\] stopped\n$/,
    );
  }, 120_000);
});

/** Alive = has a /proc entry that is not a zombie. */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
