import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, startTestPlatform, waitFor, type TestPlatform } from '@fedops/testing';
import fc from 'fast-check';
import { ApiClient, type ApiResponse } from './api-client';
import {
  ApiDocument,
  type DocumentedOperation,
  type JsonSchema,
  type UndocumentedAllowance,
} from './api-document';
import { newTenant } from './factories';
import { arbitraryOf, mutationOf } from './schema-arbitrary';

/**
 * Property-based fuzzing of every operation of the served OpenAPI document (fast-check): path
 * parameters (real ids, ids that fit the schema, traversal, NUL, very long, unicode, broken
 * percent-encoding), documented query parameters with random values and unknown ones, the headers
 * the document names (Idempotency-Key, If-Match, Last-Event-ID) and Content-Type and Accept variants,
 * bodies from the request schema with random mutations, arbitrary JSON and bytes that are not JSON.
 * Whatever comes in, the answer is never a 5xx, its status is one the operation documents (or one the
 * HTTP layer gives every route, ALLOWANCES), errors are ProblemDetails without a stack trace, and
 * 2xx JSON bodies validate against the documented schema.
 *
 * Deterministic: the seed is in the describe title (FEDOPS_FUZZ_SEED overrides it); a failure prints
 * fast-check's counterexample and the request and answer.
 */

const SEED = Number(process.env['FEDOPS_FUZZ_SEED'] ?? 20261201);
/** Runs per operation and caller: the whole suite stays within about a minute. */
const RUNS: Record<string, number> = { ops: 30, acme: 30, readOnly: 10, anonymous: 5 };

let env: TestPlatform;
let document: ApiDocument;
let callers: Record<string, ApiClient>;
/** Real ids, so some requests reach real resources. */
let pools: {
  tenant: string;
  operation: string;
  org: string;
  spareOrg: string;
  doomedOrg: string;
  member: string;
  token: string;
  etag: string;
};
/** Tenants a fuzzed body happened to create: deleted at the end. */
const created = new Set<string>();
/** Providers a fuzzed body happened to register (sandbox-kind ones, which hold nothing): removed at the end. */
const registered = new Set<string>();

beforeAll(async () => {
  env = await startTestPlatform('fuzz');
  document = await ApiDocument.fetch(env.apiUrl);
  const ops = new ApiClient(env.apiUrl, env.tokens.ops);
  const acme = new ApiClient(env.apiUrl, env.tokens.acme);
  const readOnly = await acme.post<{ token: string }>('/v1/tokens', {
    name: 'fuzz',
    scopes: ['tenants:read'],
  });
  const spare = await acme.post<{ id: string }>('/v1/tokens', {
    name: 'fuzz spare',
    scopes: ['tenants:read'],
  });
  callers = {
    ops,
    acme,
    readOnly: new ApiClient(env.apiUrl, readOnly.body.token),
    anonymous: new ApiClient(env.apiUrl, undefined),
  };
  for (const id of ['fuzz-spare', 'fuzz-doomed'])
    expect((await ops.post('/v1/organisations', { id, name: id })).status).toBe(201);
  expect((await ops.post('/v1/organisations/fuzz-spare/members', { subject: 'fuzz-member' })).status).toBe(
    201,
  );
  const tenant = await acme.post<{ id: string; operation: { id: string } }>(
    '/v1/tenants',
    newTenant({ apps: ['gotosocial'] }),
  );
  expect(tenant.status).toBe(202);
  await waitFor(
    async () => (await acme.get<{ status: string }>(`/v1/tenants/${tenant.body.id}`)).body.status === 'ready',
    {
      description: 'the fuzz tenant to be ready',
      timeoutMs: 120_000,
      intervalMs: 250,
    },
  );
  pools = {
    tenant: tenant.body.id,
    operation: tenant.body.operation.id,
    org: 'acme',
    spareOrg: 'fuzz-spare',
    doomedOrg: 'fuzz-doomed',
    member: 'fuzz-member',
    token: spare.body.id,
    etag: (await ops.get('/v1/organisations/fuzz-spare')).headers.get('etag') ?? '"none"',
  };
}, 300_000);

afterAll(async () => {
  const ops = callers?.['ops'];
  for (const id of created) await ops?.delete(`/v1/tenants/${id}`);
  for (const id of registered) await ops?.delete(`/v1/providers/${id}`);
  await env?.stop();
});

