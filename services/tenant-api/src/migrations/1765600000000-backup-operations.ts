import type { MigrationInterface, QueryRunner } from 'typeorm';

/** A copy, not DEFAULT_BACKUP_POLICY itself: a migration must do tomorrow what it did today. */
const POLICY_AT_MIGRATION = {
  intervalHours: 24,
  retention: { keepLast: 3, keepDaily: 7, keepWeekly: 4, keepMonthly: 6 },
  checkIntervalDays: 7,
  checkReadDataPercent: 5,
};

/**
 * Backups and restores are operations: the tenant status `restoring`, the request they carry; a
 * tenant has a backup policy and remembers its last good (and last failed) backup.
 */
export class BackupOperations1765600000000 implements MigrationInterface {
  name = 'BackupOperations1765600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE tenants DROP CONSTRAINT IF EXISTS tenants_status_check`);
    await q.query(
      `ALTER TABLE tenants ADD CONSTRAINT tenants_status_check
         CHECK (status IN ('provisioning','ready','updating','restoring','failed','deleting','deleted'))`,
    );
    await q.query(`ALTER TABLE operations ADD COLUMN params jsonb`);
    // Every tenant starts with the default policy (DEFAULT_BACKUP_POLICY at the time of writing).
    await q.query(
      `ALTER TABLE tenants ADD COLUMN backup_policy jsonb NOT NULL DEFAULT '${JSON.stringify(POLICY_AT_MIGRATION)}'::jsonb,
         ADD COLUMN last_backup_at timestamptz,
         ADD COLUMN last_backup_failed_at timestamptz`,
    );
    await q.query(`ALTER TABLE tenants ALTER COLUMN backup_policy DROP DEFAULT`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE tenants DROP COLUMN backup_policy, DROP COLUMN last_backup_at, DROP COLUMN last_backup_failed_at`,
    );
    await q.query(`ALTER TABLE operations DROP COLUMN params`);
    await q.query(`UPDATE tenants SET status = 'ready' WHERE status = 'restoring'`);
    await q.query(`ALTER TABLE tenants DROP CONSTRAINT tenants_status_check`);
    await q.query(
      `ALTER TABLE tenants ADD CONSTRAINT tenants_status_check
         CHECK (status IN ('provisioning','ready','updating','failed','deleting','deleted'))`,
    );
  }
}
