import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Snapshots are recorded; a repository is set up without `restic init` (its first backup, on the
 * machine, initialises it: restic_id stays null until then) and kept after its tenant is deleted,
 * until `purge_after`; `checked_at` is its last `restic check`.
 */
export class Snapshots1765600000000 implements MigrationInterface {
  name = 'Snapshots1765600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE snapshots (
        id text PRIMARY KEY,
        tenant_id uuid NOT NULL,
        app text NOT NULL,
        reason text NOT NULL,
        operation_id text NOT NULL,
        taken_at timestamptz NOT NULL,
        paths jsonb NOT NULL,
        databases jsonb NOT NULL,
        total_bytes bigint NOT NULL,
        added_bytes bigint NOT NULL,
        files integer NOT NULL,
        protected boolean NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX snapshots_tenant_taken ON snapshots (tenant_id, taken_at)`);
    await q.query(
      `ALTER TABLE repositories ADD COLUMN deleted_at timestamptz, ADD COLUMN purge_after timestamptz, ADD COLUMN checked_at timestamptz`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE repositories DROP COLUMN deleted_at, DROP COLUMN purge_after, DROP COLUMN checked_at`,
    );
    await q.query(`DROP TABLE snapshots`);
  }
}
