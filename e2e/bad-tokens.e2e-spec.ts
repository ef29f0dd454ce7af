import { createPublicKey, randomUUID, type JsonWebKey } from 'node:crypto';
import { readIssuerSigningKey, startTestPlatform, waitFor, type TestPlatform } from '@fedops/testing';
import fc from 'fast-check';
import { generateKeyPair, importJWK, SignJWT, type JWK, type JWTPayload, type KeyLike } from 'jose';
import { ApiClient, type ApiResponse } from './api-client';
import { ApiDocument } from './api-document';
import { newTenant } from './factories';

/**
 * Bad credentials at the HTTP edge of the real platform: every one is a 401 problem with a Bearer
 * challenge (RFC 6750 section 3), on every kind of route (reads, writes, ops-only, tokens, the event
 * stream), and nothing is done. Each bad access token differs from a good one in one way only: the
 * good one, minted the same way, passes (`it('the control token ...')`).
 */

interface Problem {
  status: number;
  code: string;
  detail: string;
}

let env: TestPlatform;
let document: ApiDocument;
let signingKey: { kid: string; alg: string; jwk: JWK };

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const now = (): number => Math.floor(Date.now() / 1000);

/** The claims and header the embedded issuer would give fedops-operator-acme, with `edit` applied. */
async function mint(
  edit: {
    claims?: JWTPayload;
    header?: Record<string, unknown>;
    drop?: string[];
    key?: KeyLike | Uint8Array;
  } = {},
): Promise<string> {
  const claims: JWTPayload = {
    iss: env.issuer.issuerUrl,
    sub: 'fedops-operator-acme',
    aud: 'fedops-api',
    iat: now() - 10,
    exp: now() + 300,
    client_id: 'fedops-operator-acme',
    roles: ['operator'],
    org: 'acme',
    ...edit.claims,
  };
  for (const claim of edit.drop ?? []) delete claims[claim];
  const header = { alg: signingKey.alg, kid: signingKey.kid, typ: 'at+jwt', ...edit.header };
  const key = edit.key ?? (await importJWK(signingKey.jwk, signingKey.alg));
  return new SignJWT(claims).setProtectedHeader(header as { alg: string }).sign(key);
}

function flipLastChar(segment: string): string {
  const last = segment.slice(-2, -1);
  return segment.slice(0, -2) + (last === 'A' ? 'B' : 'A') + segment.slice(-1);
}

/** Routes of every kind, each with a request that would succeed (or at least do something) if authenticated. */
const ROUTES: ReadonlyArray<{
  operationId: string;
  method: string;
  path: () => string;
  body?: () => unknown;
}> = [
  { operationId: 'listTenants', method: 'GET', path: () => '/v1/tenants' },
  { operationId: 'getTenant', method: 'GET', path: () => `/v1/tenants/${randomUUID()}` },
  { operationId: 'streamTenantEvents', method: 'GET', path: () => `/v1/tenants/${randomUUID()}/events` },
  {
    operationId: 'createTenant',
    method: 'POST',
    path: () => '/v1/tenants',
    body: () => newTenant({ apps: ['gotosocial'] }),
  },
  { operationId: 'deleteOrganisation', method: 'DELETE', path: () => '/v1/organisations/globex' },
  { operationId: 'listMachines', method: 'GET', path: () => '/v1/machines' },
  {
    operationId: 'createApiToken',
    method: 'POST',
    path: () => '/v1/tokens',
    body: () => ({ name: 'minted with a bad token', scopes: ['tenants:read'] }),
  },
];

/** Sends the request with `authorization` as the raw header value (undefined: none). */
async function call(
  route: (typeof ROUTES)[number],
  authorization: string | undefined,
): Promise<ApiResponse<Problem>> {
  const body = route.body?.();
  return new ApiClient(env.apiUrl, undefined).request<Problem>(route.method, route.path(), {
    headers: {
      ...(authorization !== undefined ? { authorization } : {}),
      ...(route.operationId === 'streamTenantEvents' ? { accept: 'text/event-stream' } : {}),
    },
    ...(body !== undefined ? { body } : {}),
  });
}

function expectRefused(
  res: ApiResponse<Problem>,
  route: (typeof ROUTES)[number],
  detail: RegExp,
  challenge = /^Bearer realm="fedops", error="invalid_token", error_description="[^"]+"$/,
): void {
  expect({
    status: res.status,
    code: res.body.code,
    detail: res.body.detail,
    challenge: res.headers.get('www-authenticate'),
  }).toEqual({
    status: 401,
    code: 'UNAUTHENTICATED',
    detail: expect.stringMatching(detail) as unknown,
    challenge: expect.stringMatching(challenge) as unknown,
  });
  expect(document.answerViolations(document.operation(route.operationId), res)).toEqual([]);
}

beforeAll(async () => {
  env = await startTestPlatform('badtokens');
  document = await ApiDocument.fetch(env.apiUrl);
  signingKey = await readIssuerSigningKey(env.issuer.dataDir);
}, 180_000);

