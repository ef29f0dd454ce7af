import { startTestPlatform, type TestPlatform } from '@fedops/testing';
import { ApiClient } from './api-client';
import { newTenant } from './factories';

/**
 * Every operation that takes a request body, with a valid body for it. 'has a row for every operation
 * of the OpenAPI document that takes a body' fails until a new one is added here.
 */
const BODY_OPERATIONS: ReadonlyArray<{
  operationId: string;
  method: string;
  path: string;
  /** Where it is sent, for a templated path (default: path). */
  url?: string;
  validBody: () => Record<string, unknown>;
  /** Whose token sends it (default acme's operator): ops-only routes refuse operators before reading the body. */
  caller?: 'ops' | 'acme';
}> = [
  { operationId: 'createTenant', method: 'POST', path: '/v1/tenants', validBody: () => newTenant() },
  {
    operationId: 'updateTenant',
    method: 'PATCH',
    path: '/v1/tenants/{id}',
    // No such tenant: a body it can use would be a 404, never a change.
    url: '/v1/tenants/00000000-0000-4000-8000-000000000000',
    validBody: () => ({ apps: { add: [{ app: 'jitsi' }] } }),
  },
  {
    operationId: 'backupTenant',
    method: 'POST',
    path: '/v1/tenants/{id}/backups',
    // No such tenant: a body it can use is a 404, never a backup.
    url: '/v1/tenants/00000000-0000-4000-8000-000000000000/backups',
    validBody: () => ({ apps: ['mastodon'] }),
  },
  {
    operationId: 'setBackupPolicy',
    method: 'PUT',
    path: '/v1/tenants/{id}/backup-policy',
    url: '/v1/tenants/00000000-0000-4000-8000-000000000000/backup-policy',
    validBody: () => ({
      intervalHours: 24,
      retention: { keepDaily: 7 },
      checkIntervalDays: 7,
      checkReadDataPercent: 5,
    }),
  },
  {
    operationId: 'restoreTenant',
    method: 'POST',
    path: '/v1/tenants/{id}/restores',
    url: '/v1/tenants/00000000-0000-4000-8000-000000000000/restores',
    validBody: () => ({ snapshotIds: ['a'.repeat(64)], strategy: 'safe' }),
  },
  {
    operationId: 'createOrganisation',
    method: 'POST',
    path: '/v1/organisations',
    validBody: () => ({ id: 'bodies-org', name: 'Bodies' }),
    caller: 'ops',
  },
  {
    operationId: 'updateOrganisation',
    method: 'PATCH',
    path: '/v1/organisations/{id}',
    url: '/v1/organisations/acme',
    validBody: () => ({ name: 'Acme Corporation, renamed by a request body test' }),
    caller: 'ops',
  },
  {
    operationId: 'addOrganisationMember',
    method: 'POST',
    path: '/v1/organisations/{id}/members',
    url: '/v1/organisations/acme/members',
    validBody: () => ({ subject: 'bodies-member' }),
    caller: 'ops',
  },
  {
    operationId: 'createApiToken',
    method: 'POST',
    path: '/v1/tokens',
    validBody: () => ({ name: 'bodies', scopes: ['tenants:read'] }),
  },
  {
    operationId: 'registerProvider',
    method: 'POST',
    path: '/v1/providers',
    validBody: () => ({
      name: 'bodies-sandbox',
      kind: 'sandbox',
      credentials: {},
      locations: ['local'],
      plans: [{ name: 'small', vcpus: 1, memoryMiB: 1024, diskGiB: 10 }],
      image: 'sandbox',
    }),
    caller: 'ops',
  },
  {
    operationId: 'cleanupMachines',
    method: 'POST',
    path: '/v1/machines/cleanup',
    // A dry run: even a body that got through would delete nothing.
    validBody: () => ({ dryRun: true }),
    caller: 'ops',
  },
];

interface BadBody {
  what: string;
  headers: Record<string, string>;
  body: (valid: Record<string, unknown>) => Uint8Array;
  status: number;
  code: string;
  detail: RegExp;
  /** Refused while the body is read, before routing and so before authentication. */
  beforeAuthentication: boolean;
}

