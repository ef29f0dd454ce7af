import { randomBytes } from 'node:crypto';
import { readIssuerSigningKey, startTestPlatform, waitFor, type TestPlatform } from '@fedops/testing';
import { importJWK, SignJWT } from 'jose';
import { ApiClient } from './api-client';
import { newTenant } from './factories';

interface Organisation {
  id: string;
  name: string;
  quotas: Record<string, number>;
  usage?: Record<string, number>;
}
interface Problem {
  status: number;
  code: string;
  detail: string;
  [member: string]: unknown;
}
interface ApiToken {
  id: string;
  name: string;
  status: string;
  scopes: string[];
  roles: string[];
  org?: string;
  token?: string;
}
interface Tenant {
  id: string;
  org: string;
  status: string;
}

let env: TestPlatform;
let ops: ApiClient;
let acme: ApiClient;

beforeAll(async () => {
  env = await startTestPlatform('orgtokens');
  ops = new ApiClient(env.apiUrl, env.tokens.ops);
  acme = new ApiClient(env.apiUrl, env.tokens.acme);
}, 180_000);

afterAll(async () => {
  await env?.stop();
});

const unique = (prefix: string): string => `${prefix}-${randomBytes(3).toString('hex')}`;

/**
 * An access token of the platform's issuer for a subject the issuer has no client for: signed with the
 * issuer's own key, with the claims an identity provider that knows nothing of fedops organisations
 * would send (no org claim unless given).
 */
async function issuerToken(subject: string, claims: Record<string, unknown> = {}): Promise<string> {
  const { kid, alg, jwk } = await readIssuerSigningKey(env.issuer.dataDir);
  return new SignJWT(claims)
    .setProtectedHeader({ alg, kid, typ: 'at+jwt' })
    .setIssuer(env.issuer.issuerUrl)
    .setAudience('fedops-api')
    .setSubject(subject)
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(await importJWK(jwk, alg));
}

async function newOrganisation(quotas: Record<string, number> = {}): Promise<string> {
  const id = unique('org');
  const res = await ops.post<Organisation>('/v1/organisations', { id, name: `Organisation ${id}`, quotas });
  expect(res.status).toBe(201);
  return id;
}

async function waitForTenantStatus(api: ApiClient, id: string, status: string): Promise<void> {
  await waitFor(async () => (await api.get<Tenant>(`/v1/tenants/${id}`)).body.status === status, {
    description: `tenant ${id} to be ${status}`,
    timeoutMs: 120_000,
    intervalMs: 500,
  });
}

