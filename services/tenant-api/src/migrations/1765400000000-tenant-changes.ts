import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Tenants can be changed after they were created: a tenant has a version (its ETag, raised by every
 * change of the row) and the status `updating`; an update operation stores the change it carries
 * out (the apps before and after), which it applies to the tenant when it succeeds.
 */
export class TenantChanges1765400000000 implements MigrationInterface {
  name = 'TenantChanges1765400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE tenants DROP CONSTRAINT IF EXISTS tenants_status_check`);
    await q.query(
      `ALTER TABLE tenants ADD CONSTRAINT tenants_status_check
         CHECK (status IN ('provisioning','ready','updating','failed','deleting','deleted'))`,
    );
    await q.query(`ALTER TABLE tenants ADD COLUMN version integer NOT NULL DEFAULT 1`);
    await q.query(`ALTER TABLE operations ADD COLUMN change jsonb`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE operations DROP COLUMN change`);
    await q.query(`ALTER TABLE tenants DROP COLUMN version`);
    await q.query(`UPDATE tenants SET status = 'ready' WHERE status = 'updating'`);
    await q.query(`ALTER TABLE tenants DROP CONSTRAINT tenants_status_check`);
    await q.query(
      `ALTER TABLE tenants ADD CONSTRAINT tenants_status_check
         CHECK (status IN ('provisioning','ready','failed','deleting','deleted'))`,
    );
  }
}