/** A request as generated: what is sent, and what the allowances need to know about it. */
interface FuzzRequest {
  path: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
  /** A body went to an operation that documents none. */
  unexpectedBody: boolean;
  /** A path parameter is not valid percent-encoding (`%zz`, a lone `%`, bytes that are not UTF-8). */
  undecodablePath: boolean;
}

const printable = (max = 40): fc.Arbitrary<string> =>
  fc.string({
    unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
    maxLength: max,
  });

/** Statuses the HTTP layer answers for any route, though an operation does not document them. */
function allowance(request: FuzzRequest): UndocumentedAllowance | undefined {
  const statuses = new Set<number>();
  // The body is read (and refused) before routing, whatever the route: not JSON (400), too large
  // (413), not JSON's media type or charset (415).
  if (request.unexpectedBody) [400, 413, 415].forEach((s) => statuses.add(s));
  // The router cannot decode the parameter (express: "Failed to decode param"), before any handler.
  if (request.undecodablePath) statuses.add(400);
  return statuses.size === 0
    ? undefined
    : { statuses: [...statuses], why: 'the HTTP layer, before the route' };
}

const decodable = (value: string): boolean => {
  try {
    decodeURIComponent(value);
    return true;
  } catch {
    return false;
  }
};

/** Which real id a path parameter of an operation may take (destructive operations get throw-away ones). */
function realIds(op: DocumentedOperation, name: string): string[] {
  const readOrg = ['getOrganisation', 'listOrganisationMembers', 'addOrganisationMember'].includes(
    op.operationId,
  );
  if (name === 'subject') return [pools.member];
  // The fuzz tenant's app (revealed once, then a 410) and apps it does not have.
  if (name === 'app') return ['gotosocial', 'jitsi', 'mastodon'];
  // Not for deletion, nor for a change (a generated valid change with `If-Match: *` would start an
  // update), a reconcile or a backup (every valid request starts one), a restore, or a new backup
  // policy (which would move its schedule).
  if (op.path.startsWith('/v1/tenants/{id}'))
    return [
      'deleteTenant',
      'updateTenant',
      'reconcileTenant',
      'backupTenant',
      'restoreTenant',
      'setBackupPolicy',
    ].includes(op.operationId)
      ? []
      : [pools.tenant];
  if (op.path.startsWith('/v1/operations/{id}')) return [pools.operation];
  if (op.path.startsWith('/v1/apps/{id}')) return ['mastodon', 'matrix'];
  if (op.path.startsWith('/v1/tokens/{id}')) return [pools.token];
  // The built-in provider, never for removal (it holds the fuzz tenant's machine: a 409 all the same).
  if (op.path.startsWith('/v1/providers/{provider}'))
    return op.operationId === 'removeProvider' ? [] : ['sandbox'];
  if (op.path.startsWith('/v1/organisations/{id}')) {
    if (op.operationId === 'deleteOrganisation') return [pools.doomedOrg];
    return readOrg ? [pools.org, pools.spareOrg] : [pools.spareOrg];
  }
  return [];
}

/** A path parameter's value, already in the URL's form (percent-encoded, or raw on purpose). */
function pathValue(
  op: DocumentedOperation,
  name: string,
  schema: JsonSchema | undefined,
): fc.Arbitrary<string> {
  const real = realIds(op, name);
  // Never empty: `/v1/tenants/` is another route (the list), not this one with an odd id.
  const encoded = (a: fc.Arbitrary<string>): fc.Arbitrary<string> =>
    a.filter((v) => v !== '').map(encodeURIComponent);
  return fc.oneof(
    ...(real.length > 0 ? [{ weight: 4, arbitrary: fc.constantFrom(...real).map(encodeURIComponent) }] : []),
    {
      weight: 3,
      arbitrary: encoded(
        schema === undefined ? fc.string() : (arbitraryOf(schema, resolveRef) as fc.Arbitrary<string>),
      ),
    },
    { weight: 1, arbitrary: encoded(fc.uuid()) },
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        '..%2F..%2F..%2Fetc%2Fpasswd',
        '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
        '..%5C..%5Cwindows',
        '....%2F%2F',
        '%00',
        'acme%00',
        '%2500',
        '%',
        '%zz',
        '%E0%A4%A',
        '%C0%AE%C0%AE%2F',
        '%FF%FE',
        `${'a'.repeat(5000)}`,
        encodeURIComponent('💥'.repeat(300)),
        encodeURIComponent(`${'0b6a3c1e-4f0e-4b8e-9d6a-2f1c3b4a5d6e'}' OR '1'='1`),
        encodeURIComponent('<script>alert(1)</script>'),
        '*',
        '~',
        ';',
      ),
    },
    { weight: 2, arbitrary: encoded(fc.string({ unit: 'grapheme', maxLength: 30 })) },
  );
}

