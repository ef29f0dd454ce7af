import { randomBytes, randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { FedopsError, FedopsErrorCode } from '@fedops/domain';
import { JsonLogger, openServiceDataSource } from '@fedops/service-kit';
import { createTestDatabase, dropTestDatabase } from '@fedops/testing';
import type { Principal } from '../auth';
import type { TokenVerifier } from '../auth/token-verifier';
import { ApiTokenEntity } from '../api-tokens/api-token.entity';
import { ApiTokenService } from '../api-tokens/api-token.service';
import { DatabaseCallers } from '../callers/database-callers';
import { IdempotencyKeyEntity } from '../idempotency/idempotency-key.entity';
import { IdempotentRequests } from '../idempotency/idempotent-requests';
import { Initial1764284400000 } from '../migrations/1764284400000-initial';
import { Operations1764900000000 } from '../migrations/1764900000000-operations';
import { Organisations1765000000000 } from '../migrations/1765000000000-organisations';
import { ApiTokens1765000000001 } from '../migrations/1765000000001-api-tokens';
import { TenantPlacement1765100000000 } from '../migrations/1765100000000-tenant-placement';
import { OperationEntity } from '../operations/operation.entity';
import { QuotaService } from '../quotas/quota.service';
import { TenantEntity } from '../tenants/tenant.entity';
import { OrganisationMemberEntity } from './organisation-member.entity';
import { OrganisationEntity } from './organisation.entity';
import { OrganisationService } from './organisation.service';

/** Organisations, members, quotas, API tokens and caller resolution on real PostgreSQL. */
const ISSUER = 'http://issuer.test';
const MIGRATIONS = [
  Initial1764284400000,
  Operations1764900000000,
  Organisations1765000000000,
  ApiTokens1765000000001,
  TenantPlacement1765100000000,
];
const ENTITIES = [
  TenantEntity,
  IdempotencyKeyEntity,
  OperationEntity,
  OrganisationEntity,
  OrganisationMemberEntity,
  ApiTokenEntity,
];

const ops: Principal = { subject: 'ops-alice', roles: ['ops'], issuer: ISSUER };
const verifier = { issuer: () => Promise.resolve(ISSUER) } as unknown as TokenVerifier;

let databaseUrl: string;
let dataSource: DataSource;
let organisations: OrganisationService;
let quotas: QuotaService;
let tokens: ApiTokenService;
let callers: DatabaseCallers;

beforeAll(async () => {
  databaseUrl = await createTestDatabase('tenant_api_organisations');
  dataSource = await openServiceDataSource({
    url: databaseUrl,
    schema: 'tenant_api',
    entities: ENTITIES,
    migrations: MIGRATIONS,
  });
  const logger = new JsonLogger('tenant-api', 'error', () => undefined);
  const idempotent = new IdempotentRequests(dataSource);
  quotas = new QuotaService();
  organisations = new OrganisationService(dataSource, idempotent, quotas, verifier, logger);
  tokens = new ApiTokenService(dataSource, idempotent, verifier, logger);
  callers = new DatabaseCallers(dataSource, logger);
});

afterAll(async () => {
  await dataSource?.destroy();
  if (databaseUrl !== undefined) await dropTestDatabase(databaseUrl);
});

function newOrgId(): string {
  return `org-${randomBytes(4).toString('hex')}`;
}

async function newOrg(quotaLimits = {}): Promise<string> {
  const id = newOrgId();
  await organisations.create(ops, { id, name: `Org ${id}`, quotas: quotaLimits }, undefined);
  return id;
}

/** A tenant row as TenantService stores one (with its operation), without starting anything. */
async function insertTenant(
  tx: EntityManager,
  org: string,
  apps: string[],
  status = 'ready',
): Promise<string> {
  const id = randomUUID();
  const operationId = randomUUID();
  await tx.query(
    `INSERT INTO tenants (id, org_id, domain, apps, hostnames, provider, status, last_operation_id)
     VALUES ($1, $2, $3, $4::jsonb, '[]', 'sandbox', $5, $6)`,
    [
      id,
      org,
      `${id}.example.org`,
      JSON.stringify(apps.map((app) => ({ app, options: {} }))),
      status,
      operationId,
    ],
  );
  await tx.query(
    `INSERT INTO operations (id, kind, tenant_id, org_id, requested_by, status)
     VALUES ($1, 'deploy', $2, $3, 'test', 'succeeded')`,
    [operationId, id, org],
  );
  return id;
}

async function problemOf(promise: Promise<unknown>): Promise<FedopsError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof FedopsError)) throw new Error(`expected a FedopsError, got ${String(err)}`);
  return err;
}

