import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Organisations become rows, managed by ops staff, with their quotas and their members (operators,
 * keyed by the identity provider's issuer and subject). Every organisation that tenants already
 * name is created, so existing tenants and operators keep working.
 */
export class Organisations1765000000000 implements MigrationInterface {
  name = 'Organisations1765000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE organisations (
        id text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
        name text NOT NULL,
        -- Limits by name (tenants, apps, vcpu, memoryMiB, storageGiB); a missing one is unlimited.
        quotas jsonb NOT NULL DEFAULT '{}',
        -- Raised by every change; the ETag is derived from it (If-Match on PATCH).
        version int NOT NULL DEFAULT 1,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX organisations_created ON organisations (created_at, id)`);
    await q.query(`
      INSERT INTO organisations (id, name)
      SELECT DISTINCT org_id, org_id FROM tenants ORDER BY org_id`);
    await q.query(`
      CREATE TABLE organisation_members (
        id uuid PRIMARY KEY,
        org_id text NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
        issuer text NOT NULL,
        subject text NOT NULL,
        role text NOT NULL DEFAULT 'operator' CHECK (role IN ('operator')),
        added_by text NOT NULL,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        -- An operator belongs to one organisation.
        CONSTRAINT organisation_members_identity UNIQUE (issuer, subject)
      )`);
    await q.query(`CREATE INDEX organisation_members_org ON organisation_members (org_id, created_at, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE organisation_members`);
    await q.query(`DROP TABLE organisations`);
  }
}