/** A query string: documented parameters with values that fit or not, and unknown ones. */
function queryOf(op: DocumentedOperation): fc.Arbitrary<string> {
  const documented = op.parameters.filter((p) => p.in === 'query');
  const pair = (name: string, value: fc.Arbitrary<unknown>): fc.Arbitrary<[string, string]> =>
    value.map((v) => [name, typeof v === 'string' ? v : JSON.stringify(v)]);
  const anyValue = fc.oneof(fc.string(), fc.integer().map(String), printable(300), fc.constant(''));
  const candidates = [
    ...documented.flatMap((p) => [
      pair(p.name, p.schema === undefined ? anyValue : arbitraryOf(p.schema, resolveRef)),
      pair(p.name, anyValue),
    ]),
    pair('', anyValue),
    fc.tuple(fc.string({ minLength: 1, maxLength: 12 }), anyValue),
  ];
  return fc.array(fc.oneof(...candidates), { maxLength: 4 }).map((pairs) => {
    const query = new URLSearchParams(pairs).toString();
    return query === '' ? '' : `?${query}`;
  });
}

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/merge-patch+json',
  'application/problem+json',
  'application/json; charset=latin1',
  'application/json; charset=utf-16',
  'text/plain',
  'text/json',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/octet-stream',
  '',
  'application/json; charset=utf-8; charset=latin1',
  'application/*',
];

/** Request headers: the documented ones with fitting or random values, Accept and a few strays. */
function headersOf(op: DocumentedOperation): fc.Arbitrary<Record<string, string>> {
  const named = op.parameters.filter((p) => p.in === 'header');
  const values: Record<string, fc.Arbitrary<string>> = {
    'Idempotency-Key': fc.oneof(fc.stringMatching(/^[\x21-\x7e]{1,255}$/), printable(300), fc.constant('')),
    'If-Match': fc.oneof(
      fc.constant(pools.etag),
      fc.constantFrom('*', '"stale"', 'W/"weak"', 'no-quotes', '"a", "b"', ''),
      printable(80),
    ),
    'Last-Event-ID': fc.oneof(
      fc.nat().map(String),
      fc.constantFrom('0', '-1', '99999999999999999999999', '1e9', '0x10', ''),
      printable(40),
    ),
  };
  const entries = named.map((p) =>
    fc.option(
      (values[p.name] ?? printable()).map((v): [string, string] => [p.name.toLowerCase(), v]),
      { nil: undefined, freq: 2 },
    ),
  );
  const accept = fc.option(
    fc.constantFrom(
      'application/json',
      '*/*',
      'text/html',
      'application/xml',
      'text/event-stream',
      'application/problem+json',
    ),
    { nil: undefined },
  );
  const stray = fc.option(
    fc.tuple(fc.constantFrom('x-forwarded-for', 'x-request-id', 'origin', 'cookie'), printable(60)),
    {
      nil: undefined,
    },
  );
  return fc.tuple(fc.tuple(...entries), accept, stray).map(([documented, a, s]) => {
    const headers: Record<string, string> = {};
    for (const entry of documented) if (entry !== undefined) headers[entry[0]] = entry[1].trim();
    if (a !== undefined) headers['accept'] = a;
    if (s !== undefined) headers[s[0]] = s[1].trim();
    return headers;
  });
}

/** The body and its Content-Type: schema-derived (mostly mutated), any JSON, bytes, nothing, huge. */
interface BodyAndType {
  body?: string | Uint8Array;
  contentType?: string;
}