describe('migration Organisations1765000000000', () => {
  it('creates an organisation for every org that tenants already name', async () => {
    const url = await createTestDatabase('tenant_api_org_migration');
    try {
      const before = await openServiceDataSource({
        url,
        schema: 'tenant_api',
        entities: [],
        migrations: [Initial1764284400000, Operations1764900000000],
      });
      await before.transaction(async (tx) => {
        await insertTenant(tx, 'acme', ['mastodon']);
        await insertTenant(tx, 'acme', ['forgejo'], 'deleted');
        await insertTenant(tx, 'globex', ['gotosocial']);
      });
      await before.destroy();
      const after = await openServiceDataSource({
        url,
        schema: 'tenant_api',
        entities: [],
        migrations: MIGRATIONS,
      });
      try {
        expect(await after.query(`SELECT id, name, quotas, version FROM organisations ORDER BY id`)).toEqual([
          { id: 'acme', name: 'acme', quotas: {}, version: 1 },
          { id: 'globex', name: 'globex', quotas: {}, version: 1 },
        ]);
      } finally {
        await after.destroy();
      }
    } finally {
      await dropTestDatabase(url);
    }
  });
});

describe('OrganisationService', () => {
  it('creates, reads with usage and an ETag, and refuses a second organisation of the same id', async () => {
    const id = newOrgId();
    const created = await organisations.create(ops, { id, name: 'Initech', quotas: { tenants: 3 } }, 'k-1');
    expect(created).toMatchObject({ status: 201, location: `/v1/organisations/${id}` });
    expect(created.body).toMatchObject({ id, name: 'Initech', quotas: { tenants: 3 } });
    // The same key again: the same answer, nothing created twice.
    expect(
      (await organisations.create(ops, { id, name: 'Initech', quotas: { tenants: 3 } }, 'k-1')).body,
    ).toEqual(created.body);
    const again = await problemOf(organisations.create(ops, { id, name: 'Other', quotas: {} }, undefined));
    expect(again.code).toBe(FedopsErrorCode.Conflict);

    await dataSource.transaction((tx) => insertTenant(tx, id, ['mastodon', 'gotosocial']));
    const { view, etag } = await organisations.get(ops, id);
    expect(etag).toBe(created.etag);
    expect(view.usage).toEqual({ tenants: 1, apps: 2, vcpu: 3, memoryMiB: 4608, storageGiB: 25 });
  });

  it('shows an operator their own organisation and no other', async () => {
    const id = await newOrg();
    const other = await newOrg();
    const operator: Principal = { subject: 'carol', roles: ['operator'], orgId: id };
    await expect(organisations.get(operator, id)).resolves.toMatchObject({ view: { id } });
    expect((await problemOf(organisations.get(operator, other))).code).toBe(FedopsErrorCode.NotFound);
  });

  it('changes only with If-Match naming the current version (428 without, 412 when stale)', async () => {
    const id = await newOrg({ tenants: 1, apps: 5 });
    const { etag } = await organisations.get(ops, id);
    expect((await problemOf(organisations.update(ops, id, { name: 'x' }, undefined))).code).toBe(
      FedopsErrorCode.PreconditionRequired,
    );
    const changed = await organisations.update(
      ops,
      id,
      { name: 'Renamed', quotas: { tenants: 4, apps: null } },
      etag,
    );
    expect(changed.view).toMatchObject({ name: 'Renamed', quotas: { tenants: 4 } });
    expect(changed.view.quotas).not.toHaveProperty('apps');
    expect(changed.etag).not.toBe(etag);
    expect((await dataSource.getRepository(OrganisationEntity).findOneByOrFail({ id })).version).toBe(2);

    const stale = await problemOf(organisations.update(ops, id, { name: 'Lost update' }, etag));
    expect(stale.code).toBe(FedopsErrorCode.PreconditionFailed);
    expect(stale.details.extensions).toEqual({ currentETag: changed.etag });
    expect((await organisations.get(ops, id)).view.name).toBe('Renamed');
  });

  it('deletes only without live tenants; members go with it and its tokens are revoked', async () => {
    const id = await newOrg();
    await organisations.addMember(ops, id, { subject: `m-${id}` }, undefined);
    const operator: Principal = { subject: `m-${id}`, roles: ['operator'], orgId: id, issuer: ISSUER };
    const token = await tokens.create(
      operator,
      { name: 'ci', scopes: ['tenants:read'], expiresInSeconds: 3600 },
      undefined,
    );
    const tenantId = await dataSource.transaction((tx) => insertTenant(tx, id, ['forgejo']));

    const refused = await problemOf(organisations.delete(ops, id));
    expect(refused.code).toBe(FedopsErrorCode.Conflict);
    expect(refused.message).toBe(`Organisation ${id} still has 1 live tenant; delete them first`);

    await dataSource.query(`UPDATE tenants SET status = 'deleted' WHERE id = $1`, [tenantId]);
    await expect(organisations.delete(ops, id)).resolves.toMatchObject({ id });
    expect(await dataSource.getRepository(OrganisationMemberEntity).countBy({ orgId: id })).toBe(0);
    expect((await problemOf(callers.resolveApiToken(token.body.token))).message).toBe('API token revoked');
    // Its tenants remain as history: the id cannot be taken again by a new organisation.
    const reuse = await problemOf(organisations.create(ops, { id, name: 'New', quotas: {} }, undefined));
    expect(reuse.message).toMatch(/was used before/);
  });

  it('keeps an operator in one organisation', async () => {
    const [a, b] = [await newOrg(), await newOrg()];
    const subject = `dave-${a}`;
    const added = await organisations.addMember(ops, a, { subject }, 'member-1');
    expect(added).toMatchObject({
      status: 201,
      body: { org: a, subject, issuer: ISSUER, role: 'operator', addedBy: 'ops-alice' },
    });
    expect((await problemOf(organisations.addMember(ops, a, { subject }, undefined))).message).toBe(
      `${subject} is a member of ${a} already`,
    );
    expect((await problemOf(organisations.addMember(ops, b, { subject }, undefined))).message).toMatch(
      new RegExp(`member of another organisation \\(${a}\\)`),
    );
    // Another issuer's subject of the same name is another person.
    await expect(
      organisations.addMember(ops, b, { subject, issuer: 'https://other-issuer.test' }, undefined),
    ).resolves.toMatchObject({ body: { org: b } });
    const page = await organisations.listMembers(ops, a, {});
    expect(page.items.map((m) => m.subject)).toEqual([subject]);
  });

  it('removes a member and revokes the tokens they made in the organisation', async () => {
    const id = await newOrg();
    const subject = `erin-${id}`;
    await organisations.addMember(ops, id, { subject }, undefined);
    const principal = await callers.resolveIdentity({ subject, roles: [] }, ISSUER);
    const token = await tokens.create(
      principal,
      { name: 'ci', scopes: ['tenants:read'], expiresInSeconds: 3600 },
      undefined,
    );
    await expect(callers.resolveApiToken(token.body.token)).resolves.toMatchObject({ orgId: id });

    await expect(organisations.removeMember(ops, id, subject)).resolves.toMatchObject({ subject });
    expect((await problemOf(callers.resolveApiToken(token.body.token))).message).toBe('API token revoked');
    // No longer anyone's operator: without a role of the IdP, no fedops role (the guard answers 403).
    await expect(callers.resolveIdentity({ subject, roles: [] }, ISSUER)).resolves.toEqual({
      subject,
      roles: [],
      issuer: ISSUER,
    });
    expect((await problemOf(organisations.removeMember(ops, id, subject))).code).toBe(
      FedopsErrorCode.NotFound,
    );
  });

  it('seeds missing organisations and leaves existing ones alone', async () => {
    const id = newOrgId();
    expect(await organisations.seed([{ id, name: 'Seeded' }])).toEqual([id]);
    await organisations.update(ops, id, { name: 'Changed by ops' }, '*');
    expect(await organisations.seed([{ id, name: 'Seeded' }])).toEqual([]);
    expect((await organisations.get(ops, id)).view.name).toBe('Changed by ops');
  });
});

