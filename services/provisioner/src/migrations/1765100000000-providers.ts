import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Providers become data (registered by ops, credentials sealed) and the inventory is keyed by machine:
 * a tenant may hold machines on two providers, even two of the same kind, at once (migration).
 * Machines made before this migration belong to the built-in sandbox provider it records.
 */
export class Providers1765100000000 implements MigrationInterface {
  name = 'Providers1765100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE providers (
        id uuid PRIMARY KEY,
        name text NOT NULL UNIQUE,
        kind text NOT NULL,
        endpoint text,
        credentials_sealed text NOT NULL,
        credential_fields text[] NOT NULL DEFAULT '{}',
        locations text[] NOT NULL,
        plans jsonb NOT NULL,
        image text NOT NULL,
        settings jsonb NOT NULL DEFAULT '{}',
        quotas jsonb NOT NULL DEFAULT '{}',
        status text NOT NULL DEFAULT 'active',
        last_check jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`DROP INDEX machines_tenant_provider`);
    await q.query(`ALTER TABLE machines RENAME COLUMN provider TO kind`);
    await q.query(`ALTER TABLE machines RENAME COLUMN provider_id TO external_id`);
    await q.query(`
      ALTER TABLE machines
        ADD COLUMN provider_id uuid REFERENCES providers (id),
        ADD COLUMN name text,
        ADD COLUMN location text NOT NULL DEFAULT 'local',
        ADD COLUMN plan text NOT NULL DEFAULT 'small',
        ADD COLUMN vcpus int NOT NULL DEFAULT 1,
        ADD COLUMN memory_mib int NOT NULL DEFAULT 1024,
        ADD COLUMN disk_gib int NOT NULL DEFAULT 10,
        ADD COLUMN status text NOT NULL DEFAULT 'ready',
        ADD COLUMN host_key_sealed text,
        ADD COLUMN placement_reason text NOT NULL DEFAULT '',
        ALTER COLUMN external_id DROP NOT NULL,
        ALTER COLUMN address DROP NOT NULL,
        ALTER COLUMN ssh_host_key DROP NOT NULL`);
    const [{ count }] = (await q.query(`SELECT count(*)::int AS count FROM machines`)) as [{ count: number }];
    if (count > 0) {
      // The machines of before were all on the one sandbox driver: it becomes a registered provider.
      await q.query(`
        INSERT INTO providers (id, name, kind, credentials_sealed, locations, plans, image)
        VALUES (gen_random_uuid(), 'sandbox', 'sandbox', '', '{local}',
                '[{"name":"small","vcpus":1,"memoryMiB":1024,"diskGiB":10}]', 'sandbox')
        ON CONFLICT (name) DO NOTHING`);
      await q.query(
        `UPDATE machines SET provider_id = (SELECT id FROM providers WHERE name = 'sandbox'), name = 'fo-' || left(id::text, 8)`,
      );
    }
    await q.query(`ALTER TABLE machines ALTER COLUMN provider_id SET NOT NULL`);
    await q.query(`ALTER TABLE machines ALTER COLUMN name SET NOT NULL`);
    await q.query(`CREATE INDEX machines_tenant ON machines (tenant_id)`);
    await q.query(`CREATE INDEX machines_provider ON machines (provider_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX machines_provider`);
    await q.query(`DROP INDEX machines_tenant`);
    await q.query(`DELETE FROM machines WHERE status <> 'ready' OR external_id IS NULL`);
    await q.query(`
      ALTER TABLE machines
        DROP COLUMN provider_id, DROP COLUMN name, DROP COLUMN location, DROP COLUMN plan, DROP COLUMN vcpus,
        DROP COLUMN memory_mib, DROP COLUMN disk_gib, DROP COLUMN status, DROP COLUMN host_key_sealed,
        DROP COLUMN placement_reason`);
    await q.query(`ALTER TABLE machines RENAME COLUMN external_id TO provider_id`);
    await q.query(`ALTER TABLE machines RENAME COLUMN kind TO provider`);
    await q.query(`CREATE UNIQUE INDEX machines_tenant_provider ON machines (tenant_id, provider)`);
    await q.query(`DROP TABLE providers`);
  }
}
