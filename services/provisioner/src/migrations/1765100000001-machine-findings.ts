import type { MigrationInterface, QueryRunner } from 'typeorm';

/** What the machine reconciler found and still finds: orphans at providers, inventory machines gone missing. */
export class MachineFindings1765100000001 implements MigrationInterface {
  name = 'MachineFindings1765100000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE machine_findings (
        provider_id uuid NOT NULL REFERENCES providers (id) ON DELETE CASCADE,
        external_id text NOT NULL,
        kind text NOT NULL CHECK (kind IN ('orphan', 'missing')),
        name text NOT NULL,
        machine_id uuid,
        tenant_id uuid,
        first_seen_at timestamptz NOT NULL DEFAULT now(),
        last_seen_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (provider_id, external_id, kind)
      )`);
    await q.query(`CREATE TABLE machine_reconciliations (
        id int PRIMARY KEY CHECK (id = 1),
        report jsonb NOT NULL
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE machine_reconciliations`);
    await q.query(`DROP TABLE machine_findings`);
  }
}