describe('QuotaService', () => {
  it('names an organisation that does not exist', async () => {
    const err = await problemOf(
      dataSource.transaction((tx) => quotas.check(tx, 'no-such-org', { apps: [{ app: 'mastodon' }] })),
    );
    expect(err.code).toBe(FedopsErrorCode.InvalidReference);
    expect(err.message).toMatch(/^Organisation no-such-org does not exist/);
  });

  it('counts live tenants and their apps, and says which limit a new tenant would pass and by how much', async () => {
    const id = await newOrg({ tenants: 3, vcpu: 4 });
    await dataSource.transaction(async (tx) => {
      await insertTenant(tx, id, ['mastodon']);
      await insertTenant(tx, id, ['forgejo']);
      await insertTenant(tx, id, ['mastodon', 'forgejo'], 'deleted');
    });
    await dataSource.transaction((tx) => quotas.check(tx, id, { apps: [{ app: 'gotosocial' }] }));
    const err = await problemOf(
      dataSource.transaction((tx) => quotas.check(tx, id, { apps: [{ app: 'mastodon' }] })),
    );
    expect(err.code).toBe(FedopsErrorCode.QuotaExceeded);
    expect(err.details.extensions).toMatchObject({
      org: id,
      quota: 'vcpu',
      limit: 4,
      used: 3,
      requested: 2,
      exceededBy: 1,
    });
  });

  it('lets only one of two concurrent creates take the last place', async () => {
    const id = await newOrg({ tenants: 1 });
    const create = (): Promise<string> =>
      dataSource.transaction(async (tx) => {
        await quotas.check(tx, id, { apps: [{ app: 'gotosocial' }] });
        // Widen the window between the check and the commit, where a check without the lock would race.
        await tx.query(`SELECT pg_sleep(0.3)`);
        return insertTenant(tx, id, ['gotosocial']);
      });
    const outcomes = await Promise.allSettled([create(), create()]);
    expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
    const rejected = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect((rejected?.reason as FedopsError).code).toBe(FedopsErrorCode.QuotaExceeded);
    expect(await quotas.usage(dataSource.manager, id)).toMatchObject({ tenants: 1 });
  });
});