describe('organisations and members', () => {
  it('ops creates an organisation and a member, whose token then works in that organisation only', async () => {
    const org = unique('initech');
    const created = await ops.post<Organisation>(
      '/v1/organisations',
      { id: org, name: 'Initech', quotas: { tenants: 1 } },
      { 'idempotency-key': `create-${org}` },
    );
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe(`/v1/organisations/${org}`);
    expect(created.headers.get('etag')).toMatch(/^"[A-Za-z0-9_-]+"$/);
    expect(created.body).toMatchObject({ id: org, name: 'Initech', quotas: { tenants: 1 } });

    const listed = await ops.get<{ items: Organisation[] }>('/v1/organisations?limit=200');
    expect(listed.body.items.map((o) => o.id)).toEqual(expect.arrayContaining(['acme', 'globex', org]));

    const subject = unique('carol');
    const member = await ops.post(`/v1/organisations/${org}/members`, { subject });
    expect(member.status).toBe(201);
    expect(member.body).toMatchObject({ org, subject, issuer: env.issuer.issuerUrl, role: 'operator' });

    // Her identity provider sends neither roles nor an org claim: membership makes her an operator of org.
    const carol = new ApiClient(env.apiUrl, await issuerToken(subject));
    const own = await carol.get<Organisation>(`/v1/organisations/${org}`);
    expect(own.status).toBe(200);
    expect(own.body.usage).toMatchObject({ tenants: 0, apps: 0 });
    expect((await carol.get<{ items: unknown[] }>('/v1/tenants')).body.items).toEqual([]);
    expect((await carol.get(`/v1/organisations/acme`)).status).toBe(404);
    expect((await carol.get('/v1/organisations')).status).toBe(403);

    // A token whose org claim disagrees with her membership is refused.
    const mismatch = await new ApiClient(
      env.apiUrl,
      await issuerToken(subject, { org: 'acme' }),
    ).get<Problem>('/v1/tenants');
    expect(mismatch.status).toBe(403);
    expect(mismatch.body.detail).toMatch(
      new RegExp(`org claim names organisation acme, but ${subject} is a member of ${org}`),
    );

    // The quota: one tenant fits, the second is refused before anything is stored or started.
    const first = await carol.post<Tenant>('/v1/tenants', newTenant({ apps: ['gotosocial'] }));
    expect(first.status).toBe(202);
    expect(first.body.org).toBe(org);
    const second = await carol.post<Problem>('/v1/tenants', newTenant({ apps: ['gotosocial'] }));
    expect(second.status).toBe(403);
    expect(second.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(second.body).toMatchObject({
      code: 'QUOTA_EXCEEDED',
      type: 'https://fedops.dev/problems/quota-exceeded',
      org,
      quota: 'tenants',
      limit: 1,
      used: 1,
      requested: 1,
      exceededBy: 1,
    });
    expect(second.body.detail).toBe(
      `Organisation ${org}: tenants quota exceeded by 1 (limit 1, in use 1, requested 1)`,
    );
    expect((await carol.get<{ items: unknown[] }>('/v1/tenants')).body.items).toHaveLength(1);

    // An organisation with a live tenant cannot be deleted; without one it can.
    expect((await ops.delete<Problem>(`/v1/organisations/${org}`)).status).toBe(409);
    expect((await carol.delete(`/v1/tenants/${first.body.id}`)).status).toBe(202);
    await waitForTenantStatus(carol, first.body.id, 'deleted');
    expect((await ops.delete(`/v1/organisations/${org}`)).status).toBe(200);
    expect((await carol.get('/v1/tenants')).status).toBe(403);
  });

  it('gives an operator 403 on the ops-only routes and 404 for another organisation', async () => {
    expect((await acme.get('/v1/organisations')).status).toBe(403);
    const post = await acme.post<Problem>('/v1/organisations', { id: unique('mine'), name: 'Mine' });
    expect(post.status).toBe(403);
    expect(post.body.detail).toBe('This operation requires role ops; the token has roles: operator');
    expect((await acme.get(`/v1/organisations/acme/members`)).status).toBe(403);
    expect((await acme.get<Organisation>('/v1/organisations/acme')).body.id).toBe('acme');
    const other = await acme.get<Problem>('/v1/organisations/globex');
    expect(other.status).toBe(404);
    expect(other.body.code).toBe('NOT_FOUND');
  });

  it('changes an organisation only with If-Match on its current ETag', async () => {
    const org = await newOrganisation();
    const read = await ops.get<Organisation>(`/v1/organisations/${org}`);
    const etag = read.headers.get('etag') ?? '';
    const patch = (body: unknown, headers: Record<string, string>) =>
      ops.request<Organisation & Problem>('PATCH', `/v1/organisations/${org}`, { body, headers });

    const unconditional = await patch({ quotas: { tenants: 5 } }, {});
    expect(unconditional.status).toBe(428);
    expect(unconditional.body.code).toBe('PRECONDITION_REQUIRED');
    const changed = await patch({ quotas: { tenants: 5, vcpu: 16 } }, { 'if-match': etag });
    expect(changed.status).toBe(200);
    expect(changed.body.quotas).toEqual({ tenants: 5, vcpu: 16 });
    expect(changed.headers.get('etag')).not.toBe(etag);
    const stale = await patch({ quotas: { tenants: null } }, { 'if-match': etag });
    expect(stale.status).toBe(412);
    expect(stale.body).toMatchObject({
      code: 'PRECONDITION_FAILED',
      currentETag: changed.headers.get('etag'),
    });
  });

  it('refuses a tenant in an organisation that does not exist, naming it', async () => {
    const res = await ops.post<Problem>('/v1/tenants', newTenant({ org: 'no-such-org' }));
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({
      code: 'INVALID_REFERENCE',
      errors: [{ field: 'org', message: 'no organisation no-such-org' }],
    });
  });
});

describe('API tokens', () => {
  it('with tenants:read can list tenants but not create one, and stops working once revoked', async () => {
    const created = await acme.post<ApiToken>('/v1/tokens', { name: 'dashboard', scopes: ['tenants:read'] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      status: 'active',
      scopes: ['tenants:read'],
      roles: ['operator'],
      org: 'acme',
    });
    const secret = created.body.token ?? '';
    expect(secret).toMatch(/^fdo_[0-9a-f]{24}_[A-Za-z0-9_-]{43}$/);
    const automation = new ApiClient(env.apiUrl, secret);

    expect((await automation.get('/v1/tenants')).status).toBe(200);
    const write = await automation.post<Problem>('/v1/tenants', newTenant());
    expect(write.status).toBe(403);
    expect(write.body.detail).toBe(
      'This operation requires scope tenants:write; the token has scopes: tenants:read',
    );
    // An API token cannot mint more tokens, and an operator cannot mint an ops token.
    expect((await automation.post('/v1/tokens', { name: 'child', scopes: ['tenants:read'] })).status).toBe(
      403,
    );
    const beyond = await acme.post<Problem>('/v1/tokens', { name: 'admin', scopes: ['organisations:admin'] });
    expect(beyond.status).toBe(403);
    expect(beyond.body.detail).toMatch(/you lack organisations:admin/);

    const listed = await acme.get<{ items: ApiToken[] }>('/v1/tokens');
    const entry = listed.body.items.find((t) => t.id === created.body.id);
    expect(entry).toMatchObject({ name: 'dashboard', status: 'active' });
    expect(entry).not.toHaveProperty('token');
    expect(JSON.stringify(listed.body)).not.toContain(secret);

    const revoked = await acme.delete<ApiToken>(`/v1/tokens/${created.body.id}`);
    expect(revoked.status).toBe(200);
    expect(revoked.body.status).toBe('revoked');
    const refused = await automation.get<Problem>('/v1/tenants');
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toBe(
      'Bearer realm="fedops", error="invalid_token", error_description="API token revoked"',
    );
    expect(refused.body).toMatchObject({
      code: 'UNAUTHENTICATED',
      detail: 'Invalid API token: API token revoked',
    });
    expect((await acme.delete(`/v1/tokens/${created.body.id}`)).status).toBe(200);
    expect(
      (await new ApiClient(env.apiUrl, env.tokens.globex).delete(`/v1/tokens/${created.body.id}`)).status,
    ).toBe(404);
  });

  it('is 401 once expired', async () => {
    const created = await acme.post<ApiToken>('/v1/tokens', {
      name: 'short-lived',
      scopes: ['tenants:read'],
      expiresIn: 2,
    });
    expect(created.status).toBe(201);
    const automation = new ApiClient(env.apiUrl, created.body.token);
    const refused = await waitFor(
      async () => {
        const res = await automation.get<Problem>('/v1/tenants');
        return res.status === 401 ? res : undefined;
      },
      { description: 'the API token to expire', timeoutMs: 15_000, intervalMs: 250 },
    );
    expect(refused.body.detail).toBe('Invalid API token: API token expired');
    const listed = await acme.get<{ items: ApiToken[] }>('/v1/tokens');
    expect(listed.body.items.find((t) => t.id === created.body.id)?.status).toBe('expired');
  });

  it('is 401 when unknown or forged', async () => {
    const forged = new ApiClient(env.apiUrl, `fdo_${'0'.repeat(24)}_${'A'.repeat(43)}`);
    const res = await forged.get<Problem>('/v1/tenants');
    expect(res.status).toBe(401);
    expect(res.body.detail).toBe('Invalid API token: unknown API token');
  });

  it('of ops staff may administer organisations when given organisations:admin', async () => {
    const created = await ops.post<ApiToken>('/v1/tokens', {
      name: 'provisioning script',
      scopes: ['organisations:admin', 'organisations:read'],
    });
    expect(created.status).toBe(201);
    expect(created.body.roles).toEqual(['ops']);
    const script = new ApiClient(env.apiUrl, created.body.token);
    const id = unique('scripted');
    expect((await script.post('/v1/organisations', { id, name: 'Scripted' })).status).toBe(201);
    expect((await script.get(`/v1/organisations/${id}`)).status).toBe(200);
    expect((await script.get('/v1/machines')).status).toBe(403);
    const audit = await ops.get<{ items: ApiToken[] }>('/v1/tokens');
    expect(audit.body.items.map((t) => t.id)).toContain(created.body.id);
  });
});

describe('protected resource metadata (RFC 9728)', () => {
  it('names the issuer whose tokens the API takes, without a token', async () => {
    const res = await fetch(`${env.apiUrl}/.well-known/oauth-protected-resource`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      resource: env.apiUrl,
      authorization_servers: [env.issuer.issuerUrl],
      bearer_methods_supported: ['header'],
      scopes_supported: expect.arrayContaining(['tenants:read', 'audit:read']),
    });
  });
});
