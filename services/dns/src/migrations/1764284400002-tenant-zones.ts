import type { MigrationInterface, QueryRunner } from 'typeorm';

export class TenantZones1764284400002 implements MigrationInterface {
  name = 'TenantZones1764284400002';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE tenant_zones (
        tenant_id uuid PRIMARY KEY,
        provider text NOT NULL,
        zone text NOT NULL,
        zone_created boolean NOT NULL,
        records jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE tenant_zones`);
  }
}