describe('DatabaseCallers', () => {
  it('takes an operator’s organisation from membership, and refuses a token claiming another', async () => {
    const id = await newOrg();
    const subject = `frank-${id}`;
    await organisations.addMember(ops, id, { subject }, undefined);
    await expect(callers.resolveIdentity({ subject, roles: ['operator'] }, ISSUER)).resolves.toEqual({
      subject,
      roles: ['operator'],
      orgId: id,
      issuer: ISSUER,
    });
    const conflict = await problemOf(
      callers.resolveIdentity({ subject, roles: ['operator'], orgClaim: 'acme' }, ISSUER),
    );
    expect(conflict.code).toBe(FedopsErrorCode.Forbidden);
    // The same subject at another issuer is not a member.
    expect(
      (await problemOf(callers.resolveIdentity({ subject, roles: ['operator'] }, 'https://elsewhere.test')))
        .code,
    ).toBe(FedopsErrorCode.Forbidden);
  });

  it('accepts the org claim of a non-member only for an existing organisation', async () => {
    const id = await newOrg();
    await expect(
      callers.resolveIdentity({ subject: 'fedops-operator-x', roles: ['operator'], orgClaim: id }, ISSUER),
    ).resolves.toMatchObject({ orgId: id });
    const missing = await problemOf(
      callers.resolveIdentity(
        { subject: 'fedops-operator-x', roles: ['operator'], orgClaim: newOrgId() },
        ISSUER,
      ),
    );
    expect(missing.message).toMatch(/does not exist in fedops/);
  });

  it('resolves an API token to its creator’s role, organisation and its own scopes', async () => {
    const id = await newOrg();
    const operator: Principal = { subject: 'gina', roles: ['operator'], orgId: id, issuer: ISSUER };
    const { body } = await tokens.create(
      operator,
      { name: 'ci', scopes: ['tenants:read'], expiresInSeconds: 3600 },
      undefined,
    );
    expect(body.token).toMatch(/^fdo_[0-9a-f]{24}_[A-Za-z0-9_-]{43}$/);
    await expect(callers.resolveApiToken(body.token)).resolves.toEqual({
      subject: 'gina',
      issuer: ISSUER,
      roles: ['operator'],
      orgId: id,
      scopes: ['tenants:read'],
      apiTokenId: body.id,
    });
    // Only a hash of the secret is stored.
    const [row] = await dataSource.query(`SELECT * FROM api_tokens WHERE id = $1`, [body.id]);
    expect(JSON.stringify(row)).not.toContain(body.token.slice(-43));
  });

  it('refuses unknown, tampered, revoked and expired API tokens', async () => {
    const id = await newOrg();
    const operator: Principal = { subject: 'hank', roles: ['operator'], orgId: id, issuer: ISSUER };
    const { body } = await tokens.create(
      operator,
      { name: 'ci', scopes: ['tenants:read'], expiresInSeconds: 3600 },
      undefined,
    );
    const tampered = `${body.token.slice(0, -1)}${body.token.endsWith('A') ? 'B' : 'A'}`;
    expect((await problemOf(callers.resolveApiToken(tampered))).message).toBe('unknown API token');
    expect(
      (await problemOf(callers.resolveApiToken(`fdo_${'0'.repeat(24)}_${'A'.repeat(43)}`))).message,
    ).toBe('unknown API token');
    expect((await problemOf(callers.resolveApiToken('fdo_nonsense'))).message).toBe('malformed API token');

    await dataSource.query(
      `UPDATE api_tokens SET created_at = now() - interval '2 hours', expires_at = now() - interval '1 second' WHERE id = $1`,
      [body.id],
    );
    const expired = await problemOf(callers.resolveApiToken(body.token));
    expect(expired.code).toBe(FedopsErrorCode.Unauthenticated);
    expect(expired.message).toBe('API token expired');

    await tokens.revoke(operator, body.id);
    expect((await problemOf(callers.resolveApiToken(body.token))).message).toBe('API token revoked');
  });

  it('records the last use at most once a minute', async () => {
    const operator: Principal = {
      subject: 'ivy',
      roles: ['operator'],
      orgId: await newOrg(),
      issuer: ISSUER,
    };
    const { body } = await tokens.create(
      operator,
      { name: 'ci', scopes: ['tenants:read'], expiresInSeconds: 3600 },
      undefined,
    );
    const lastUsed = async (): Promise<Date | null> =>
      (await dataSource.getRepository(ApiTokenEntity).findOneByOrFail({ id: body.id })).lastUsedAt;
    expect(await lastUsed()).toBeNull();
    await callers.resolveApiToken(body.token);
    const first = await lastUsed();
    expect(first).not.toBeNull();
    await callers.resolveApiToken(body.token);
    expect(await lastUsed()).toEqual(first);
    await dataSource.query(
      `UPDATE api_tokens SET last_used_at = now() - interval '61 seconds' WHERE id = $1`,
      [body.id],
    );
    await callers.resolveApiToken(body.token);
    expect((await lastUsed())?.getTime()).toBeGreaterThan(first?.getTime() ?? 0);
  });
});