function bodyOf(op: DocumentedOperation): fc.Arbitrary<BodyAndType> {
  const schema = op.requestBody?.content['application/json']?.schema;
  const json = (value: unknown): string => JSON.stringify(value) ?? 'null';
  const fromSchema =
    schema === undefined
      ? fc.jsonValue()
      : arbitraryOf(schema, resolveRef).chain((v) =>
          fc.oneof({ weight: 2, arbitrary: fc.constant(v) }, { weight: 2, arbitrary: mutationOf(v) }),
        );
  const kinds: Array<fc.WeightedArbitrary<string | Uint8Array | undefined>> = [
    { weight: 6, arbitrary: fromSchema.map(json) },
    { weight: 2, arbitrary: fc.jsonValue().map(json) },
    { weight: 1, arbitrary: fc.string() },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '{',
        '{"a":',
        '[1,2',
        '{"domain":"x","domain":"y"}',
        'null',
        '""',
        '{}',
        '[]',
      ),
    },
    { weight: 1, arbitrary: fc.constant(json({ padding: 'x'.repeat(70 * 1024) })) },
    { weight: 1, arbitrary: fc.constant('['.repeat(5000) + ']'.repeat(5000)) },
    { weight: 1, arbitrary: fc.constant(undefined) },
  ];
  // A valid cleanupMachines body with dryRun false deletes orphans only (never an inventory machine),
  // and the fuzz platform has none: fuzzing it as is harms nothing.
  // Now and then a body that is valid as far as anyone can tell (a tenant is created and deleted later).
  if (op.operationId === 'createTenant')
    kinds.push({
      weight: 1,
      arbitrary: fc
        .stringMatching(/^[a-z]{10}$/)
        .map((label) =>
          json(newTenant({ apps: ['gotosocial'], org: 'acme', domain: `fuzz-${label}.example` })),
        ),
    });
  return fc
    .tuple(
      fc.oneof(...kinds),
      fc.oneof(
        { weight: 5, arbitrary: fc.constant('application/json') },
        { weight: 2, arbitrary: fc.constantFrom(...CONTENT_TYPES) },
      ),
    )
    .map(([body, contentType]) => {
      if (body === undefined) return {};
      // No Content-Type at all: the client adds none to bytes.
      if (contentType === '') return { body: typeof body === 'string' ? Buffer.from(body) : body };
      return { body, contentType };
    });
}

function requestOf(op: DocumentedOperation): fc.Arbitrary<FuzzRequest> {
  const params = op.parameters.filter((p) => p.in === 'path');
  const takesBody = op.requestBody !== undefined;
  // Bodies for operations that take none: only where fetch can send one.
  const mayHaveBody = takesBody || op.method === 'POST' || op.method === 'DELETE';
  const none: fc.Arbitrary<BodyAndType> = fc.constant({});
  return fc
    .tuple(
      fc.tuple(...params.map((p) => pathValue(op, p.name, p.schema))),
      queryOf(op),
      headersOf(op),
      mayHaveBody
        ? takesBody
          ? bodyOf(op)
          : fc.oneof({ weight: 4, arbitrary: none }, { weight: 1, arbitrary: bodyOf(op) })
        : none,
    )
    .map(([values, query, headers, { body, contentType }]) => {
      let path = op.path;
      params.forEach((p, i) => (path = path.replace(`{${p.name}}`, values[i] ?? '')));
      return {
        path: path + query,
        headers: { ...headers, ...(contentType !== undefined ? { 'content-type': contentType } : {}) },
        ...(body !== undefined ? { body } : {}),
        unexpectedBody: !takesBody && body !== undefined,
        undecodablePath: values.some((v) => !decodable(v)),
      };
    });
}

function resolveRef(ref: string): JsonSchema {
  const name = ref.replace('#/components/schemas/', '');
  const schema = (document.raw.components as { schemas?: Record<string, JsonSchema> } | undefined)?.schemas?.[
    name
  ];
  if (schema === undefined) throw new Error(`dangling reference ${ref}`);
  return schema;
}

