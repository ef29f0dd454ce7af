import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { openServiceDataSource } from '@fedops/service-kit';
import { createTestDatabase, dropTestDatabase } from '@fedops/testing';
import { Initial1764284400000 } from './1764284400000-initial';
import { Operations1764900000000 } from './1764900000000-operations';

/** The migration to operation rows on a database that holds tenants from before it. */
describe('migration Operations1764900000000', () => {
  let databaseUrl: string;

  beforeAll(async () => {
    databaseUrl = await createTestDatabase('tenant_api_migration');
  });
  afterAll(async () => {
    if (databaseUrl !== undefined) await dropTestDatabase(databaseUrl);
  });

  it("carries each tenant's latest operation over under its workflow id; unfinished ones become pending", async () => {
    const before = await openServiceDataSource({
      url: databaseUrl,
      schema: 'tenant_api',
      entities: [],
      migrations: [Initial1764284400000],
    });
    const legacy = {
      provisioning: randomUUID(),
      ready: randomUUID(),
      failed: randomUUID(),
      deleting: randomUUID(),
    };
    for (const [status, id] of Object.entries(legacy)) {
      const suffix = status === 'deleting' ? 'destroy' : 'deploy';
      await before.query(
        `INSERT INTO tenants (id, org_id, domain, apps, hostnames, provider, status, last_operation_id, operation_started_at, error)
         VALUES ($1, 'acme', $2, '[]', '[]', 'sandbox', $3, $4, now(), $5)`,
        [
          id,
          `${status}.example.org`,
          status,
          `tenant-${id}-${suffix}`,
          status === 'failed' ? 'ssh: 10.0.0.9 refused' : null,
        ],
      );
    }
    await before.query(
      `INSERT INTO idempotency_keys (org_id, key, request_hash, tenant_id, status_code, body)
       VALUES ('acme', 'k-1', 'h', $1, 202, '{}')`,
      [legacy.ready],
    );
    await before.destroy();

    const after: DataSource = await openServiceDataSource({
      url: databaseUrl,
      schema: 'tenant_api',
      entities: [],
      migrations: [Initial1764284400000, Operations1764900000000],
    });
    try {
      const rows: Array<{
        id: string;
        kind: string;
        status: string;
        error: string | null;
        error_detail: string | null;
      }> = await after.query(`SELECT id, kind, status, error, error_detail FROM operations ORDER BY id`);
      expect(rows).toEqual(
        expect.arrayContaining([
          {
            id: `tenant-${legacy.provisioning}-deploy`,
            kind: 'deploy',
            status: 'pending',
            error: null,
            error_detail: null,
          },
          {
            id: `tenant-${legacy.ready}-deploy`,
            kind: 'deploy',
            status: 'succeeded',
            error: null,
            error_detail: null,
          },
          {
            id: `tenant-${legacy.failed}-deploy`,
            kind: 'deploy',
            status: 'failed',
            error: 'The operation failed.',
            error_detail: 'ssh: 10.0.0.9 refused',
          },
          {
            id: `tenant-${legacy.deleting}-destroy`,
            kind: 'destroy',
            status: 'pending',
            error: null,
            error_detail: null,
          },
        ]),
      );
      expect(rows).toHaveLength(4);
      const [failed] = await after.query(`SELECT error FROM tenants WHERE id = $1`, [legacy.failed]);
      expect(failed.error).toBe('The operation failed.');
      // Keys stored before keep answering retries: they are the organisation's keys.
      expect(await after.query(`SELECT scope, key, status_code FROM idempotency_keys`)).toEqual([
        { scope: 'org:acme', key: 'k-1', status_code: 202 },
      ]);
    } finally {
      await after.destroy();
    }
  });
});
