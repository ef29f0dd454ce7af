import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { appServerBinDir, appServerBinary, run } from '@fedops/sandbox-host';
import {
  spawnManaged,
  startOnPorts,
  testDatabaseName,
  testInfra,
  waitFor,
  waitUntilReady,
  type ManagedProcess,
} from '@fedops/testing';
import { Client } from 'pg';

/*
 * The launch recipes (plain JavaScript shipped to sandbox machines) against the real Dendrite and
 * Gitea binaries built by scripts/ensure-app-servers.sh and the test PostgreSQL: what they write and
 * run makes servers a person can use. Each server gets its own role and database, dropped afterwards.
 */

interface RecipeFile {
  path: string;
  content: string;
  mode: number;
}
interface Launch {
  files: RecipeFile[];
  prepare: Array<{ command: string[]; creates: string }>;
  command: string[];
  env: Record<string, string>;
  cwd: string;
  healthPath: string;
}
interface Command {
  command: string[];
  env: Record<string, string>;
}
interface Database {
  host: string;
  port: number;
  user: string;
  password: string;
  name: string;
}
interface LaunchBase {
  listenAddress: string;
  port: number;
  dataDir: string;
  binDir: string;
  database: Database;
}

// The recipes are plain JavaScript shipped to machines; their exports exist for the stand-in and this test.
const dendrite = require('./dendrite.js') as {
  dendriteLaunch(
    o: LaunchBase & { serverName: string; secrets: { registrationSharedSecret: string } },
  ): Launch;
  dendriteCreateAccount(
    launch: LaunchBase,
    account: { username: string; passwordFile: string; admin?: boolean },
  ): Command;
};
const gitea = require('./gitea.js') as {
  giteaLaunch(
    o: LaunchBase & {
      domain: string;
      rootUrl?: string;
      secrets: { secretKey: string; internalToken: string; jwtSecret: string; lfsJwtSecret: string };
    },
  ): Launch;
  giteaCreateAdmin(
    launch: LaunchBase,
    admin: { username: string; email: string; passwordFile: string },
  ): Command;
};

const LISTEN = '127.0.0.1';
const START_TIMEOUT_MS = 120_000;

function secret(bytes = 24): string {
  return randomBytes(bytes).toString('hex');
}

/** A role and a database it owns, made with the test PostgreSQL's admin role; `drop` removes both. */
async function throwAwayDatabase(stem: string): Promise<{ database: Database; drop(): Promise<void> }> {
  const infra = testInfra().postgres;
  const name = testDatabaseName(stem, randomBytes(4).toString('hex'));
  // Characters that a config format could take for a comment or a URL delimiter, to prove the quoting.
  const password = `${secret()}#;@%/`;
  await withAdmin(async (admin) => {
    await admin.query(`CREATE ROLE ${name} LOGIN PASSWORD '${password}'`);
    await admin.query(`GRANT ${name} TO CURRENT_USER`); // CREATE DATABASE … OWNER needs membership
    await admin.query(`CREATE DATABASE ${name} OWNER ${name}`);
  });
  return {
    database: { host: infra.host, port: infra.port, user: name, password, name },
    drop: () =>
      withAdmin(async (admin) => {
        await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await admin.query(`DROP ROLE IF EXISTS ${name}`);
      }),
  };
}

