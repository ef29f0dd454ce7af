import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * API tokens for automation: `fdo_<id>_<secret>`, of which only a SHA-256 of the secret is kept.
 * A token keeps the role and organisation of its creator; rows stay after revocation and expiry
 * (the list shows them), and an organisation's deletion revokes its tokens instead of removing them.
 */
export class ApiTokens1765000000001 implements MigrationInterface {
  name = 'ApiTokens1765000000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE api_tokens (
        id text PRIMARY KEY CHECK (id ~ '^[0-9a-f]{24}$'),
        name text NOT NULL,
        secret_sha256 bytea NOT NULL CHECK (length(secret_sha256) = 32),
        roles text[] NOT NULL,
        org_id text,
        scopes text[] NOT NULL,
        created_by text NOT NULL,
        created_by_issuer text NOT NULL,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        expires_at timestamptz(3) NOT NULL,
        revoked_at timestamptz(3),
        last_used_at timestamptz(3),
        CHECK (expires_at > created_at)
      )`);
    await q.query(
      `CREATE INDEX api_tokens_creator ON api_tokens (created_by_issuer, created_by, created_at, id)`,
    );
    await q.query(`CREATE INDEX api_tokens_org ON api_tokens (org_id, created_at, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE api_tokens`);
  }
}
