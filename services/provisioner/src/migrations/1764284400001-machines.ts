import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Machines1764284400001 implements MigrationInterface {
  name = 'Machines1764284400001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE machines (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL,
        provider text NOT NULL,
        provider_id text NOT NULL,
        address text NOT NULL,
        ssh_port int NOT NULL,
        ssh_user text NOT NULL,
        ssh_host_key text NOT NULL,
        fs_root text NOT NULL,
        activation text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    // One machine per tenant and provider: the label that makes ensureMachine idempotent.
    await q.query(`CREATE UNIQUE INDEX machines_tenant_provider ON machines (tenant_id, provider)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE machines`);
  }
}
