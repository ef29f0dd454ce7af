import { randomBytes } from 'node:crypto';

import { Client } from 'pg';

import { createTestDatabase, dropTestDatabase, testInfra } from '../jest/test-infra';
import { applyServiceRoles, dropServiceRoles, type ServiceRolesPlan } from './service-roles';

/**
 * The database set-up on the real PostgreSQL of the test run, applied by the role the harness
 * administers it with (owner of the database, CREATEROLE, not a superuser), as `npm start` does.
 */
describe('applyServiceRoles', () => {
  const prefix = `t${randomBytes(4).toString('hex')}`;
  const outsider = `${prefix}_outsider`;
  let adminUrl: string;
  let plan: ServiceRolesPlan;
  let passwords: Record<string, string>;
  let urls: Record<string, string>;

  beforeAll(async () => {
    adminUrl = await createTestDatabase('service_roles');
    plan = {
      database: new URL(adminUrl).pathname.slice(1),
      schemas: ['tenant_api', 'provisioner'],
      rolePrefix: prefix,
    };
    passwords = { tenant_api: newPassword(), provisioner: newPassword() };
    // What an older set-up left: the schema made by the shared role, with a table, a sequence and a type.
    await run(adminUrl, [
      'CREATE SCHEMA tenant_api',
      "CREATE TYPE tenant_api.tenant_status AS ENUM ('provisioning', 'ready')",
      'CREATE TABLE tenant_api.tenants (id serial PRIMARY KEY, domain text, status tenant_api.tenant_status)',
      "INSERT INTO tenant_api.tenants (domain, status) VALUES ('old.example.net', 'ready')",
    ]);
    urls = await applyServiceRoles(adminUrl, plan, passwords);
    await run(urls['provisioner'] ?? '', [
      'CREATE TABLE provisioner.machines (id int PRIMARY KEY, address text)',
      "INSERT INTO provisioner.machines VALUES (1, '10.0.0.1')",
    ]);
  });

  afterAll(async () => {
    if (adminUrl === undefined) return;
    await dropTestDatabase(adminUrl);
    await dropServiceRoles(testInfra().postgres.url, plan);
    await run(testInfra().postgres.url, [`DROP ROLE IF EXISTS ${outsider}`]);
  });

  it('returns a URL per schema: its own role, its password, the same database', () => {
    const url = new URL(urls['provisioner'] ?? '');
    expect(url.username).toBe(`${prefix}_provisioner`);
    expect(decodeURIComponent(url.password)).toBe(passwords['provisioner']);
    expect(url.pathname).toBe(`/${plan.database}`);
    expect(url.host).toBe(new URL(adminUrl).host);
  });

  it('gives the service roles LOGIN and nothing more', async () => {
    const roles = await rows<{
      rolname: string;
      rolsuper: boolean;
      rolcreatedb: boolean;
      rolcreaterole: boolean;
    }>(
      adminUrl,
      `SELECT rolname, rolsuper, rolcreatedb, rolcreaterole, rolcanlogin FROM pg_roles
       WHERE rolname IN ($1, $2) ORDER BY rolname`,
      [`${prefix}_provisioner`, `${prefix}_tenant_api`],
    );
    expect(roles).toEqual(
      ['provisioner', 'tenant_api'].map((schema) => ({
        rolname: `${prefix}_${schema}`,
        rolsuper: false,
        rolcreatedb: false,
        rolcreaterole: false,
        rolcanlogin: true,
      })),
    );
  });

  it('lets a service role use its own schema', async () => {
    const provisioner = urls['provisioner'] ?? '';
    await run(provisioner, [
      'CREATE TABLE provisioner.leases (id int PRIMARY KEY, until timestamptz)',
      "INSERT INTO provisioner.leases VALUES (1, '2030-01-01Z')",
      'UPDATE provisioner.machines SET address = address',
    ]);
    expect(await rows(provisioner, 'SELECT id FROM provisioner.leases')).toEqual([{ id: 1 }]);
    await run(provisioner, ['DROP TABLE provisioner.leases']);
  });

  it("hands a schema another role created over to the service's role, with what it holds", async () => {
    const tenantApi = urls['tenant_api'] ?? '';
    expect(await rows(tenantApi, 'SELECT domain, status FROM tenant_api.tenants')).toEqual([
      { domain: 'old.example.net', status: 'ready' },
    ]);
    await run(tenantApi, ["INSERT INTO tenant_api.tenants (domain) VALUES ('new.example.net')"]); // the sequence too
    const owners = await rows<{ name: string; owner: string }>(
      adminUrl,
      `SELECT nspname AS name, pg_get_userbyid(nspowner) AS owner FROM pg_namespace WHERE nspname = 'tenant_api'
       UNION ALL SELECT relname, pg_get_userbyid(relowner) FROM pg_class WHERE relnamespace = 'tenant_api'::regnamespace
       UNION ALL SELECT typname, pg_get_userbyid(typowner) FROM pg_type WHERE typnamespace = 'tenant_api'::regnamespace`,
    );
    expect(owners.filter((o) => o.owner !== `${prefix}_tenant_api`)).toEqual([]);
    expect(owners.map((o) => o.name)).toEqual(
      expect.arrayContaining(['tenant_api', 'tenants', 'tenants_id_seq', 'tenant_status']),
    );
  });

  it("denies a service role another service's schema: no reading, no writing, no creating", async () => {
    const provisioner = urls['provisioner'] ?? '';
    for (const sql of [
      'SELECT * FROM tenant_api.tenants',
      "INSERT INTO tenant_api.tenants (domain) VALUES ('intruder.example.net')",
      'CREATE TABLE tenant_api.planted (x int)',
    ]) {
      expect(await failure(provisioner, sql)).toEqual({
        code: '42501',
        message: 'permission denied for schema tenant_api',
      });
    }
    // And the other way round.
    expect(await failure(urls['tenant_api'] ?? '', 'SELECT * FROM provisioner.machines')).toEqual({
      code: '42501',
      message: 'permission denied for schema provisioner',
    });
  });

  it('denies a service role creating in public, creating schemas and temporary tables', async () => {
    const provisioner = urls['provisioner'] ?? '';
    expect(await failure(provisioner, 'CREATE TABLE public.planted (x int)')).toEqual({
      code: '42501',
      message: 'permission denied for schema public',
    });
    const denied = { code: '42501', message: `permission denied for database ${plan.database}` };
    expect(await failure(provisioner, 'CREATE SCHEMA planted')).toEqual(denied);
    expect(await failure(provisioner, 'CREATE TEMPORARY TABLE planted (x int)')).toEqual({
      code: '42501',
      message: `permission denied to create temporary tables in database "${plan.database}"`,
    });
  });

  it('lets only the service roles (and the owner) connect to the database', async () => {
    const password = newPassword();
    await run(testInfra().postgres.url, [`CREATE ROLE ${outsider} LOGIN PASSWORD '${password}'`]);
    const url = new URL(adminUrl);
    url.username = outsider;
    url.password = password;
    const error = await connectError(url.toString());
    expect(error?.code).toBe('42501');
    expect(error?.message).toBe(`permission denied for database "${plan.database}"`);
  });

  it('changes nothing when applied again, except a rotated password', async () => {
    const before = await privilegeState();
    await applyServiceRoles(adminUrl, plan, passwords);
    expect(await privilegeState()).toEqual(before);

    const rotated = { ...passwords, provisioner: newPassword() };
    const next = await applyServiceRoles(adminUrl, plan, rotated);
    expect(await privilegeState()).toEqual(before);
    expect((await connectError(urls['provisioner'] ?? ''))?.code).toBe('28P01'); // the old password
    expect(
      await rows(next['provisioner'] ?? '', 'SELECT count(*)::int AS n FROM provisioner.machines'),
    ).toEqual([{ n: 1 }]);
    await applyServiceRoles(adminUrl, plan, passwords); // back, for the other tests
    expect(await connectError(urls['provisioner'] ?? '')).toBeUndefined();
  });

  it('fails naming the step, and no password, when the role applying it may not', async () => {
    const other = { tenant_api: newPassword(), provisioner: newPassword() };
    const error = await applyServiceRoles(urls['provisioner'] ?? '', plan, other).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message).toBe(
      `Database set-up of ${plan.database}: could not create role ${prefix}_tenant_api: permission denied to create role`,
    );
    for (const password of Object.values(other)) expect(message).not.toContain(password);
  });

  /** What applying must leave as it is: ACLs and owners of the database, the schemas and what they hold. */
  async function privilegeState(): Promise<unknown> {
    return {
      database: await rows(
        adminUrl,
        'SELECT datacl::text FROM pg_database WHERE datname = current_database()',
      ),
      schemas: await rows(
        adminUrl,
        `SELECT nspname, pg_get_userbyid(nspowner) AS owner, nspacl::text FROM pg_namespace
         WHERE nspname NOT LIKE 'pg\\_%' ORDER BY nspname`,
      ),
      relations: await rows(
        adminUrl,
        `SELECT relnamespace::regnamespace::text AS schema, relname, pg_get_userbyid(relowner) AS owner, relacl::text
         FROM pg_class WHERE relnamespace IN ('tenant_api'::regnamespace, 'provisioner'::regnamespace)
         ORDER BY 1, 2`,
      ),
      members: await rows(
        adminUrl,
        `SELECT r.rolname, m.rolname AS member FROM pg_auth_members a
         JOIN pg_roles r ON r.oid = a.roleid JOIN pg_roles m ON m.oid = a.member
         WHERE r.rolname LIKE $1 ORDER BY 1, 2`,
        [`${prefix}\\_%`],
      ),
    };
  }
});

function newPassword(): string {
  return randomBytes(18).toString('base64url');
}

async function withClient<T>(url: string, use: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

async function run(url: string, statements: readonly string[]): Promise<void> {
  await withClient(url, async (client) => {
    for (const sql of statements) await client.query(sql);
  });
}

async function rows<T = Record<string, unknown>>(
  url: string,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  return withClient(url, async (client) => (await client.query(sql, params)).rows as T[]);
}

/** The SQLSTATE and message a statement fails with (it must fail). */
async function failure(url: string, sql: string): Promise<{ code: unknown; message: string }> {
  return withClient(url, async (client) => {
    try {
      await client.query(sql);
    } catch (error: unknown) {
      const e = error as { code?: unknown; message: string };
      return { code: e.code, message: e.message };
    }
    throw new Error(`${sql} succeeded`);
  });
}

async function connectError(url: string): Promise<{ code?: string; message: string } | undefined> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    await client.end();
    return undefined;
  } catch (error: unknown) {
    return error as { code?: string; message: string };
  }
}