/** Sends the request; what went wrong with the answer, if anything (with enough to reproduce it). */
async function check(op: DocumentedOperation, caller: string, request: FuzzRequest): Promise<void> {
  let res: ApiResponse<unknown>;
  try {
    res = await callers[caller]!.request(op.method, request.path, {
      headers: request.headers,
      ...(request.body !== undefined ? { rawBody: request.body } : {}),
    });
  } catch (err) {
    // A body that is not JSON though the answer says it is, or a connection dropped by the server.
    throw new Error(`${op.method} ${request.path} as ${caller}: ${String(err)}`, { cause: err });
  }
  if (op.operationId === 'createTenant' && res.status === 202) created.add((res.body as { id: string }).id);
  if (op.operationId === 'registerProvider' && res.status === 201)
    registered.add((res.body as { id: string }).id);
  const violations = document.answerViolations(op, res, allowance(request));
  if (violations.length > 0) {
    const shown = typeof res.body === 'string' ? res.body : JSON.stringify(res.body);
    throw new Error(
      `${op.method} ${request.path.slice(0, 300)} as ${caller} -> ${res.status}:\n  ${violations.join('\n  ')}\n  answer: ${shown.slice(0, 600)}`,
    );
  }
}

const plain = (path: string, headers: Record<string, string> = {}): FuzzRequest => ({
  path,
  headers,
  unexpectedBody: false,
  undecodablePath: false,
});

/** Counterexamples fuzzing found once: tried first on every run, whatever the seed. */
const REGRESSIONS: Record<string, FuzzRequest[]> = {
  // Fit the documented pattern but name no time: were a 500 (the database refused the date).
  listAuditLog: [
    plain('/v1/audit?since=0000-00-00T00%3A00%3A00Z'),
    plain('/v1/audit?until=2026-13-01T00%3A00%3A00Z'),
  ],
  // An invalid Idempotency-Key is a 400, which cancel and retry did not document.
  cancelOperation: [plain('/v1/operations/x/cancel', { 'idempotency-key': '' })],
  retryOperation: [plain('/v1/operations/x/retry', { 'idempotency-key': ' ' })],
};

/** The operations of the committed document, to name a test each (the served one must be the same). */
const COMMITTED = new ApiDocument(
  JSON.parse(readFileSync(join(repoRoot(), 'docs', 'openapi.json'), 'utf8')) as ApiDocument['raw'],
);

describe(`every operation under fuzzing (fast-check seed ${SEED}; FEDOPS_FUZZ_SEED=<n> for another)`, () => {
  it('covers every operation of the served document (the committed one)', () => {
    expect(document.operations.map((o) => o.operationId).sort()).toEqual(
      COMMITTED.operations.map((o) => o.operationId).sort(),
    );
  });

  it.each(COMMITTED.operations.map((o, i) => [o.operationId, i] as const))(
    '%s: every answer within the document, never a 5xx',
    async (operationId, i) => {
      const op = document.operation(operationId);
      const failures: string[] = [];
      for (const [caller, numRuns] of Object.entries(RUNS)) {
        const details = await fc.check(
          fc.asyncProperty(requestOf(op), (request) => check(op, caller, request)),
          {
            seed: SEED + i * 7919 + numRuns + caller.length,
            numRuns,
            interruptAfterTimeLimit: 20_000,
            examples: (REGRESSIONS[operationId] ?? []).map((r) => [r] as [FuzzRequest]),
          },
        );
        if (details.failed) {
          const error = details.errorInstance instanceof Error ? details.errorInstance.message : '';
          failures.push(`as ${caller}: ${error}\n${fc.defaultReportMessage(details) ?? ''}`);
        }
      }
      expect(failures).toEqual([]);
    },
    120_000,
  );
});

/** A sandbox-kind provider registration (its connection test needs no credentials). */
function sandboxProvider(name: string): Record<string, unknown> {
  return {
    name,
    kind: 'sandbox',
    credentials: {},
    locations: ['local'],
    plans: [{ name: 'small', vcpus: 1, memoryMiB: 1024, diskGiB: 10 }],
    image: 'sandbox',
  };
}

