import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Short-lived tickets that open a tenant's event stream from a browser (EventSource sends no headers). */
export class StreamTickets1765000000002 implements MigrationInterface {
  name = 'StreamTickets1765000000002';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE stream_tickets (
        ticket_hash text PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants (id),
        principal jsonb NOT NULL,
        expires_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX stream_tickets_expiry ON stream_tickets (expires_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE stream_tickets`);
  }
}
