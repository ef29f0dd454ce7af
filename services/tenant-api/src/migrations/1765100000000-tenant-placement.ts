import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Where each tenant's machine goes (provider, location, plan, machine id, why), chosen before the
 * tenant is stored. Tenants of before have none: their machine is on the provider of their kind.
 */
export class TenantPlacement1765100000000 implements MigrationInterface {
  name = 'TenantPlacement1765100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE tenants ADD COLUMN placement jsonb`);
    // Removing a provider asks whether live tenants are placed there.
    await q.query(
      `CREATE INDEX tenants_placement_provider ON tenants ((placement->>'providerId')) WHERE status <> 'deleted'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX tenants_placement_provider`);
    await q.query(`ALTER TABLE tenants DROP COLUMN placement`);
  }
}
