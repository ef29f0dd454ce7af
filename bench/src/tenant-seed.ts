import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { AppSelection, OperationStep } from '@fedops/contracts';
import { appHostnames } from '@fedops/catalog';

export interface SeedOptions {
  count: number;
  orgId: string;
  /** Domains are `t<i>.<domainSuffix>`. */
  domainSuffix: string;
}

const SEEDED_APPS: AppSelection[] = [{ app: 'mastodon', options: { singleUserMode: true } }];
const DEPLOY_STEPS = ['provision', 'dns', 'deploy', 'backup'] as const;

/**
 * Inserts `count` ready tenants straight into tenant-api's tables, in one transaction: creating them
 * through POST /v1/tenants would deploy a machine for each. Rows look like what a finished deploy
 * leaves: status `ready`, its latest operation a succeeded `deploy` with the four steps, created one
 * second apart (so the list order is the insertion order). Connects with `adminUrl` (the harness's
 * administrating role), not tenant-api's own role. Returns the tenant ids, oldest first.
 */
export async function seedTenants(adminUrl: string, options: SeedOptions): Promise<string[]> {
  const start = Date.now() - (options.count + 60) * 1000;
  const tenants = Array.from({ length: options.count }, (_, i) => {
    const createdAt = new Date(start + i * 1000);
    const finishedAt = new Date(createdAt.getTime() + 40_000);
    const domain = `t${i}.${options.domainSuffix}`;
    const steps: OperationStep[] = DEPLOY_STEPS.map((name, s) => ({
      name,
      status: 'succeeded',
      startedAt: new Date(createdAt.getTime() + 100 + s * 10_000).toISOString(),
      finishedAt: new Date(createdAt.getTime() + 100 + (s + 1) * 10_000 - 50).toISOString(),
    }));
    return {
      id: randomUUID(),
      operationId: randomUUID(),
      domain,
      hostnames: JSON.stringify(appHostnames(domain, SEEDED_APPS)),
      steps: JSON.stringify(steps),
      createdAt: createdAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
    };
  });
  const column = <K extends keyof (typeof tenants)[number]>(key: K): Array<(typeof tenants)[number][K]> =>
    tenants.map((t) => t[key]);
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query('BEGIN');
    // tenants.last_operation_id -> operations is deferred to the commit; operations.tenant_id is not.
    await client.query(
      `INSERT INTO tenant_api.tenants
         (id, org_id, domain, apps, hostnames, provider, status, last_operation_id, error, created_at, updated_at)
       SELECT t.id, $2, t.domain, $3::jsonb, t.hostnames, 'sandbox', 'ready', t.operation_id, NULL, t.at, t.done
         FROM unnest($1::uuid[], $4::text[], $5::jsonb[], $6::text[], $7::timestamptz[], $8::timestamptz[])
           AS t(id, domain, hostnames, operation_id, at, done)`,
      [
        column('id'),
        options.orgId,
        JSON.stringify(SEEDED_APPS),
        column('domain'),
        column('hostnames'),
        column('operationId'),
        column('createdAt'),
        column('finishedAt'),
      ],
    );
    await client.query(
      `INSERT INTO tenant_api.operations
         (id, kind, tenant_id, org_id, requested_by, status, steps, created_at, started_at, finished_at, updated_at)
       SELECT o.id, 'deploy', o.tenant_id, $2, 'system:bench-seed', 'succeeded', o.steps, o.at, o.at, o.done, o.done
         FROM unnest($1::text[], $3::uuid[], $4::jsonb[], $5::timestamptz[], $6::timestamptz[])
           AS o(id, tenant_id, steps, at, done)`,
      [
        column('operationId'),
        options.orgId,
        column('id'),
        column('steps'),
        column('createdAt'),
        column('finishedAt'),
      ],
    );
    await client.query('COMMIT');
    // Fresh statistics, as autovacuum would have gathered on a table that grew to this size.
    await client.query('ANALYZE tenant_api.tenants, tenant_api.operations');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    await client.end();
  }
  return tenants.map((t) => t.id);
}
