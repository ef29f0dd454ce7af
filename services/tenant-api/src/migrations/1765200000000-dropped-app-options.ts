import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Options the catalog no longer has, by app: Mastodon's `maxTootChars` (stock Mastodon ignores
 * MAX_TOOT_CHARS) and GoToSocial's `accountsApprovalRequired` (gone from GoToSocial). Stored tenants
 * that set them would fail validation on their next deploy.
 */
export const DROPPED_APP_OPTIONS: Readonly<Record<string, readonly string[]>> = {
  mastodon: ['maxTootChars'],
  gotosocial: ['accountsApprovalRequired'],
};

/**
 * Removes the dropped options from every tenant's `apps` (a jsonb array of `{ app, options }`),
 * keeping each entry's other options and the order of the apps. Running it again changes nothing.
 */
export class DroppedAppOptions1765200000000 implements MigrationInterface {
  name = 'DroppedAppOptions1765200000000';

  async up(q: QueryRunner): Promise<void> {
    for (const [app, options] of Object.entries(DROPPED_APP_OPTIONS)) {
      // `options - text[]` drops those keys; entries of other apps, and entries without options, stay as they are.
      await q.query(
        `UPDATE tenants t
            SET apps = (
              SELECT jsonb_agg(
                       CASE WHEN e->>'app' = $1 AND jsonb_typeof(e->'options') = 'object'
                            THEN jsonb_set(e, '{options}', (e->'options') - $2::text[])
                            ELSE e END
                       ORDER BY i)
                FROM jsonb_array_elements(t.apps) WITH ORDINALITY AS a(e, i)
            )
          WHERE EXISTS (
            SELECT 1 FROM jsonb_array_elements(t.apps) e
             WHERE e->>'app' = $1 AND jsonb_typeof(e->'options') = 'object' AND (e->'options') ?| $2::text[]
          )`,
        [app, options],
      );
    }
  }

  async down(): Promise<void> {
    // The removed values are kept nowhere, so they cannot be put back. Nothing needs them: both options
    // were optional with defaults, so the tenants are valid for the code before this migration too.
  }
}