/** The bad input of the issue, one deterministic case each: a 4xx problem, never a 5xx, no stack trace. */
const BAD_INPUT: ReadonlyArray<{
  what: string;
  operationId: string;
  caller: 'ops' | 'acme';
  /** Sent first (e.g. the request whose Idempotency-Key is then reused). */
  before?: { path: string; body: unknown; headers?: Record<string, string> };
  path: string;
  body?: unknown;
  rawBody?: string | Uint8Array;
  headers?: Record<string, string>;
  status: number;
  code: string;
}> = [
  {
    what: 'malformed JSON',
    operationId: 'createApiToken',
    caller: 'acme',
    path: '/v1/tokens',
    rawBody: '{"name": "x", "scopes": [',
    status: 400,
    code: 'MALFORMED_JSON',
  },
  {
    what: 'an unknown field',
    operationId: 'createApiToken',
    caller: 'acme',
    path: '/v1/tokens',
    body: { name: 'x', scopes: ['tenants:read'], admin: true },
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    what: 'fields of the wrong types',
    operationId: 'createOrganisation',
    caller: 'ops',
    path: '/v1/organisations',
    body: { id: 5, name: ['x'], quotas: { tenants: '3' } },
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    what: 'a 200 KiB body',
    operationId: 'createApiToken',
    caller: 'acme',
    path: '/v1/tokens',
    body: { name: 'x'.repeat(200 * 1024), scopes: ['tenants:read'] },
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
  },
  {
    what: 'gzip that is not gzip',
    operationId: 'createApiToken',
    caller: 'acme',
    path: '/v1/tokens',
    rawBody: '{"name":"x","scopes":["tenants:read"]}',
    headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
    status: 400,
    code: 'MALFORMED_REQUEST',
  },
  {
    what: 'path traversal in a tenant id',
    operationId: 'getTenant',
    caller: 'acme',
    path: '/v1/tenants/..%2F..%2Fetc%2Fpasswd',
    status: 404,
    code: 'NOT_FOUND',
  },
  {
    what: 'path traversal in an operation id',
    operationId: 'cancelOperation',
    caller: 'acme',
    path: '/v1/operations/..%2F..%2Fv1%2Ftenants/cancel',
    status: 404,
    code: 'NOT_FOUND',
  },
  {
    what: 'path traversal in an organisation id',
    operationId: 'deleteOrganisation',
    caller: 'ops',
    path: '/v1/organisations/..%2Facme',
    status: 404,
    code: 'NOT_FOUND',
  },
  {
    what: 'path traversal in a token id',
    operationId: 'revokeApiToken',
    caller: 'acme',
    path: '/v1/tokens/..%2F..%2F',
    status: 404,
    code: 'NOT_FOUND',
  },
  {
    what: 'a NUL in an organisation id (was a 500)',
    operationId: 'getOrganisation',
    caller: 'ops',
    path: '/v1/organisations/acme%00',
    status: 404,
    code: 'NOT_FOUND',
  },
  {
    what: 'a NUL in an organisation id to delete (was a 500)',
    operationId: 'deleteOrganisation',
    caller: 'ops',
    path: '/v1/organisations/acme%00',
    status: 404,
    code: 'NOT_FOUND',
  },
  {
    what: "a NUL in a member's subject",
    operationId: 'removeOrganisationMember',
    caller: 'ops',
    path: '/v1/organisations/fuzz-spare/members/fuzz%00member',
    status: 404,
    code: 'NOT_FOUND',
  },
  {
    what: "a NUL in an organisation's name (was a 500)",
    operationId: 'createOrganisation',
    caller: 'ops',
    path: '/v1/organisations',
    body: { id: 'nul-name', name: 'a\u0000b' },
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    what: "a NUL in a member's issuer (was a 500)",
    operationId: 'addOrganisationMember',
    caller: 'ops',
    path: '/v1/organisations/fuzz-spare/members',
    body: { subject: 'nul-issuer', issuer: 'https://id.example.net/\u0000' },
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    what: "a NUL in an API token's name (was a 500)",
    operationId: 'createApiToken',
    caller: 'acme',
    path: '/v1/tokens',
    body: { name: 'a\u0000b', scopes: ['tenants:read'] },
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    what: 'a stale If-Match',
    operationId: 'updateOrganisation',
    caller: 'ops',
    path: '/v1/organisations/fuzz-spare',
    body: { name: 'Changed against an old version' },
    headers: { 'if-match': '"stale"' },
    status: 412,
    code: 'PRECONDITION_FAILED',
  },
  {
    what: 'no If-Match',
    operationId: 'updateOrganisation',
    caller: 'ops',
    path: '/v1/organisations/fuzz-spare',
    body: { name: 'Changed without a version' },
    status: 428,
    code: 'PRECONDITION_REQUIRED',
  },
  {
    what: 'an Idempotency-Key reused with another body (tokens)',
    operationId: 'createApiToken',
    caller: 'acme',
    before: {
      path: '/v1/tokens',
      body: { name: 'first', scopes: ['tenants:read'] },
      headers: { 'idempotency-key': 'bad-input-token' },
    },
    path: '/v1/tokens',
    body: { name: 'second', scopes: ['tenants:read'] },
    headers: { 'idempotency-key': 'bad-input-token' },
    status: 422,
    code: 'IDEMPOTENCY_KEY_REUSED',
  },
  {
    what: 'an Idempotency-Key reused with another body (organisations)',
    operationId: 'createOrganisation',
    caller: 'ops',
    before: {
      path: '/v1/organisations',
      body: { id: 'idem-first', name: 'First' },
      headers: { 'idempotency-key': 'bad-input-org' },
    },
    path: '/v1/organisations',
    body: { id: 'idem-second', name: 'Second' },
    headers: { 'idempotency-key': 'bad-input-org' },
    status: 422,
    code: 'IDEMPOTENCY_KEY_REUSED',
  },
  {
    what: 'an Idempotency-Key reused with another body (providers)',
    operationId: 'registerProvider',
    caller: 'ops',
    before: {
      path: '/v1/providers',
      body: sandboxProvider('fuzz-idem-first'),
      headers: { 'idempotency-key': 'bad-input-provider' },
    },
    path: '/v1/providers',
    body: sandboxProvider('fuzz-idem-second'),
    headers: { 'idempotency-key': 'bad-input-provider' },
    status: 422,
    code: 'IDEMPOTENCY_KEY_REUSED',
  },
  {
    what: 'a credential its kind does not have',
    operationId: 'registerProvider',
    caller: 'ops',
    path: '/v1/providers',
    body: { ...sandboxProvider('fuzz-creds'), credentials: { token: 'x' } },
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    what: 'path traversal in a provider',
    operationId: 'getProvider',
    caller: 'ops',
    path: '/v1/providers/..%2F..%2Fv1%2Fmachines',
    status: 404,
    code: 'NOT_FOUND',
  },
  {
    what: 'a NUL in a provider',
    operationId: 'removeProvider',
    caller: 'ops',
    path: '/v1/providers/sandbox%00',
    status: 404,
    code: 'NOT_FOUND',
  },
  {
    what: 'a plan no provider offers',
    operationId: 'createTenant',
    caller: 'acme',
    path: '/v1/tenants',
    body: { ...newTenant({ apps: ['gotosocial'] }), plan: 'gigantic' },
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    what: 'a provider that is not registered',
    operationId: 'createTenant',
    caller: 'acme',
    path: '/v1/tenants',
    body: { ...newTenant({ apps: ['gotosocial'] }), placement: { provider: 'nowhere' } },
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    what: 'a cleanup that does not say whether it is a dry run',
    operationId: 'cleanupMachines',
    caller: 'ops',
    path: '/v1/machines/cleanup',
    body: {},
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    what: 'a cleanup with dryRun as a string',
    operationId: 'cleanupMachines',
    caller: 'ops',
    path: '/v1/machines/cleanup',
    body: { dryRun: 'false' },
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    what: 'an id that is not percent-encoding (the HTTP layer: 400 before any route)',
    operationId: 'getTenant',
    caller: 'acme',
    path: '/v1/tenants/%zz',
    status: 400,
    code: 'HTTP_400',
  },
];

describe('bad input is a 4xx problem+json, never a 5xx, never a stack trace', () => {
  it.each(BAD_INPUT.map((c) => [c.what, c] as const))('%s', async (_what, c) => {
    const client = callers[c.caller]!;
    if (c.before !== undefined) {
      const first = await client.post<{ id: string }>(c.before.path, c.before.body, c.before.headers);
      expect(first.status).toBe(201);
      if (c.operationId === 'registerProvider') registered.add(first.body.id);
    }
    const method = document.operation(c.operationId).method;
    const res = await client.request<{ code: string }>(method, c.path, {
      ...(c.body !== undefined ? { body: c.body } : {}),
      ...(c.rawBody !== undefined ? { rawBody: c.rawBody } : {}),
      ...(c.headers !== undefined ? { headers: c.headers } : {}),
    });
    expect({ status: res.status, code: res.body.code }).toEqual({ status: c.status, code: c.code });
    const undecodablePath = c.path.split('/').some((segment) => !decodable(segment));
    expect(
      document.answerViolations(
        document.operation(c.operationId),
        res,
        allowance({ path: c.path, headers: {}, unexpectedBody: false, undecodablePath }),
      ),
    ).toEqual([]);
  });
});
