/**
 * docker-compose's PostgreSQL set-up without Docker: deploy/postgres/initdb/10-fedops.sh runs, as
 * the postgres image runs it, against a new PostgreSQL 15 cluster, with the environment compose
 * gives the postgres container from deploy/.env.example. Then each service connects with the
 * FEDOPS_DATABASE_URL compose gives it (host and port pointed at that cluster).
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { Client } from 'pg';

import { openServiceDataSource } from '@fedops/service-kit';
import { serviceSchema, startPostgres, type PostgresEndpoint, type RunningComponent } from '@fedops/testing';
import { interpolate, parseCompose, parseEnvFile, serviceEnvironment, type Env } from './compose-model';
import { FEDOPS_SERVICES, type FedopsService } from './service-config-specs';

const run = promisify(execFile);
const repoRoot = join(__dirname, '..', '..');
const initdbDir = join(repoRoot, 'deploy', 'postgres', 'initdb');
const PSQL_DIR = '/usr/lib/postgresql/15/bin';

describe('deploy/postgres/initdb/10-fedops.sh', () => {
  let dataDir: string;
  let postgres: RunningComponent<PostgresEndpoint>;
  let containerEnv: Env;
  const compose = parseCompose(readFileSync(join(repoRoot, 'docker-compose.yml'), 'utf8'));
  const exampleEnv = parseEnvFile(readFileSync(join(repoRoot, 'deploy', '.env.example'), 'utf8'));

  /** The URL compose gives a service, pointed at the test cluster instead of host `postgres`. */
  function databaseUrl(name: FedopsService, env: Env = exampleEnv): string {
    const s = compose.services.get(name);
    if (s === undefined) throw new Error(`no service ${name}`);
    const url = new URL(interpolate(serviceEnvironment(s)['FEDOPS_DATABASE_URL'] ?? '', env));
    url.host = `127.0.0.1:${postgres.endpoint.port}`;
    return url.toString();
  }

  /** Runs the script as the entrypoint would: superuser over the socket, the container's environment. */
  async function initdb(env: Env): Promise<void> {
    await run('sh', [join(initdbDir, '10-fedops.sh')], {
      env: {
        PATH: `${PSQL_DIR}:${process.env['PATH'] ?? '/usr/bin:/bin'}`,
        PGHOST: join(dataDir, 'postgres', 'run'),
        PGPORT: String(postgres.endpoint.port),
        FEDOPS_INITDB_DIR: initdbDir,
        ...env,
      },
    });
  }

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'fedops-initdb-'));
    await chmod(dataDir, 0o755); // the postgres user must traverse it
    // A role and database of its own, so that the cluster is as empty as a new volume.
    postgres = await startPostgres({
      dataDir: join(dataDir, 'postgres'),
      ephemeral: true,
      user: 'harness',
      database: 'harness',
    });
    const service = compose.services.get('postgres');
    if (service === undefined) throw new Error('no service postgres');
    containerEnv = { POSTGRES_USER: 'postgres' };
    for (const [key, value] of Object.entries(serviceEnvironment(service)))
      containerEnv[key] = interpolate(value, exampleEnv, `services.postgres.environment.${key}`);
    await initdb(containerEnv);
  });

  afterAll(async () => {
    await postgres?.stop();
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
  });

  it.each(FEDOPS_SERVICES)('lets %s open its own schema with the URL compose gives it', async (name) => {
    const schema = serviceSchema(name);
    const ds = await openServiceDataSource({ url: databaseUrl(name), schema, entities: [], migrations: [] });
    try {
      expect(await ds.query('SELECT current_user AS role')).toEqual([{ role: `fedops_${schema}` }]);
      await ds.query(`CREATE TABLE IF NOT EXISTS ${schema}.probe (x int)`);
    } finally {
      await ds.destroy();
    }
  });

  it("keeps each service out of the others' schemas, out of public and out of Temporal's databases", async () => {
    const problems: string[] = [];
    for (const name of FEDOPS_SERVICES) {
      const url = databaseUrl(name);
      for (const other of FEDOPS_SERVICES.filter((o) => o !== name)) {
        const code = await sqlState(url, `CREATE TABLE ${serviceSchema(other)}.planted (x int)`);
        if (code !== '42501')
          problems.push(`${name} creating in ${serviceSchema(other)}: ${code ?? 'allowed'}`);
      }
      const inPublic = await sqlState(url, 'CREATE TABLE public.planted (x int)');
      if (inPublic !== '42501') problems.push(`${name} creating in public: ${inPublic ?? 'allowed'}`);
      const temporal = new URL(url);
      temporal.pathname = '/temporal';
      const connect = await sqlState(temporal.toString(), 'SELECT 1');
      if (connect !== '42501') problems.push(`${name} connecting to temporal: ${connect ?? 'allowed'}`);
    }
    expect(problems).toEqual([]);
  });

  it('lets Temporal reach its databases', async () => {
    const url = `postgres://temporal:${encodeURIComponent(containerEnv['TEMPORAL_DB_PASSWORD'] ?? '')}@127.0.0.1:${postgres.endpoint.port}`;
    expect(await sqlState(`${url}/temporal`, 'CREATE TABLE probe (x int)')).toBeUndefined();
    expect(await sqlState(`${url}/temporal_visibility`, 'SELECT 1')).toBeUndefined();
    expect(await sqlState(`${url}/fedops`, 'SELECT 1')).toBe('42501');
  });

  it('runs again on the same data: a changed password takes effect, tables stay', async () => {
    const before = databaseUrl('dns');
    expect(await sqlState(before, 'CREATE TABLE dns.kept (x int)')).toBeUndefined();
    const changed = { ...exampleEnv, FEDOPS_DB_PASSWORD_DNS: 'changed-db-dns' };
    await initdb({ ...containerEnv, FEDOPS_DB_PASSWORD_DNS: 'changed-db-dns' });
    try {
      expect(await sqlState(before, 'SELECT 1')).toBe('28P01');
      expect(await sqlState(databaseUrl('dns', changed), 'SELECT * FROM dns.kept')).toBeUndefined();
    } finally {
      await initdb(containerEnv); // back, for the other tests
    }
  });

  it('stops, naming the variable, when a service password is missing', async () => {
    const env = { ...containerEnv };
    delete env['FEDOPS_DB_PASSWORD_BACKUP'];
    await expect(initdb(env)).rejects.toMatchObject({
      stderr: expect.stringContaining('FEDOPS_DB_PASSWORD_BACKUP is not set'),
    });
  });
});

/** The SQLSTATE a statement (or the connection) fails with; undefined when it succeeds. */
async function sqlState(url: string, sql: string): Promise<string | undefined> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    await client.query(sql);
    return undefined;
  } catch (error: unknown) {
    return String((error as { code?: unknown }).code);
  } finally {
    await client.end().catch(() => undefined);
  }
}
