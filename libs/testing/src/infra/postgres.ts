import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, chown, mkdir, readdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';

import { Client } from 'pg';

import { portsState, readState, writeState } from './component-state';
import { nativeComponent, spawnManaged, waitUntilReady, type ManagedProcess } from './managed-process';
import { startOnPorts } from './port-allocation';
import {
  POSTGRES_BIN_DIR,
  assertIdentifier,
  initdbArgs,
  postgresServerArgs,
  postgresUrl,
  type PostgresLayout,
} from './postgres.config';
import type { ComponentOptions, PostgresEndpoint, RunningComponent } from './types';

const execFileAsync = promisify(execFile);

export interface PostgresOptions extends ComponentOptions {
  /** Administrating role (LOGIN CREATEDB CREATEROLE: it sets up each service's own role). Default `fedops`. */
  readonly user?: string;
  /** Database owned by that role. Default `fedops`. */
  readonly database?: string;
}

/**
 * Starts PostgreSQL 15 as user `postgres` with data in `<dataDir>/pgdata`, its socket in
 * `<dataDir>/run` and its log in `<dataDir>/postgres.log`. initdb runs only when pgdata is empty.
 * Ready = the application role can `SELECT 1` over TCP.
 */
export async function startPostgres(options: PostgresOptions): Promise<RunningComponent<PostgresEndpoint>> {
  const dataDir = resolve(options.dataDir);
  const user = assertIdentifier(options.user ?? 'fedops', 'role');
  const database = assertIdentifier(options.database ?? 'fedops', 'database');
  const layout: PostgresLayout = { pgData: join(dataDir, 'pgdata'), socketDir: join(dataDir, 'run') };
  const logFile = join(dataDir, 'postgres.log');

  const saved = options.ephemeral ? {} : await readState(dataDir);
  const password =
    typeof saved['password'] === 'string' ? saved['password'] : randomBytes(18).toString('base64url');

  await prepareDirectories(dataDir, layout);
  if (await isEmptyDir(layout.pgData)) await initdb(layout, options.ephemeral, logFile);

  const { value: started, ports } = await startOnPorts({
    component: 'postgres',
    names: ['postgres'],
    requested: { postgres: options.port },
    saved,
    reuseSaved: !options.ephemeral,
    ...(options.portPicker ? { pickPorts: options.portPicker } : {}),
    start: ({ postgres: port }) =>
      serveOn(port, {
        layout,
        logFile,
        user,
        password,
        database,
        ephemeral: options.ephemeral,
        ...(options.readyTimeoutMs === undefined ? {} : { readyTimeoutMs: options.readyTimeoutMs }),
      }),
  });
  const { proc, endpoint } = started;
  if (!options.ephemeral) await writeState(dataDir, { ...portsState(ports), password });
  return nativeComponent(proc, endpoint, ports);
}

/** Starts the server on `port` and waits until the application role can SELECT 1. */
async function serveOn(
  port: number,
  options: {
    layout: PostgresLayout;
    logFile: string;
    user: string;
    password: string;
    database: string;
    ephemeral: boolean;
    readyTimeoutMs?: number;
  },
): Promise<{ proc: ManagedProcess; endpoint: PostgresEndpoint }> {
  const { layout, user, password, database } = options;
  const proc = await spawnManaged({
    name: 'postgres',
    command: join(POSTGRES_BIN_DIR, 'postgres'),
    args: postgresServerArgs(layout, port, options.ephemeral),
    logFile: options.logFile,
    runAs: 'postgres',
    stopSignal: 'SIGINT', // "fast" shutdown: SIGTERM would wait for every client to disconnect
  });
  const endpoint: PostgresEndpoint = {
    host: '127.0.0.1',
    port,
    user,
    password,
    database,
    url: postgresUrl({ host: '127.0.0.1', port, user, password, database }),
  };
  try {
    const timeoutMs = options.readyTimeoutMs ?? 60_000;
    await waitUntilReady(
      proc,
      () =>
        withClient({ host: layout.socketDir, port, user: 'postgres', database: 'postgres' }, (c) =>
          c.query('SELECT 1').then(() => true),
        ),
      {
        description: `postgres to accept connections on ${layout.socketDir} (port ${port})`,
        timeoutMs,
        ports: [port],
      },
    );
    await withClient({ host: layout.socketDir, port, user: 'postgres', database: 'postgres' }, (admin) =>
      ensureRoleAndDatabase(admin, user, password, database),
    );
    await waitUntilReady(proc, () => postgresSelectOne(endpoint.url), {
      description: `SELECT 1 as ${user} on ${endpoint.host}:${port}/${database}`,
      timeoutMs,
      ports: [port],
    });
  } catch (error: unknown) {
    await proc.stop();
    throw error;
  }
  return { proc, endpoint };
}

