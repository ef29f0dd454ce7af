import type { MigrationInterface, QueryRunner } from 'typeorm';

/** What the drift check last found on a tenant's machine, when it runs something else than fedops activated. */
export class TenantDrift1765500000000 implements MigrationInterface {
  name = 'TenantDrift1765500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE tenants ADD COLUMN drift jsonb`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE tenants DROP COLUMN drift`);
  }
}