describe('ApiTokenService', () => {
  it('gives a token no scope its creator lacks', async () => {
    const operator: Principal = { subject: 'jo', roles: ['operator'], orgId: await newOrg(), issuer: ISSUER };
    const err = await problemOf(
      tokens.create(
        operator,
        { name: 'x', scopes: ['tenants:read', 'organisations:admin'], expiresInSeconds: 60 },
        undefined,
      ),
    );
    expect(err.code).toBe(FedopsErrorCode.Forbidden);
    expect(err.message).toMatch(/you lack organisations:admin/);
  });

  it('answers a retried create with 409 naming the token, without a second token or the secret', async () => {
    const operator: Principal = {
      subject: 'kim',
      roles: ['operator'],
      orgId: await newOrg(),
      issuer: ISSUER,
    };
    const command = { name: 'deploy bot', scopes: ['tenants:read' as const], expiresInSeconds: 60 };
    const first = await tokens.create(operator, command, 'tok-1');
    const retry = await problemOf(tokens.create(operator, command, 'tok-1'));
    expect(retry.code).toBe(FedopsErrorCode.Conflict);
    expect(retry.message).toContain(`created token ${first.body.id}`);
    expect((await tokens.list(operator, {})).items.map((t) => t.id)).toEqual([first.body.id]);
    const [stored] = await dataSource.query(`SELECT body FROM idempotency_keys WHERE key = 'tok-1'`);
    expect(JSON.stringify(stored)).not.toContain(first.body.token);
  });

  it('lists a caller’s own tokens; ops staff an organisation’s; revoking is idempotent and private', async () => {
    const org = await newOrg();
    const lee: Principal = { subject: 'lee', roles: ['operator'], orgId: org, issuer: ISSUER };
    const max: Principal = { subject: 'max', roles: ['operator'], orgId: org, issuer: ISSUER };
    const a = await tokens.create(
      lee,
      { name: 'a', scopes: ['tenants:read'], expiresInSeconds: 60 },
      undefined,
    );
    const b = await tokens.create(
      max,
      { name: 'b', scopes: ['tenants:write'], expiresInSeconds: 60 },
      undefined,
    );
    expect((await tokens.list(lee, {})).items.map((t) => t.name)).toEqual(['a']);
    expect((await tokens.list(ops, { org })).items.map((t) => t.name)).toEqual(['a', 'b']);
    expect((await problemOf(tokens.list(lee, { org }))).code).toBe(FedopsErrorCode.Forbidden);

    expect((await problemOf(tokens.revoke(lee, b.body.id))).code).toBe(FedopsErrorCode.NotFound);
    const revoked = await tokens.revoke(lee, a.body.id);
    expect(revoked).toMatchObject({ status: 'revoked', revokedAt: expect.any(String) });
    expect(await tokens.revoke(lee, a.body.id)).toEqual(revoked);
    await expect(tokens.revoke(ops, b.body.id)).resolves.toMatchObject({ status: 'revoked' });
  });
});
