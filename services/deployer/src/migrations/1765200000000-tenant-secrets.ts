import type { MigrationInterface, QueryRunner } from 'typeorm';

export class TenantSecrets1765200000000 implements MigrationInterface {
  name = 'TenantSecrets1765200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE tenant_secrets (
        tenant_id text NOT NULL,
        app text NOT NULL,
        name text NOT NULL,
        sealed text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, app, name)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE tenant_secrets`);
  }
}
