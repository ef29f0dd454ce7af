import type { MigrationInterface, QueryRunner } from 'typeorm';

/** When a secret that is shown once (an app's first admin password) was shown; null: never. */
export class AdminPasswordReveals1765300000000 implements MigrationInterface {
  name = 'AdminPasswordReveals1765300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE tenant_secrets ADD COLUMN revealed_at timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE tenant_secrets DROP COLUMN revealed_at`);
  }
}
