import { randomUUID } from 'node:crypto';
import type { DataSource, MigrationInterface } from 'typeorm';
import { validateAppSelections } from '@fedops/catalog';
import { openServiceDataSource } from '@fedops/service-kit';
import { createTestDatabase, dropTestDatabase } from '@fedops/testing';
import { Initial1764284400000 } from './1764284400000-initial';
import { Operations1764900000000 } from './1764900000000-operations';
import { TenantPlacement1765100000000 } from './1765100000000-tenant-placement';
import { DroppedAppOptions1765200000000 } from './1765200000000-dropped-app-options';

const BEFORE = [Initial1764284400000, Operations1764900000000, TenantPlacement1765100000000];

/** The migration that removes options the catalog dropped, on a database with tenants that set them. */
describe('migration DroppedAppOptions1765200000000', () => {
  let databaseUrl: string;

  beforeAll(async () => {
    databaseUrl = await createTestDatabase('tenant_api_dropped_options');
  });
  afterAll(async () => {
    if (databaseUrl !== undefined) await dropTestDatabase(databaseUrl);
  });

  const open = (migrations: Array<new () => MigrationInterface>): Promise<DataSource> =>
    openServiceDataSource({ url: databaseUrl, schema: 'tenant_api', entities: [], migrations });

  it("removes maxTootChars from Mastodon and accountsApprovalRequired from GoToSocial, keeping every other option and the apps' order", async () => {
    const stored = {
      both: [
        { app: 'gotosocial', options: { registrationsOpen: true, accountsApprovalRequired: false } },
        { app: 'mastodon', options: { singleUserMode: true, maxTootChars: 1000, subdomain: 'toot' } },
        { app: 'forgejo' },
      ],
      // A name only another app dropped is another app's own option: left alone.
      otherApp: [{ app: 'pixelfed', options: { maxTootChars: 7, registrationsOpen: true } }],
      untouched: [{ app: 'mastodon', options: { registrations: 'closed' } }],
    };
    // Stored by the first schema, as tenants made long ago were; the later migrations run over them.
    const initial = await open([Initial1764284400000]);
    const ids: Record<string, string> = {};
    for (const [name, apps] of Object.entries(stored)) {
      ids[name] = randomUUID();
      await initial.query(
        `INSERT INTO tenants (id, org_id, domain, apps, hostnames, provider, status, last_operation_id, operation_started_at)
         VALUES ($1, 'acme', $2, $3, '[]', 'sandbox', 'ready', $4, now())`,
        [ids[name], `${name.toLowerCase()}.example.org`, JSON.stringify(apps), `tenant-${ids[name]}-deploy`],
      );
    }
    await initial.destroy();
    // A row's xmin changes with every UPDATE of it: rows with nothing to remove are not written.
    const versionOf = async (ds: DataSource, id: string | undefined): Promise<string> =>
      String((await ds.query(`SELECT xmin::text AS v FROM tenants WHERE id = $1`, [id]))[0].v);
    const before = await open(BEFORE);
    const untouchedVersion = await versionOf(before, ids['untouched']);
    await before.destroy();

    const after = await open([...BEFORE, DroppedAppOptions1765200000000]);
    try {
      const appsOf = async (name: string): Promise<unknown> =>
        (await after.query(`SELECT apps FROM tenants WHERE id = $1`, [ids[name]]))[0].apps;
      expect(await appsOf('both')).toEqual([
        { app: 'gotosocial', options: { registrationsOpen: true } },
        { app: 'mastodon', options: { singleUserMode: true, subdomain: 'toot' } },
        { app: 'forgejo' },
      ]);
      expect(await appsOf('otherApp')).toEqual(stored.otherApp);
      expect(await appsOf('untouched')).toEqual(stored.untouched);
      expect(await versionOf(after, ids['untouched'])).toBe(untouchedVersion);
      // What a redeploy reads now passes the catalog's validation.
      expect(validateAppSelections(await appsOf('both'))).toEqual([]);

      // Once more: nothing to remove, nothing written.
      const migratedVersion = await versionOf(after, ids['both']);
      const runner = after.createQueryRunner();
      try {
        await new DroppedAppOptions1765200000000().up(runner);
      } finally {
        await runner.release();
      }
      expect(await versionOf(after, ids['both'])).toBe(migratedVersion);
    } finally {
      await after.destroy();
    }
  });
});