const JSON_TYPE = { 'content-type': 'application/json' };
const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value), 'utf8');
/** The body with a non-ASCII domain, as latin1 bytes: `é` is the single byte 0xE9, invalid in UTF-8. */
const latin1 = (valid: Record<string, unknown>): Buffer =>
  Buffer.from(JSON.stringify({ ...valid, domain: 'café.example' }), 'latin1');

const BAD_BODIES: readonly BadBody[] = [
  {
    what: 'a 200 KiB JSON body',
    headers: JSON_TYPE,
    body: (valid) => json({ ...valid, padding: 'x'.repeat(200 * 1024) }),
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
    detail: /^The request body is larger than the limit of 64 KiB$/,
    beforeAuthentication: true,
  },
  {
    what: 'truncated JSON',
    headers: JSON_TYPE,
    // Cut at 20 bytes, or before the last byte of a body shorter than that (`{"dryRun":true}`).
    body: (valid) => json(valid).subarray(0, Math.min(20, json(valid).length - 1)),
    status: 400,
    code: 'MALFORMED_JSON',
    detail: /^The request body is not valid JSON: \S/,
    beforeAuthentication: true,
  },
  {
    what: 'JSON with invalid UTF-8 bytes in a string',
    headers: JSON_TYPE,
    body: latin1,
    status: 400,
    code: 'MALFORMED_JSON',
    detail: /^The request body is not valid UTF-8$/,
    beforeAuthentication: true,
  },
  {
    what: 'JSON declared as charset latin1',
    headers: { 'content-type': 'application/json; charset=latin1' },
    body: latin1,
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    detail: /^The request body is in charset latin1; JSON must be UTF-8/,
    beforeAuthentication: true,
  },
  {
    what: 'JSON sent as text/plain',
    headers: { 'content-type': 'text/plain' },
    body: json,
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    detail: /^The request body is text\/plain; send JSON as application\/json/,
    beforeAuthentication: true,
  },
  {
    what: 'a form (application/x-www-form-urlencoded)',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: (valid) => Buffer.from(`domain=${String(valid['domain'])}&apps=mastodon`),
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    detail: /^The request body is application\/x-www-form-urlencoded; send JSON as application\/json/,
    beforeAuthentication: true,
  },
  {
    what: 'JSON without a Content-Type',
    headers: {},
    body: json,
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    detail: /^The request body has no Content-Type; send JSON as application\/json/,
    beforeAuthentication: true,
  },
  {
    what: 'JSON with Content-Encoding compress',
    headers: { ...JSON_TYPE, 'content-encoding': 'compress' },
    body: json,
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    detail: /^Content-Encoding compress is not supported/,
    beforeAuthentication: true,
  },
  {
    what: 'a JSON array',
    headers: JSON_TYPE,
    body: (valid) => json([valid]),
    status: 400,
    code: 'VALIDATION_FAILED',
    detail: /^Invalid input: \(body\): must be a JSON object$/,
    beforeAuthentication: false,
  },
  {
    what: 'a JSON string',
    headers: JSON_TYPE,
    body: () => json('acme.example'),
    status: 400,
    code: 'VALIDATION_FAILED',
    detail: /^Invalid input: \(body\): must be a JSON object$/,
    beforeAuthentication: false,
  },
  {
    what: 'an empty body',
    headers: JSON_TYPE,
    body: () => Buffer.alloc(0),
    status: 400,
    code: 'VALIDATION_FAILED',
    detail: /^Invalid input: \(body\): must be a JSON object$/,
    beforeAuthentication: false,
  },
];

const PROBLEM_FIELDS = ['type', 'title', 'status', 'detail', 'instance', 'code', 'errors'];

let env: TestPlatform;
let tenantsBefore: string[];

beforeAll(async () => {
  env = await startTestPlatform('bodies');
  tenantsBefore = await tenantIds();
}, 180_000);

afterAll(async () => {
  await env?.stop();
});

/** Every tenant of every organisation, as ops staff see them. */
async function tenantIds(): Promise<string[]> {
  const res = await new ApiClient(env.apiUrl, env.tokens.ops).get<{ items: Array<{ id: string }> }>(
    '/v1/tenants',
  );
  if (res.status !== 200) throw new Error(`GET /v1/tenants answered ${res.status}`);
  return res.body.items.map((t) => t.id).sort();
}