async function withAdmin<T>(use: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: testInfra().postgres.url, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

async function queryAs<T>(db: Database, sql: string): Promise<T[]> {
  const client = new Client({ ...db, database: db.name, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

/** Runs a recipe's command with its environment (through env(1): run() inherits ours). */
function runCommand(c: Command, timeoutMs = 60_000): ReturnType<typeof run> {
  const [command, ...args] = c.command;
  if (command === undefined) throw new Error('empty command');
  const assignments = Object.entries(c.env).map(([k, v]) => `${k}=${v}`);
  return run('/usr/bin/env', [...assignments, command, ...args], { timeoutMs });
}

/** Does what the activation does with a recipe: write its files, run its prepare steps, start it. */
async function startServer(name: string, launch: Launch, logFile: string): Promise<ManagedProcess> {
  for (const file of launch.files) {
    await mkdir(path.dirname(file.path), { recursive: true });
    await writeFile(file.path, file.content, { mode: file.mode });
    await chmod(file.path, file.mode);
  }
  for (const step of launch.prepare) {
    if (!existsSync(step.creates)) await runCommand({ command: step.command, env: {} });
  }
  const [command, ...args] = launch.command;
  if (command === undefined) throw new Error(`${name}: empty command`);
  return spawnManaged({
    name,
    command,
    args,
    cwd: launch.cwd,
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...launch.env },
    logFile,
  });
}

/** Starts a recipe's server on a free port (again on another if that one is taken first). */
async function startOnFreePort(
  name: string,
  recipe: (port: number) => Launch,
  logFile: string,
): Promise<{ proc: ManagedProcess; base: string }> {
  const { value } = await startOnPorts({
    component: name,
    names: ['http'],
    requested: {},
    start: async ({ http }) => {
      const launch = recipe(http);
      const proc = await startServer(name, launch, logFile);
      const base = `http://${LISTEN}:${http}`;
      try {
        await waitUntilReady(
          proc,
          async () => (await fetch(`${base}${launch.healthPath}`, { signal: AbortSignal.timeout(2_000) })).ok,
          {
            description: `${name} to answer ${launch.healthPath}`,
            timeoutMs: START_TIMEOUT_MS,
            ports: [http],
          },
        );
      } catch (error: unknown) {
        await proc.stop();
        throw error;
      }
      return { proc, base };
    },
  });
  return value;
}

async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
  if (kib === undefined) throw new Error(`no VmRSS for pid ${pid}`);
  return Math.round(Number(kib) / 1024);
}

/** Processes whose command line or working folder lies under `dir` (what a stopped server left behind). */
async function processesUnder(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    const cwd = await readlink(`/proc/${entry}/cwd`).catch(() => '');
    if (cmdline.includes(dir) || cwd.startsWith(dir)) found.push(`${entry}: ${cmdline.replace(/\0/g, ' ')}`);
  }
  return found;
}

async function json<T>(response: Response, what: string): Promise<T> {
  const text = await response.text();
  if (!response.ok) throw new Error(`${what}: HTTP ${response.status}: ${text}`);
  return JSON.parse(text) as T;
}

describe('Dendrite from its launch recipe', () => {
  let work: string;
  let db: Awaited<ReturnType<typeof throwAwayDatabase>>;
  let server: { proc: ManagedProcess; base: string };
  let launchBase: LaunchBase;
  const serverName = 'matrix.tenant.test';

  beforeAll(async () => {
    appServerBinary('dendrite'); // fails naming scripts/ensure-app-servers.sh when not built
    work = await mkdtemp(path.join(tmpdir(), 'fedops-dendrite-'));
    db = await throwAwayDatabase('dendrite');
    const registrationSharedSecret = secret();
    server = await startOnFreePort(
      'dendrite',
      (port) => {
        launchBase = {
          listenAddress: LISTEN,
          port,
          dataDir: path.join(work, 'data'),
          binDir: appServerBinDir('dendrite'),
          database: db.database,
        };
        return dendrite.dendriteLaunch({ ...launchBase, serverName, secrets: { registrationSharedSecret } });
      },
      path.join(work, 'dendrite.log'),
    );
  }, START_TIMEOUT_MS + 30_000);

  afterAll(async () => {
    if (server !== undefined) {
      console.log(`[app-servers] dendrite RSS ${await rssMiB(server.proc.pid)} MiB`);
      await server.proc.stop();
    }
    await db?.drop();
    if (work !== undefined) {
      const left = await processesUnder(work);
      await rm(work, { recursive: true, force: true });
      if (left.length > 0) throw new Error(`dendrite left processes running:\n${left.join('\n')}`);
    }
  });

  async function createAccount(username: string, admin: boolean): Promise<string> {
    const password = secret(12);
    const passwordFile = path.join(work, `${username}.password`);
    await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
    await runCommand(dendrite.dendriteCreateAccount(launchBase, { username, passwordFile, admin }));
    return password;
  }

  async function login(username: string, password: string): Promise<string> {
    const body = await json<{ access_token: string; user_id: string }>(
      await fetch(`${server.base}/_matrix/client/v3/login`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          type: 'm.login.password',
          identifier: { type: 'm.id.user', user: username },
          password,
        }),
      }),
      `log in as ${username}`,
    );
    expect(body.user_id).toBe(`@${username}:${serverName}`);
    return body.access_token;
  }

  function client(token: string) {
    const call = async <T>(method: string, route: string, body?: unknown): Promise<T> =>
      json<T>(
        await fetch(`${server.base}/_matrix/client/v3${route}`, {
          method,
          headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        }),
        `${method} ${route}`,
      );
    const texts = async (roomId: string): Promise<string[]> => {
      const page = await call<{ chunk: Array<{ type: string; content: { body?: string } }> }>(
        'GET',
        `/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=50`,
      );
      return page.chunk.filter((e) => e.type === 'm.room.message').map((e) => e.content.body ?? '');
    };
    const send = (roomId: string, text: string) =>
      call<{ event_id: string }>(
        'PUT',
        `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/${secret(8)}`,
        { msgtype: 'm.text', body: text },
      );
    return { call, texts, send };
  }

  /** The room's texts once they include `text`. */
  const eventually = (read: () => Promise<string[]>, text: string, description: string) =>
    waitFor(
      async () => {
        const texts = await read();
        return texts.includes(text) ? texts : false;
      },
      { description, timeoutMs: 15_000, intervalMs: 200 },
    );

  it('lets two people with accounts exchange messages in a room', async () => {
    const alice = client(await login('alice', await createAccount('alice', true)));
    const bob = client(await login('bob', await createAccount('bob', false)));

    const { room_id: roomId } = await alice.call<{ room_id: string }>('POST', '/createRoom', {
      preset: 'private_chat',
      name: 'Planning',
      invite: [`@bob:${serverName}`],
    });
    const hello = `hello bob ${secret(4)}`;
    await alice.send(roomId, hello);

    await bob.call('POST', `/join/${encodeURIComponent(roomId)}`, {});
    // Dendrite's sync API learns of the join and the messages asynchronously (over its JetStream),
    // as a client's next sync would: wait for them with a deadline.
    expect(await eventually(() => bob.texts(roomId), hello, 'bob to read alice’s message')).toContain(hello);
    const reply = `hi alice ${secret(4)}`;
    await bob.send(roomId, reply);
    expect(await eventually(() => alice.texts(roomId), reply, 'alice to read bob’s reply')).toEqual(
      expect.arrayContaining([hello, reply]),
    );
  });

  it('keeps its accounts in its own PostgreSQL database', async () => {
    await createAccount('carol', false);
    const rows = await queryAs<{ localpart: string }>(
      db.database,
      "SELECT localpart FROM userapi_accounts WHERE localpart = 'carol'",
    );
    expect(rows).toEqual([{ localpart: 'carol' }]);
  });

  it('refuses a login with a wrong password', async () => {
    await createAccount('dave', false);
    const response = await fetch(`${server.base}/_matrix/client/v3/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        type: 'm.login.password',
        identifier: { type: 'm.id.user', user: 'dave' },
        password: 'not-the-password',
      }),
    });
    expect(response.status).toBe(403);
  });
});

describe('Gitea from its launch recipe', () => {
  let work: string;
  let db: Awaited<ReturnType<typeof throwAwayDatabase>>;
  let server: { proc: ManagedProcess; base: string };
  let launchBase: LaunchBase;
  let appIni: RecipeFile;
  const admin = { username: 'tenant-admin', email: 'admin@tenant.test', password: secret(12) };

  beforeAll(async () => {
    appServerBinary('gitea'); // fails naming scripts/ensure-app-servers.sh when not built
    await run('git', ['--version']);
    work = await mkdtemp(path.join(tmpdir(), 'fedops-gitea-'));
    db = await throwAwayDatabase('gitea');
    const secrets = {
      secretKey: secret(),
      internalToken: secret(32),
      jwtSecret: randomBytes(32).toString('base64url'),
      lfsJwtSecret: randomBytes(32).toString('base64url'),
    };
    server = await startOnFreePort(
      'gitea',
      (port) => {
        launchBase = {
          listenAddress: LISTEN,
          port,
          dataDir: path.join(work, 'data'),
          binDir: appServerBinDir('gitea'),
          database: db.database,
        };
        const launch = gitea.giteaLaunch({
          ...launchBase,
          domain: 'git.tenant.test',
          rootUrl: `http://${LISTEN}:${port}/`,
          secrets,
        });
        [appIni] = launch.files as [RecipeFile];
        return launch;
      },
      path.join(work, 'gitea.log'),
    );
    const passwordFile = path.join(work, 'admin.password');
    await writeFile(passwordFile, `${admin.password}\n`, { mode: 0o600 });
    await runCommand(gitea.giteaCreateAdmin(launchBase, { ...admin, passwordFile }), 90_000);
  }, START_TIMEOUT_MS + 120_000);

  afterAll(async () => {
    if (server !== undefined) {
      console.log(`[app-servers] gitea RSS ${await rssMiB(server.proc.pid)} MiB`);
      await server.proc.stop();
    }
    await db?.drop();
    if (work !== undefined) {
      const left = await processesUnder(work);
      await rm(work, { recursive: true, force: true });
      if (left.length > 0) throw new Error(`gitea left processes running:\n${left.join('\n')}`);
    }
  });

  const basicAuth = (): string =>
    `Basic ${Buffer.from(`${admin.username}:${admin.password}`).toString('base64')}`;

  async function createRepo(name: string): Promise<{ clone_url: string; full_name: string }> {
    return json(
      await fetch(`${server.base}/api/v1/user/repos`, {
        method: 'POST',
        headers: { Authorization: basicAuth(), 'Content-Type': 'application/json' },
        body: JSON.stringify({ name, private: true, auto_init: false }),
      }),
      `create repository ${name}`,
    );
  }

  /** git without prompts or the machine's credential helpers. */
  const git = (args: string[]) =>
    run('/usr/bin/env', ['GIT_TERMINAL_PROMPT=0', 'git', '-c', 'credential.helper=', ...args], {
      timeoutMs: 60_000,
    });

  it('takes a push of a commit over HTTP that a clone gives back', async () => {
    const repo = await createRepo('notes');
    expect(repo.full_name).toBe(`${admin.username}/notes`);
    const remote = new URL(`${server.base}/${admin.username}/notes.git`);
    remote.username = admin.username;
    remote.password = admin.password;

    const source = path.join(work, 'source');
    await mkdir(source);
    const text = `written by the fedops test ${secret(4)}\n`;
    await writeFile(path.join(source, 'README.md'), text);
    await git(['-C', source, 'init', '-q', '-b', 'main']);
    await git(['-C', source, 'add', 'README.md']);
    await git([
      '-C',
      source,
      '-c',
      'user.name=Test Person',
      '-c',
      'user.email=person@tenant.test',
      'commit',
      '-q',
      '-m',
      'first',
    ]);
    await git(['-C', source, 'push', '-q', remote.toString(), 'main']);

    const copy = path.join(work, 'copy');
    await git(['clone', '-q', remote.toString(), copy]);
    expect(await readFile(path.join(copy, 'README.md'), 'utf8')).toBe(text);

    // Gitea's post-receive hook marks the repository as no longer empty through a queue: wait for it.
    const isEmpty = async (): Promise<boolean | undefined> =>
      (
        await queryAs<{ is_empty: boolean }>(
          db.database,
          "SELECT is_empty FROM repository WHERE lower_name = 'notes'",
        )
      )[0]?.is_empty;
    await waitFor(async () => (await isEmpty()) === false, {
      description: 'the repository row to show the push',
      timeoutMs: 15_000,
      intervalMs: 200,
    });
  });

  it('runs without rewriting its app.ini (the recipe gives every secret Gitea would generate)', async () => {
    expect(await readFile(appIni.path, 'utf8')).toBe(appIni.content);
  });

  it('refuses a push with a wrong password', async () => {
    await createRepo('guarded');
    const source = path.join(work, 'guarded');
    await mkdir(source);
    await writeFile(path.join(source, 'file.txt'), 'x\n');
    await git(['-C', source, 'init', '-q', '-b', 'main']);
    await git(['-C', source, 'add', 'file.txt']);
    await git([
      '-C',
      source,
      '-c',
      'user.name=T',
      '-c',
      'user.email=t@tenant.test',
      'commit',
      '-q',
      '-m',
      'x',
    ]);
    const remote = new URL(`${server.base}/${admin.username}/guarded.git`);
    remote.username = admin.username;
    remote.password = 'wrong-password';
    const push = await run(
      '/usr/bin/env',
      [
        'GIT_TERMINAL_PROMPT=0',
        'git',
        '-c',
        'credential.helper=',
        '-C',
        source,
        'push',
        remote.toString(),
        'main',
      ],
      { allowFailure: true, timeoutMs: 60_000 },
    );
    expect(push.exitCode).not.toBe(0);
    expect(push.stderr).toMatch(/Authentication failed|401/);
    const rows = await queryAs<{ is_empty: boolean }>(
      db.database,
      "SELECT is_empty FROM repository WHERE lower_name = 'guarded'",
    );
    expect(rows).toEqual([{ is_empty: true }]);
  });
});
