import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Deployments1764284400004 implements MigrationInterface {
  name = 'Deployments1764284400004';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE deployments (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL,
        machine_id uuid NOT NULL,
        generation int NOT NULL,
        config_hash text NOT NULL,
        apps jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    // A generation is recorded once per machine, however often a retried activity reports it.
    await q.query(
      `CREATE UNIQUE INDEX deployments_machine_generation ON deployments (machine_id, generation)`,
    );
    await q.query(`CREATE INDEX deployments_tenant ON deployments (tenant_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE deployments`);
  }
}
