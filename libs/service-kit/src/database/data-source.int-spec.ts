import { randomBytes } from 'node:crypto';

import { Client } from 'pg';
import type { MigrationInterface, QueryRunner } from 'typeorm';

import {
  applyServiceRoles,
  createTestDatabase,
  dropServiceRoles,
  dropTestDatabase,
  testInfra,
  type ServiceRolesPlan,
} from '@fedops/testing';
import { openServiceDataSource } from './data-source';

class Widgets1764999000000 implements MigrationInterface {
  name = 'Widgets1764999000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('CREATE TABLE widgets (id int PRIMARY KEY, name text NOT NULL)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE widgets');
  }
}

/**
 * A service opening its schema as its own role, which may not create schemas (the database set-up
 * made them), on the real PostgreSQL of the test run.
 */
describe('openServiceDataSource with a role per service', () => {
  const prefix = `t${randomBytes(4).toString('hex')}`;
  let adminUrl: string;
  let plan: ServiceRolesPlan;
  let urls: Record<string, string>;

  beforeAll(async () => {
    adminUrl = await createTestDatabase('data_source');
    plan = {
      database: new URL(adminUrl).pathname.slice(1),
      schemas: ['provisioner', 'dns'],
      rolePrefix: prefix,
    };
    urls = await applyServiceRoles(adminUrl, plan, {
      provisioner: randomBytes(18).toString('base64url'),
      dns: randomBytes(18).toString('base64url'),
    });
  });

  afterAll(async () => {
    if (adminUrl === undefined) return;
    await dropTestDatabase(adminUrl);
    await dropServiceRoles(testInfra().postgres.url, plan);
  });

  it('runs the migrations as the service’s role, in its schema, once', async () => {
    const open = (): ReturnType<typeof openServiceDataSource> =>
      openServiceDataSource({
        url: urls['provisioner'] ?? '',
        schema: 'provisioner',
        entities: [],
        migrations: [Widgets1764999000000],
      });
    const first = await open();
    try {
      await first.query("INSERT INTO widgets VALUES (1, 'sprocket')");
    } finally {
      await first.destroy();
    }
    const again = await open(); // nothing pending: the table and its row stay
    try {
      expect(await again.query('SELECT name FROM widgets')).toEqual([{ name: 'sprocket' }]);
    } finally {
      await again.destroy();
    }
    const owners = await query(
      adminUrl,
      `SELECT relname, pg_get_userbyid(relowner) AS owner FROM pg_class
       WHERE relnamespace = 'provisioner'::regnamespace AND relkind = 'r' ORDER BY relname`,
    );
    expect(owners).toEqual([
      { relname: 'migrations', owner: `${prefix}_provisioner` },
      { relname: 'widgets', owner: `${prefix}_provisioner` },
    ]);
  });

  it('looks the schema up first: PostgreSQL refuses CREATE SCHEMA IF NOT EXISTS to the role even when it exists', async () => {
    const client = new Client({ connectionString: urls['provisioner'] ?? '' });
    await client.connect();
    try {
      await expect(client.query('CREATE SCHEMA IF NOT EXISTS provisioner')).rejects.toMatchObject({
        code: '42501',
        message: `permission denied for database ${plan.database}`,
      });
    } finally {
      await client.end();
    }
  });

  it('fails naming the schema when it is missing and the role may not create it', async () => {
    await expect(
      openServiceDataSource({
        url: urls['provisioner'] ?? '',
        schema: 'backup',
        entities: [],
        migrations: [],
      }),
    ).rejects.toThrow(
      `Schema "backup" does not exist in database ${plan.database}, and role ${prefix}_provisioner may not create it`,
    );
  });

  it("fails naming the schema when it is another service's", async () => {
    await expect(
      openServiceDataSource({ url: urls['provisioner'] ?? '', schema: 'dns', entities: [], migrations: [] }),
    ).rejects.toThrow(
      `Schema "dns" in database ${plan.database} belongs to role ${prefix}_dns, not to ${prefix}_provisioner`,
    );
  });

  it('still creates a missing schema for a role that may (the owner of a throw-away test database)', async () => {
    const ds = await openServiceDataSource({
      url: adminUrl,
      schema: 'scratch',
      entities: [],
      migrations: [Widgets1764999000000],
    });
    await ds.destroy();
    expect(
      await query(
        adminUrl,
        "SELECT pg_get_userbyid(nspowner) AS owner FROM pg_namespace WHERE nspname = 'scratch'",
      ),
    ).toEqual([{ owner: new URL(adminUrl).username }]);
  });
});

async function query(url: string, sql: string): Promise<unknown[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}