afterAll(async () => {
  await env?.stop();
});

describe('bad access tokens are a 401 with a Bearer challenge on every kind of route', () => {
  it('the control token, minted like the bad ones with nothing wrong, is accepted', async () => {
    const res = await new ApiClient(env.apiUrl, await mint()).get('/v1/tenants');
    expect(res.status).toBe(200);
  });

  const cases: ReadonlyArray<[string, () => Promise<string>, RegExp]> = [
    ['expired a minute ago', () => mint({ claims: { exp: now() - 60 } }), /: token expired$/],
    [
      'not valid for ten minutes yet (nbf)',
      () => mint({ claims: { nbf: now() + 600 } }),
      /: token not yet valid$/,
    ],
    [
      'from another issuer (iss)',
      () => mint({ claims: { iss: 'http://127.0.0.1:9/other' } }),
      /: issuer mismatch$/,
    ],
    ['for another audience (aud)', () => mint({ claims: { aud: 'another-api' } }), /: audience mismatch$/],
    ['without exp', () => mint({ drop: ['exp'] }), /: token has no exp claim$/],
    ['without sub', () => mint({ drop: ['sub'] }), /: token has no sub claim$/],
    ['of type JWT, not at+jwt', () => mint({ header: { typ: 'JWT' } }), /: token type must be at\+jwt$/],
    [
      'unsigned (alg: none)',
      async () => {
        const [, payload] = (await mint()).split('.');
        return `${b64({ alg: 'none', typ: 'at+jwt', kid: signingKey.kid })}.${payload ?? ''}.`;
      },
      /: (malformed token|signing algorithm not allowed|token uses an unsupported algorithm or header)$/,
    ],
    [
      'with a tampered signature',
      async () => {
        const [header, payload, signature] = env.tokens.acme.split('.');
        return `${header ?? ''}.${payload ?? ''}.${flipLastChar(signature ?? '')}`;
      },
      /: signature verification failed$/,
    ],
    [
      "with tampered claims (org: globex) under acme's signature",
      async () => {
        const [header, payload, signature] = env.tokens.acme.split('.');
        const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as JWTPayload;
        return `${header ?? ''}.${b64({ ...claims, org: 'globex' })}.${signature ?? ''}`;
      },
      /: signature verification failed$/,
    ],
    [
      'signed by a key of unknown id',
      async () => {
        const { privateKey } = await generateKeyPair('RS256');
        return mint({ header: { kid: 'not-a-key-of-the-issuer' }, key: privateKey });
      },
      /: token signed by an unknown key \(not from the trusted issuer\)$/,
    ],
    [
      "signed by another key under the issuer's key id",
      async () => mint({ key: (await generateKeyPair('RS256')).privateKey }),
      /: signature verification failed$/,
    ],
    [
      "HS256, with the issuer's public key as the HMAC secret",
      async () => {
        const PRIVATE = ['d', 'p', 'q', 'dp', 'dq', 'qi'];
        const publicJwk = Object.fromEntries(
          Object.entries(signingKey.jwk).filter(([member]) => !PRIVATE.includes(member)),
        );
        const pem = createPublicKey({ key: publicJwk as JsonWebKey, format: 'jwk' }).export({
          type: 'spki',
          format: 'pem',
        });
        return mint({ header: { alg: 'HS256' }, key: new Uint8Array(Buffer.from(pem)) });
      },
      /: (signing algorithm not allowed|token signed by an unknown key \(not from the trusted issuer\))$/,
    ],
    ['not a JWT', async () => 'not-a-jwt', /: malformed token$/],
  ];

  it.each(
    cases.flatMap(([what, token, detail]) =>
      ROUTES.map((route) => [what, route.operationId, route, token, detail] as const),
    ),
  )('an access token %s: %s', async (_what, _operationId, route, token, detail) => {
    expectRefused(
      await call(route, `Bearer ${await token()}`),
      route,
      new RegExp(`^Invalid access token${detail.source}`),
    );
  });

  it.each(ROUTES.map((route) => [route.operationId, route] as const))(
    'no Authorization header, or one that is not a bearer token: %s',
    async (_operationId, route) => {
      expectRefused(await call(route, undefined), route, /^Missing bearer token/, /^Bearer realm="fedops"$/);
      for (const header of [
        'Bearer',
        'Bearer ',
        'Basic YWNtZTpzZWNyZXQ=',
        `Bearer ${env.tokens.acme} extra`,
        'Bearer a"b',
      ]) {
        expectRefused(
          await call(route, header),
          route,
          /^Invalid access token: malformed Authorization header$/,
        );
      }
    },
  );

  it('any header and claims: a 401 or the answer to a good token, never a server error', async () => {
    const route = ROUTES[0]!;
    const headerArb = fc.record(
      {
        alg: fc.constantFrom(
          'RS256',
          'RS512',
          'PS256',
          'ES256',
          'EdDSA',
          'HS256',
          'none',
          'NONE',
          'nOnE',
          '',
        ),
        kid: fc.oneof(fc.constant(signingKey.kid), fc.string(), fc.integer(), fc.constant(null)),
        typ: fc.oneof(fc.constant('at+jwt'), fc.string()),
        crit: fc.array(fc.string(), { maxLength: 2 }),
        jku: fc.webUrl(),
        b64: fc.boolean(),
      },
      { requiredKeys: ['alg'] },
    );
    const claimsArb = fc.record({
      iss: fc.oneof(fc.constant(env.issuer.issuerUrl), fc.string()),
      sub: fc.oneof(fc.constant('fedops-operator-acme'), fc.string(), fc.integer()),
      aud: fc.oneof(fc.constant('fedops-api'), fc.array(fc.string(), { maxLength: 2 })),
      exp: fc.oneof(fc.constant(now() + 300), fc.integer(), fc.string()),
      roles: fc.oneof(fc.constant(['ops']), fc.jsonValue()),
      org: fc.oneof(fc.constant('globex'), fc.jsonValue()),
    });
    const signatureArb = fc.oneof(
      fc.constant(''),
      fc.base64String().map((s) => s.replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_')),
    );
    await fc.assert(
      fc.asyncProperty(headerArb, claimsArb, signatureArb, async (header, claims, signature) => {
        const res = await call(route, `Bearer ${b64(header)}.${b64(claims)}.${signature}`);
        expect(res.status).toBe(401);
        expect(document.answerViolations(document.operation(route.operationId), res)).toEqual([]);
      }),
      { seed: 20261201, numRuns: 150 },
    );
  });
});

describe('bad API tokens are a 401 with a Bearer challenge', () => {
  interface Minted {
    id: string;
    token: string;
  }
  const mintApiToken = async (expiresIn?: number): Promise<Minted> => {
    const res = await new ApiClient(env.apiUrl, env.tokens.acme).post<Minted>('/v1/tokens', {
      name: 'bad tokens',
      scopes: ['tenants:read', 'tenants:write'],
      ...(expiresIn !== undefined ? { expiresIn } : {}),
    });
    expect(res.status).toBe(201);
    return res.body;
  };

  it('revoked', async () => {
    const { id, token } = await mintApiToken();
    expect((await new ApiClient(env.apiUrl, token).get('/v1/tenants')).status).toBe(200);
    expect((await new ApiClient(env.apiUrl, env.tokens.acme).delete(`/v1/tokens/${id}`)).status).toBe(200);
    for (const route of ROUTES)
      expectRefused(await call(route, `Bearer ${token}`), route, /^Invalid API token: API token revoked$/);
  });

  it('expired', async () => {
    const { token } = await mintApiToken(1);
    await waitFor(async () => (await new ApiClient(env.apiUrl, token).get('/v1/tenants')).status === 401, {
      description: 'the API token to expire',
      timeoutMs: 15_000,
      intervalMs: 200,
    });
    for (const route of ROUTES)
      expectRefused(await call(route, `Bearer ${token}`), route, /^Invalid API token: API token expired$/);
  });

  it('garbage that looks like one', async () => {
    const { id, token } = await mintApiToken();
    const secret = token.slice(`fdo_${id}_`.length);
    const garbage: ReadonlyArray<[string, RegExp]> = [
      ['fdo_', /: malformed API token$/],
      ['fdo_x', /: malformed API token$/],
      [`fdo_${id}`, /: malformed API token$/],
      [`fdo_${id}_`, /: malformed API token$/],
      [`fdo_${'0'.repeat(24)}_${secret}`, /: unknown API token$/],
      [`fdo_${id}_${flipLastChar(secret)}`, /: (unknown API token|malformed API token)$/],
      [`fdo_${id}_${secret}A`, /: (unknown API token|malformed API token)$/],
      [`fdo_${id.toUpperCase()}_${secret}`, /: (unknown API token|malformed API token)$/],
      [`fdo_${id}_${secret}_${secret}`, /: (unknown API token|malformed API token)$/],
      [`fdo_${'f'.repeat(2000)}`, /: malformed API token$/],
    ];
    for (const [value, detail] of garbage) {
      for (const route of ROUTES) {
        expectRefused(
          await call(route, `Bearer ${value}`),
          route,
          new RegExp(`^Invalid API token${detail.source}`),
        );
      }
    }
    expect((await new ApiClient(env.apiUrl, token).get('/v1/tenants')).status).toBe(200);
  });

  it('did nothing: no tenant, organisation globex still there, no token minted with a bad one', async () => {
    const ops = new ApiClient(env.apiUrl, env.tokens.ops);
    expect((await ops.get<{ items: unknown[] }>('/v1/tenants')).body.items).toEqual([]);
    expect((await ops.get('/v1/organisations/globex')).status).toBe(200);
    const tokens = await ops.get<{ items: Array<{ name: string }> }>('/v1/tokens?org=acme&limit=200');
    expect(tokens.body.items.filter((t) => t.name === 'minted with a bad token')).toEqual([]);
  });
});
