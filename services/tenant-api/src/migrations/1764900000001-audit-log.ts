import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The audit log: every change asked of the API and every domain event, as rows ops can query. */
export class AuditLog1764900000001 implements MigrationInterface {
  name = 'AuditLog1764900000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE audit_log (
        id bigserial PRIMARY KEY,
        event_id text NOT NULL UNIQUE,
        at timestamptz(3) NOT NULL,
        org_id text,
        tenant_id uuid,
        actor text NOT NULL,
        action text NOT NULL,
        target text,
        result text NOT NULL,
        source_ip text,
        detail jsonb NOT NULL DEFAULT '{}'
      )`);
    await q.query(`CREATE INDEX audit_log_at ON audit_log (at DESC, id DESC)`);
    await q.query(`CREATE INDEX audit_log_org ON audit_log (org_id, at DESC, id DESC)`);
    await q.query(`CREATE INDEX audit_log_tenant ON audit_log (tenant_id, at DESC, id DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE audit_log`);
  }
}