/** Sends bytes as they are: fetch adds no Content-Type to a Uint8Array body. */
async function send(
  operation: (typeof BODY_OPERATIONS)[number],
  headers: Record<string, string>,
  body: Uint8Array,
  token: string | undefined,
): Promise<{ status: number; contentType: string; text: string }> {
  const res = await fetch(`${env.apiUrl}${operation.url ?? operation.path}`, {
    method: operation.method,
    headers: {
      accept: 'application/json',
      ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body,
  });
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', text: await res.text() };
}

function expectProblem(
  res: { status: number; contentType: string; text: string },
  expected: { status: number; code: string; detail: RegExp; instance: string },
): void {
  expect({ status: res.status, contentType: res.contentType }).toEqual({
    status: expected.status,
    contentType: expect.stringMatching(/^application\/problem\+json/) as unknown,
  });
  const problem = JSON.parse(res.text) as Record<string, unknown>;
  expect(problem).toMatchObject({
    status: expected.status,
    code: expected.code,
    instance: expected.instance,
  });
  expect(problem['detail']).toMatch(expected.detail);
  expect(Object.keys(problem).filter((k) => !PROBLEM_FIELDS.includes(k))).toEqual([]);
  expect(res.text).not.toMatch(/\bat \S+ \(|node_modules|\.js:\d+/);
}

const withToken = BODY_OPERATIONS.flatMap((operation) =>
  BAD_BODIES.map(
    (bad) =>
      [
        `${operation.operationId}: ${bad.what} is answered ${bad.status} ${bad.code} as problem+json ` +
          'with a readable detail and no stack trace, and no tenant is created',
        operation,
        bad,
      ] as const,
  ),
);

const withoutToken = BODY_OPERATIONS.flatMap((operation) =>
  BAD_BODIES.map((bad) => {
    const expected = bad.beforeAuthentication
      ? { status: bad.status, code: bad.code, detail: bad.detail }
      : { status: 401, code: 'UNAUTHENTICATED', detail: /\S/ };
    const name =
      `${operation.operationId} without a token: ${bad.what} is answered ${expected.status} ${expected.code}` +
      (bad.beforeAuthentication
        ? ' (the body is read before authentication)'
        : ' (authentication comes first)');
    return [name, operation, bad, expected] as const;
  }),
);

describe('request bodies the API cannot use are refused with a 4xx problem, never a 5xx', () => {
  it('has a row for every operation of the OpenAPI document that takes a body', async () => {
    const document = (await (await fetch(`${env.apiUrl}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { operationId?: string; requestBody?: unknown }>>;
    };
    const documented = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.entries(item)
        .filter(([, operation]) => operation.requestBody !== undefined)
        .map(([method, operation]) => `${operation.operationId ?? '?'} ${method.toUpperCase()} ${path}`),
    );
    expect(documented.sort()).toEqual(
      BODY_OPERATIONS.map((o) => `${o.operationId} ${o.method} ${o.path}`).sort(),
    );
  });

  it.each(withToken)('%s', async (_name, operation, bad) => {
    const res = await send(
      operation,
      bad.headers,
      bad.body(operation.validBody()),
      env.tokens[operation.caller ?? 'acme'],
    );
    expectProblem(res, { ...bad, instance: operation.url ?? operation.path });
    expect(await tenantIds()).toEqual(tenantsBefore);
  });

  it.each(withoutToken)('%s', async (_name, operation, bad, expected) => {
    const res = await send(operation, bad.headers, bad.body(operation.validBody()), undefined);
    expectProblem(res, { ...expected, instance: operation.url ?? operation.path });
    expect(await tenantIds()).toEqual(tenantsBefore);
  });

  it.each(BODY_OPERATIONS.map((o) => [o.operationId, o] as const))(
    '%s without a token: a valid JSON body is answered 401 UNAUTHENTICATED with a Bearer challenge',
    async (_name, operation) => {
      const res = await fetch(`${env.apiUrl}${operation.url ?? operation.path}`, {
        method: operation.method,
        headers: JSON_TYPE,
        body: JSON.stringify(operation.validBody()),
      });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(((await res.json()) as { code: string }).code).toBe('UNAUTHENTICATED');
      expect(await tenantIds()).toEqual(tenantsBefore);
    },
  );
});
