import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Initial1764284400000 implements MigrationInterface {
  name = 'Initial1764284400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE tenants (
        id uuid PRIMARY KEY,
        org_id text NOT NULL,
        domain text NOT NULL,
        apps jsonb NOT NULL,
        hostnames jsonb NOT NULL,
        provider text NOT NULL,
        status text NOT NULL CHECK (status IN ('provisioning','ready','failed','deleting','deleted')),
        last_operation_id text NOT NULL,
        operation_started_at timestamptz NOT NULL,
        error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    // A domain belongs to one live tenant at a time; deleted tenants free it.
    await q.query(`CREATE UNIQUE INDEX tenants_live_domain ON tenants (domain) WHERE status <> 'deleted'`);
    await q.query(`CREATE INDEX tenants_org ON tenants (org_id, created_at)`);
    await q.query(`
      CREATE TABLE idempotency_keys (
        org_id text NOT NULL,
        key text NOT NULL,
        request_hash text NOT NULL,
        tenant_id uuid NOT NULL,
        status_code int NOT NULL,
        body jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (org_id, key)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE idempotency_keys`);
    await q.query(`DROP TABLE tenants`);
  }
}