async function prepareDirectories(dataDir: string, layout: PostgresLayout): Promise<void> {
  await mkdir(layout.pgData, { recursive: true });
  await mkdir(layout.socketDir, { recursive: true });
  const { uid, gid } = await postgresUser();
  await chown(dataDir, uid, gid);
  await chown(layout.pgData, uid, gid);
  await chown(layout.socketDir, uid, gid);
  await chmod(layout.pgData, 0o700);
  await allowTraversal(dirname(dataDir));
}

/** The `postgres` user must be able to reach its data dir: add o+x (traverse only) on ancestors lacking it. */
async function allowTraversal(dir: string): Promise<void> {
  for (let current = dir; ; current = dirname(current)) {
    const { mode } = await stat(current);
    if ((mode & 0o001) === 0) await chmod(current, (mode & 0o7777) | 0o001);
    if (dirname(current) === current) return;
  }
}

async function postgresUser(): Promise<{ uid: number; gid: number }> {
  try {
    const [uidOut, gidOut] = await Promise.all([
      execFileAsync('id', ['-u', 'postgres']),
      execFileAsync('id', ['-g', 'postgres']),
    ]);
    return { uid: Number(uidOut.stdout.trim()), gid: Number(gidOut.stdout.trim()) };
  } catch (error: unknown) {
    throw new Error('System user "postgres" not found: install postgresql (scripts/ensure-deps.sh)', {
      cause: error,
    });
  }
}

async function isEmptyDir(dir: string): Promise<boolean> {
  return (await readdir(dir)).length === 0;
}

async function initdb(layout: PostgresLayout, ephemeral: boolean, logFile: string): Promise<void> {
  try {
    await execFileAsync(
      'runuser',
      ['-u', 'postgres', '--', join(POSTGRES_BIN_DIR, 'initdb'), ...initdbArgs(layout, ephemeral)],
      {
        maxBuffer: 4 * 1024 * 1024,
      },
    );
  } catch (error: unknown) {
    const output = error instanceof Error && 'stderr' in error ? String(error.stderr) : '';
    throw new Error(`initdb failed for ${layout.pgData} (log would be ${logFile}):\n${output}`, {
      cause: error,
    });
  }
}

type ClientConfig = ConstructorParameters<typeof Client>[0];

async function withClient<T>(config: ClientConfig, use: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({
    connectionTimeoutMillis: 3_000,
    ...(typeof config === 'object' ? config : {}),
  });
  client.on('error', () => undefined); // a server shutdown mid-probe must not crash the process
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

async function ensureRoleAndDatabase(
  admin: Client,
  user: string,
  password: string,
  database: string,
): Promise<void> {
  const literal = admin.escapeLiteral(password);
  const role = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [user]);
  if (role.rowCount === 0) {
    await admin.query(`CREATE ROLE ${user} LOGIN CREATEDB CREATEROLE PASSWORD ${literal}`);
  } else {
    await admin.query(`ALTER ROLE ${user} LOGIN CREATEDB CREATEROLE PASSWORD ${literal}`);
  }
  const db = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
  if (db.rowCount === 0) await admin.query(`CREATE DATABASE ${database} OWNER ${user}`);
}

/** Connects with a URL and runs `SELECT 1`; resolves to true on success. */
export function postgresSelectOne(url: string): Promise<boolean> {
  return withClient({ connectionString: url }, (client) => client.query('SELECT 1').then(() => true));
}
