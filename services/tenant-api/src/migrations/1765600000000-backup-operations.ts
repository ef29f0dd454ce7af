import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Backups and restores are operations: the tenant status `restoring`, and the request they carry. */
export class BackupOperations1765600000000 implements MigrationInterface {
  name = 'BackupOperations1765600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE tenants DROP CONSTRAINT IF EXISTS tenants_status_check`);
    await q.query(
      `ALTER TABLE tenants ADD CONSTRAINT tenants_status_check
         CHECK (status IN ('provisioning','ready','updating','restoring','failed','deleting','deleted'))`,
    );
    await q.query(`ALTER TABLE operations ADD COLUMN params jsonb`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE operations DROP COLUMN params`);
    await q.query(`UPDATE tenants SET status = 'ready' WHERE status = 'restoring'`);
    await q.query(`ALTER TABLE tenants DROP CONSTRAINT tenants_status_check`);
    await q.query(
      `ALTER TABLE tenants ADD CONSTRAINT tenants_status_check
         CHECK (status IN ('provisioning','ready','updating','failed','deleting','deleted'))`,
    );
  }
}
