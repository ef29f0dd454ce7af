import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Operations become rows (any number per tenant, kept after Temporal's retention). Each tenant's
 * latest operation, known until now only by its workflow id, is carried over under that id; an
 * unfinished one becomes `pending`, so the reconciler starts its workflow unless it runs already.
 */
export class Operations1764900000000 implements MigrationInterface {
  name = 'Operations1764900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE operations (
        id text PRIMARY KEY,
        kind text NOT NULL,
        tenant_id uuid NOT NULL REFERENCES tenants (id),
        org_id text NOT NULL,
        requested_by text NOT NULL,
        status text NOT NULL
          CHECK (status IN ('pending','running','cancelling','succeeded','failed','cancelled')),
        steps jsonb NOT NULL DEFAULT '[]',
        failed_step text,
        error text,
        error_detail text,
        retry_of text REFERENCES operations (id),
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        started_at timestamptz,
        finished_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now(),
        checked_at timestamptz
      )`);
    await q.query(`CREATE INDEX operations_tenant ON operations (tenant_id, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX operations_org ON operations (org_id, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX operations_created ON operations (created_at DESC, id DESC)`);
    // The reconciler's queue: open operations, least recently looked at first.
    await q.query(
      `CREATE INDEX operations_open ON operations (checked_at NULLS FIRST, id)
        WHERE status IN ('pending','running','cancelling')`,
    );
    await q.query(`
      INSERT INTO operations
        (id, kind, tenant_id, org_id, requested_by, status, error, error_detail, created_at, started_at, finished_at)
      SELECT last_operation_id,
             CASE WHEN last_operation_id LIKE '%-destroy' THEN 'destroy' ELSE 'deploy' END,
             id, org_id, 'unknown',
             CASE status WHEN 'provisioning' THEN 'pending' WHEN 'deleting' THEN 'pending'
                         WHEN 'failed' THEN 'failed' ELSE 'succeeded' END,
             CASE WHEN status = 'failed' THEN 'The operation failed.' END,
             CASE WHEN status = 'failed' THEN error END,
             operation_started_at, operation_started_at,
             CASE WHEN status IN ('ready','failed','deleted') THEN updated_at END
        FROM tenants`);
    // tenants.error now holds the operator's message only; the detail moved to the operation.
    await q.query(`UPDATE tenants SET error = 'The operation failed.' WHERE error IS NOT NULL`);
    await q.query(`ALTER TABLE tenants DROP COLUMN operation_started_at`);
    await q.query(
      `ALTER TABLE tenants ADD CONSTRAINT tenants_last_operation
         FOREIGN KEY (last_operation_id) REFERENCES operations (id) DEFERRABLE INITIALLY DEFERRED`,
    );
    // Lists page by (created_at, id) with cursors carrying a JavaScript Date: millisecond precision
    // keeps a cursor equal to the row it came from.
    await q.query(`ALTER TABLE tenants ALTER COLUMN created_at TYPE timestamptz(3)`);
    await q.query(`CREATE INDEX tenants_created ON tenants (created_at, id)`);
    // Idempotency keys serve every POST, not only tenant creation: scoped to an organisation
    // (`org:<id>`) or to one ops subject (`sub:<subject>`), with the answer's Location.
    await q.query(`ALTER TABLE idempotency_keys ADD COLUMN scope text`);
    await q.query(`UPDATE idempotency_keys SET scope = 'org:' || org_id`);
    await q.query(`ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_pkey`);
    await q.query(`ALTER TABLE idempotency_keys DROP COLUMN org_id, DROP COLUMN tenant_id`);
    await q.query(`ALTER TABLE idempotency_keys ALTER COLUMN scope SET NOT NULL, ADD COLUMN location text`);
    await q.query(
      `ALTER TABLE idempotency_keys ADD CONSTRAINT idempotency_keys_pkey PRIMARY KEY (scope, key)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    // Keys cannot be mapped back to the tenants they created: they are dropped.
    await q.query(`DELETE FROM idempotency_keys`);
    await q.query(`ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_pkey`);
    await q.query(`ALTER TABLE idempotency_keys DROP COLUMN scope, DROP COLUMN location`);
    await q.query(
      `ALTER TABLE idempotency_keys ADD COLUMN org_id text NOT NULL, ADD COLUMN tenant_id uuid NOT NULL`,
    );
    await q.query(
      `ALTER TABLE idempotency_keys ADD CONSTRAINT idempotency_keys_pkey PRIMARY KEY (org_id, key)`,
    );
    await q.query(`DROP INDEX tenants_created`);
    await q.query(`ALTER TABLE tenants ALTER COLUMN created_at TYPE timestamptz`);
    await q.query(`ALTER TABLE tenants DROP CONSTRAINT tenants_last_operation`);
    await q.query(`ALTER TABLE tenants ADD COLUMN operation_started_at timestamptz`);
    await q.query(`
      UPDATE tenants t SET operation_started_at = o.created_at,
                           error = COALESCE(o.error_detail, t.error)
        FROM operations o WHERE o.id = t.last_operation_id`);
    await q.query(`ALTER TABLE tenants ALTER COLUMN operation_started_at SET NOT NULL`);
    await q.query(`DROP TABLE operations`);
  }
}
