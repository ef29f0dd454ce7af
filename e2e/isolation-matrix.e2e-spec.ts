import { startTestPlatform, waitFor, type TestPlatform } from '@fedops/testing';
import { ApiClient, type ApiResponse } from './api-client';
import { ApiDocument } from './api-document';
import { newTenant, uniqueDomain } from './factories';

/**
 * Who may do what to whom: every operation of the served OpenAPI document, called by every kind of
 * caller on a resource of organisation acme and on one of globex. An operator's own organisation's
 * resource is allowed (within role and scopes), the other's is a 404 as if it did not exist; an
 * ops-only route is a 403 for operators, a missing scope a 403 for API tokens, no token a 401. Calls
 * that would change something when allowed are made harmless (a conflict, a stale If-Match, an
 * invalid body, an already deleted tenant, a provider that still holds machines, a dry run of the
 * orphan cleanup); refused ones aim at live resources, which are checked to be untouched afterwards.
 */

type Org = 'acme' | 'globex';
const ORGS: readonly Org[] = ['acme', 'globex'];
const other = (org: Org): Org => (org === 'acme' ? 'globex' : 'acme');

interface Caller {
  name: string;
  token: () => string | undefined;
  role?: 'ops' | 'operator';
  org?: Org;
  /** An API token's scopes (absent: the identity provider's token, with every scope of its role). */
  scopes?: readonly string[];
  /** Its subject (an API token's: its creator's), the actor of its audit lines. */
  subject?: string;
}

/** The read-only scopes of the API token in the matrix. */
const READ_ONLY_SCOPES = ['tenants:read', 'organisations:read', 'audit:read'] as const;

interface Tenant {
  id: string;
  org: string;
  domain: string;
  status: string;
  operation: { id: string };
}
interface Listed {
  items: Array<Record<string, unknown> & { id?: string; org?: string }>;
}

/** What the matrix works on, per organisation. */
interface OrgFixtures {
  /** Ready, with its deploy operation succeeded: read, and aimed at by refused mutations. */
  live: Tenant;
  /** Deleted already: an allowed DELETE on it changes nothing. */
  gone: Tenant;
  /** An API token its operator made, which allowed revocations revoke (again). */
  spareTokenId: string;
  /** A member that stays; adding it again is a conflict. */
  member: string;
  /** A member that the ops cell of removeOrganisationMember removes (added again before it). */
  removable: string;
}

let env: TestPlatform;
let document: ApiDocument;
let clients: Record<string, ApiClient>;
let fixtures: Record<Org, OrgFixtures>;
let readOnlyToken: string;

const CALLERS: readonly Caller[] = [
  { name: 'ops staff', token: () => env.tokens.ops, role: 'ops', subject: 'fedops-ops' },
  {
    name: 'operator of acme',
    token: () => env.tokens.acme,
    role: 'operator',
    org: 'acme',
    subject: 'fedops-operator-acme',
  },
  {
    name: 'operator of globex',
    token: () => env.tokens.globex,
    role: 'operator',
    org: 'globex',
    subject: 'fedops-operator-globex',
  },
  {
    name: 'read-only API token of acme',
    token: () => readOnlyToken,
    role: 'operator',
    org: 'acme',
    scopes: READ_ONLY_SCOPES,
    subject: 'fedops-operator-acme',
  },
  { name: 'no token', token: () => undefined },
];

interface Request {
  method: string;
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
}

interface Row {
  operationId: string;
  /** The roles that may call it (the policy, pinned here; the document must say the same). */
  roles: ReadonlyArray<'ops' | 'operator'>;
  /** The scopes it needs; undefined: only the identity provider's tokens (API tokens are refused). */
  scopes: readonly string[] | undefined;
  /** Whether it acts on an organisation's resource (otherwise both targets send the same request). */
  targeted: boolean;
  request: (target: Org, visible: boolean) => Request;
  /** The answer when the caller may act on the target. */
  allowed: (caller: Caller) => number;
  /** The answer for another organisation's target (default 404). */
  foreign?: number;
  /** For a list: what its items must satisfy (never an item of another organisation). */
  listCheck?: (items: Listed['items'], caller: Caller, target: Org) => void;
  /** The target as ops staff see it, compared before and after a refused call: nothing changed. */
  state?: (target: Org) => Promise<unknown>;
  /** Set up just before the call (idempotent). */
  before?: (caller: Caller, target: Org) => Promise<void>;
}

const asOps = (): ApiClient => clients['ops staff']!;

async function opsGet(path: string): Promise<unknown> {
  const res = await asOps().get(path);
  return { status: res.status, etag: res.headers.get('etag'), body: res.body };
}

/** The tenants of an organisation, as ops staff list them. */
const tenantsOf = async (org: Org): Promise<unknown> =>
  ((await asOps().get<Listed>(`/v1/tenants?org=${org}&limit=200`)).body.items ?? [])
    .map((t) => `${String(t.id)} ${String(t['status'])}`)
    .sort();

const operationsOf = async (org: Org): Promise<unknown> =>
  (
    (await asOps().get<Listed>(`/v1/operations?tenant=${fixtures[org].live.id}&limit=200`)).body.items ?? []
  ).map((o) => `${String(o.id)} ${String(o['status'])}`);

/** The registered providers as ops staff see them (names, statuses, last checks, usage). */
const providersState = async (): Promise<unknown> =>
  ((await asOps().get<Listed>('/v1/providers?limit=200')).body.items ?? []).map((p) => [
    p['name'],
    p['status'],
    p['lastCheck'],
    p['usage'],
  ]);

/** The fleet's machines and the reconciler's findings, as ops staff see them. */
const fleetState = async (): Promise<unknown> => {
  const body = (
    await asOps().get<Listed & { reconciliation: { findings: unknown[] } | null }>('/v1/machines')
  ).body;
  return [body.items.map((m) => m['machineId']).sort(), body.reconciliation?.findings ?? null];
};

/** Every item belongs to the caller's organisation, unless the caller is ops staff. */
function ownOnly(field: string) {
  return (items: Listed['items'], caller: Caller): void => {
    if (caller.role === 'ops') return;
    expect(items.filter((i) => i[field] !== caller.org)).toEqual([]);
  };
}

const ROWS: readonly Row[] = [
  {
    operationId: 'listApps',
    roles: ['ops', 'operator'],
    scopes: ['tenants:read'],
    targeted: false,
    request: () => ({ method: 'GET', path: '/v1/apps' }),
    allowed: () => 200,
  },
  {
    operationId: 'getApp',
    roles: ['ops', 'operator'],
    scopes: ['tenants:read'],
    // The catalog is the same for every organisation.
    targeted: false,
    request: () => ({ method: 'GET', path: '/v1/apps/mastodon' }),
    allowed: () => 200,
  },
  {
    operationId: 'listAuditLog',
    roles: ['ops', 'operator'],
    scopes: ['audit:read'],
    targeted: true,
    request: (org) => ({ method: 'GET', path: `/v1/audit?org=${org}&limit=200` }),
    allowed: () => 200,
    foreign: 200,
    listCheck: (items, caller, target) => {
      ownOnly('org')(items, caller);
      if (caller.role === 'ops') expect(items.filter((i) => i.org !== target)).toEqual([]);
    },
  },
  {
    operationId: 'listMachines',
    roles: ['ops'],
    scopes: ['fleet:read'],
    targeted: false,
    request: () => ({ method: 'GET', path: '/v1/machines' }),
    allowed: () => 200,
  },
  {
    operationId: 'cleanupMachines',
    roles: ['ops'],
    scopes: ['fleet:write'],
    targeted: false,
    // Allowed: a dry run, which deletes nothing (and there is no orphan to delete).
    request: () => ({ method: 'POST', path: '/v1/machines/cleanup', body: { dryRun: true } }),
    allowed: () => 200,
    state: fleetState,
  },
  {
    operationId: 'listProviders',
    roles: ['ops'],
    scopes: ['providers:read'],
    targeted: false,
    request: () => ({ method: 'GET', path: '/v1/providers?limit=200' }),
    allowed: () => 200,
    listCheck: (items) => expect(items.map((p) => p['name'])).toContain('sandbox'),
  },
  {
    operationId: 'getProvider',
    roles: ['ops'],
    scopes: ['providers:read'],
    targeted: false,
    request: () => ({ method: 'GET', path: '/v1/providers/sandbox' }),
    allowed: () => 200,
  },
  {
    operationId: 'registerProvider',
    roles: ['ops'],
    scopes: ['providers:write'],
    targeted: false,
    // The name is taken (the built-in sandbox provider): a conflict, before any connection test.
    request: () => ({
      method: 'POST',
      path: '/v1/providers',
      body: {
        name: 'sandbox',
        kind: 'sandbox',
        credentials: {},
        locations: ['local'],
        plans: [{ name: 'small', vcpus: 1, memoryMiB: 1024, diskGiB: 10 }],
        image: 'sandbox',
      },
    }),
    allowed: () => 409,
    state: providersState,
  },
  {
    operationId: 'testProvider',
    roles: ['ops'],
    scopes: ['providers:write'],
    targeted: false,
    // Allowed: the test runs again (it records `lastCheck`, nothing else changes).
    request: () => ({ method: 'POST', path: '/v1/providers/sandbox/test' }),
    allowed: () => 200,
    state: providersState,
  },
  {
    operationId: 'removeProvider',
    roles: ['ops'],
    scopes: ['providers:write'],
    targeted: false,
    // The sandbox provider holds the live tenants' machines: a conflict naming them.
    request: () => ({ method: 'DELETE', path: '/v1/providers/sandbox' }),
    allowed: () => 409,
    state: providersState,
  },
  {
    operationId: 'listOperations',
    roles: ['ops', 'operator'],
    scopes: ['tenants:read'],
    targeted: true,
    request: (org) => ({ method: 'GET', path: `/v1/operations?tenant=${fixtures[org].live.id}` }),
    allowed: () => 200,
    foreign: 200,
    listCheck: (items, caller, target) => {
      ownOnly('org')(items, caller);
      const visible = caller.role === 'ops' || caller.org === target;
      expect(items.map((o) => o.id)).toEqual(visible ? [fixtures[target].live.operation.id] : []);
    },
  },
  {
    operationId: 'getOperation',
    roles: ['ops', 'operator'],
    scopes: ['tenants:read'],
    targeted: true,
    request: (org) => ({ method: 'GET', path: `/v1/operations/${fixtures[org].live.operation.id}` }),
    allowed: () => 200,
  },
  {
    operationId: 'cancelOperation',
    roles: ['ops', 'operator'],
    scopes: ['operations:write'],
    targeted: true,
    // The deploy succeeded: cancelling it is a conflict.
    request: (org) => ({ method: 'POST', path: `/v1/operations/${fixtures[org].live.operation.id}/cancel` }),
    allowed: () => 409,
    state: operationsOf,
  },
  {
    operationId: 'retryOperation',
    roles: ['ops', 'operator'],
    scopes: ['operations:write'],
    targeted: true,
    // Only a failed or cancelled operation can be retried: a conflict.
    request: (org) => ({ method: 'POST', path: `/v1/operations/${fixtures[org].live.operation.id}/retry` }),
    allowed: () => 409,
    state: operationsOf,
  },
  {
    operationId: 'listOrganisations',
    roles: ['ops'],
    scopes: ['organisations:read'],
    targeted: false,
    request: () => ({ method: 'GET', path: '/v1/organisations?limit=200' }),
    allowed: () => 200,
    listCheck: (items) => expect(items.map((o) => o.id)).toEqual(expect.arrayContaining(['acme', 'globex'])),
  },
  {
    operationId: 'createOrganisation',
    roles: ['ops'],
    scopes: ['organisations:admin'],
    targeted: true,
    request: (org) => ({ method: 'POST', path: '/v1/organisations', body: { id: org, name: 'Taken' } }),
    allowed: () => 409,
    state: (org) => opsGet(`/v1/organisations/${org}`),
  },
  {
    operationId: 'deleteOrganisation',
    roles: ['ops'],
    scopes: ['organisations:admin'],
    targeted: true,
    // It has a live tenant: a conflict.
    request: (org) => ({ method: 'DELETE', path: `/v1/organisations/${org}` }),
    allowed: () => 409,
    state: (org) => opsGet(`/v1/organisations/${org}`),
  },
  {
    operationId: 'getOrganisation',
    roles: ['ops', 'operator'],
    scopes: ['organisations:read'],
    targeted: true,
    request: (org) => ({ method: 'GET', path: `/v1/organisations/${org}` }),
    allowed: () => 200,
  },
  {
    operationId: 'updateOrganisation',
    roles: ['ops'],
    scopes: ['organisations:admin'],
    targeted: true,
    request: (org) => ({
      method: 'PATCH',
      path: `/v1/organisations/${org}`,
      body: { name: 'Renamed by the isolation matrix', quotas: { tenants: 0 } },
      headers: { 'if-match': '"stale"' },
    }),
    allowed: () => 412,
    state: (org) => opsGet(`/v1/organisations/${org}`),
  },
  {
    operationId: 'listOrganisationMembers',
    roles: ['ops'],
    scopes: ['organisations:read'],
    targeted: true,
    request: (org) => ({ method: 'GET', path: `/v1/organisations/${org}/members?limit=200` }),
    allowed: () => 200,
    listCheck: (items, _caller, target) => {
      expect(items.filter((m) => m.org !== target)).toEqual([]);
      expect(items.map((m) => m['subject'])).toContain(fixtures[target].member);
    },
  },
  {
    operationId: 'addOrganisationMember',
    roles: ['ops'],
    scopes: ['organisations:admin'],
    targeted: true,
    // A member already.
    request: (org) => ({
      method: 'POST',
      path: `/v1/organisations/${org}/members`,
      body: { subject: fixtures[org].member },
    }),
    allowed: () => 409,
    state: (org) => opsGet(`/v1/organisations/${org}/members?limit=200`),
  },
  {
    operationId: 'removeOrganisationMember',
    roles: ['ops'],
    scopes: ['organisations:admin'],
    targeted: true,
    request: (org) => ({
      method: 'DELETE',
      path: `/v1/organisations/${org}/members/${fixtures[org].removable}`,
    }),
    allowed: () => 200,
    state: (org) => opsGet(`/v1/organisations/${org}/members?limit=200`),
    before: async (_caller, org) => {
      const res = await asOps().post(`/v1/organisations/${org}/members`, {
        subject: fixtures[org].removable,
      });
      expect([201, 409]).toContain(res.status);
    },
  },
  {
    operationId: 'listTenants',
    roles: ['ops', 'operator'],
    scopes: ['tenants:read'],
    targeted: true,
    request: (org) => ({ method: 'GET', path: `/v1/tenants?org=${org}&limit=200` }),
    allowed: () => 200,
    foreign: 200,
    listCheck: (items, caller, target) => {
      ownOnly('org')(items, caller);
      const visible = caller.role === 'ops' || caller.org === target;
      expect(items.map((t) => t.id).sort()).toEqual(
        visible ? [fixtures[target].live.id, fixtures[target].gone.id].sort() : [],
      );
    },
  },
  {
    operationId: 'createTenant',
    roles: ['ops', 'operator'],
    scopes: ['tenants:write'],
    targeted: true,
    // Allowed: an invalid domain (400, nothing stored). Foreign: a valid tenant in the other organisation.
    request: (org, visible) => ({
      method: 'POST',
      path: '/v1/tenants',
      body: newTenant({ org, apps: ['gotosocial'], ...(visible ? { domain: 'not a domain' } : {}) }),
    }),
    allowed: () => 400,
    foreign: 403,
    state: tenantsOf,
  },
  {
    operationId: 'deleteTenant',
    roles: ['ops', 'operator'],
    scopes: ['tenants:write'],
    targeted: true,
    // Allowed: the deleted tenant (deleted already, 200). Foreign: the live one.
    request: (org, visible) => ({
      method: 'DELETE',
      path: `/v1/tenants/${(visible ? fixtures[org].gone : fixtures[org].live).id}`,
    }),
    allowed: () => 200,
    state: async (org) => [await opsGet(`/v1/tenants/${fixtures[org].live.id}`), await operationsOf(org)],
  },
  {
    operationId: 'updateTenant',
    roles: ['ops', 'operator'],
    scopes: ['tenants:write'],
    targeted: true,
    // Allowed: a valid change against a stale version (412, nothing started). Foreign: a 404.
    request: (org) => ({
      method: 'PATCH',
      path: `/v1/tenants/${fixtures[org].live.id}`,
      body: { apps: { add: [{ app: 'jitsi' }] } },
      headers: { 'if-match': '"stale"' },
    }),
    allowed: () => 412,
    state: async (org) => [await opsGet(`/v1/tenants/${fixtures[org].live.id}`), await operationsOf(org)],
  },
  {
    operationId: 'reconcileTenant',
    roles: ['ops', 'operator'],
    scopes: ['tenants:write'],
    targeted: true,
    // Allowed: the deleted tenant (409, nothing started). Foreign: the live one, a 404.
    request: (org, visible) => ({
      method: 'POST',
      path: `/v1/tenants/${(visible ? fixtures[org].gone : fixtures[org].live).id}/reconcile`,
    }),
    allowed: () => 409,
    state: async (org) => [await opsGet(`/v1/tenants/${fixtures[org].live.id}`), await operationsOf(org)],
  },
  {
    operationId: 'listSnapshots',
    roles: ['ops', 'operator'],
    scopes: ['tenants:read'],
    targeted: true,
    request: (org) => ({ method: 'GET', path: `/v1/tenants/${fixtures[org].live.id}/snapshots` }),
    allowed: () => 200,
  },
  {
    operationId: 'getBackupPolicy',
    roles: ['ops', 'operator'],
    scopes: ['tenants:read'],
    targeted: true,
    request: (org) => ({ method: 'GET', path: `/v1/tenants/${fixtures[org].live.id}/backup-policy` }),
    allowed: () => 200,
  },
  {
    operationId: 'setBackupPolicy',
    roles: ['ops', 'operator'],
    scopes: ['tenants:write'],
    targeted: true,
    // Allowed: the deleted tenant (409, nothing changed). Foreign: the live one, a 404.
    request: (org, visible) => ({
      method: 'PUT',
      path: `/v1/tenants/${(visible ? fixtures[org].gone : fixtures[org].live).id}/backup-policy`,
      body: { intervalHours: 12, retention: { keepLast: 2 }, checkIntervalDays: 7, checkReadDataPercent: 5 },
    }),
    allowed: () => 409,
    state: async (org) => [await opsGet(`/v1/tenants/${fixtures[org].live.id}`)],
  },
  {
    operationId: 'backupTenant',
    roles: ['ops', 'operator'],
    scopes: ['tenants:write'],
    targeted: true,
    // Allowed: the deleted tenant (409, nothing started). Foreign: the live one, a 404.
    request: (org, visible) => ({
      method: 'POST',
      path: `/v1/tenants/${(visible ? fixtures[org].gone : fixtures[org].live).id}/backups`,
      body: {},
    }),
    allowed: () => 409,
    state: async (org) => [await opsGet(`/v1/tenants/${fixtures[org].live.id}`), await operationsOf(org)],
  },
  {
    operationId: 'restoreTenant',
    roles: ['ops', 'operator'],
    scopes: ['tenants:write'],
    targeted: true,
    // Allowed: the deleted tenant (409 before its snapshots are looked up). Foreign: the live one, a 404.
    request: (org, visible) => ({
      method: 'POST',
      path: `/v1/tenants/${(visible ? fixtures[org].gone : fixtures[org].live).id}/restores`,
      body: { snapshotIds: ['0'.repeat(64)], strategy: 'safe' },
    }),
    allowed: () => 409,
    state: async (org) => [await opsGet(`/v1/tenants/${fixtures[org].live.id}`), await operationsOf(org)],
  },
  {
    operationId: 'getTenant',
    roles: ['ops', 'operator'],
    scopes: ['tenants:read'],
    targeted: true,
    request: (org) => ({ method: 'GET', path: `/v1/tenants/${fixtures[org].live.id}` }),
    allowed: () => 200,
  },
  {
    operationId: 'streamTenantEvents',
    roles: ['ops', 'operator'],
    scopes: ['tenants:read'],
    targeted: true,
    request: (org) => ({
      method: 'GET',
      path: `/v1/tenants/${fixtures[org].live.id}/events`,
      headers: { accept: 'text/event-stream' },
    }),
    allowed: () => 200,
  },
  {
    operationId: 'createStreamTicket',
    roles: ['ops', 'operator'],
    scopes: ['tenants:read'],
    targeted: true,
    request: (org) => ({ method: 'POST', path: `/v1/tenants/${fixtures[org].live.id}/events/tickets` }),
    allowed: () => 201,
  },
  {
    operationId: 'revealAdminCredentials',
    roles: ['ops', 'operator'],
    scopes: ['tenants:write'],
    targeted: true,
    // Allowed: revealed already (by ops staff, just before), so a 410 that shows nothing. Foreign: a
    // 404 that says nothing of the tenant, as for every other tenant route.
    request: (org) => ({
      method: 'POST',
      path: `/v1/tenants/${fixtures[org].live.id}/apps/gotosocial/admin-credentials`,
    }),
    allowed: () => 410,
    before: async (_caller, org) => {
      const res = await asOps().request(
        'POST',
        `/v1/tenants/${fixtures[org].live.id}/apps/gotosocial/admin-credentials`,
      );
      expect([200, 410]).toContain(res.status);
    },
  },
  {
    operationId: 'listApiTokens',
    roles: ['ops', 'operator'],
    scopes: undefined,
    targeted: true,
    // `org` is for ops staff only; operators list their own tokens without it.
    request: (org) => ({ method: 'GET', path: `/v1/tokens?org=${org}&limit=200` }),
    allowed: (caller) => (caller.role === 'ops' ? 200 : 403),
    foreign: 403,
    listCheck: (items, _caller, target) => expect(items.filter((t) => t.org !== target)).toEqual([]),
  },
  {
    operationId: 'createApiToken',
    roles: ['ops', 'operator'],
    scopes: undefined,
    targeted: false,
    request: () => ({
      method: 'POST',
      path: '/v1/tokens',
      body: { name: 'isolation matrix', scopes: ['tenants:read'], expiresIn: 300 },
    }),
    allowed: () => 201,
  },
  {
    operationId: 'revokeApiToken',
    roles: ['ops', 'operator'],
    scopes: undefined,
    targeted: true,
    // Revoking a revoked token again is a 200 that changes nothing.
    request: (org) => ({ method: 'DELETE', path: `/v1/tokens/${fixtures[org].spareTokenId}` }),
    allowed: () => 200,
    state: async (org) =>
      ((await asOps().get<Listed>(`/v1/tokens?org=${org}&limit=200`)).body.items ?? [])
        .filter((t) => t.id === fixtures[org].spareTokenId)
        .map((t) => [t['status'], t['revokedAt']]),
  },
];

/** The answer the policy gives `caller` for `row` on `target`'s resource. */
function expectedStatus(caller: Caller, row: Row, target: Org): number {
  if (caller.role === undefined) return 401;
  if (!row.roles.includes(caller.role)) return 403;
  if (
    caller.scopes !== undefined &&
    (row.scopes === undefined || !row.scopes.every((s) => caller.scopes?.includes(s)))
  )
    return 403;
  return visibleTo(caller, row, target) ? row.allowed(caller) : (row.foreign ?? 404);
}

function visibleTo(caller: Caller, row: Row, target: Org): boolean {
  return !row.targeted || caller.role === 'ops' || caller.org === target;
}

/** Ids, domains and names of an organisation's fixtures: none may reach another organisation's caller. */
function identifiersOf(org: Org): string[] {
  const f = fixtures[org];
  return [
    f.live.id,
    f.live.domain,
    f.live.operation.id,
    f.gone.id,
    f.gone.domain,
    f.gone.operation.id,
    f.spareTokenId,
    f.member,
  ];
}

async function waitForStatus(api: ApiClient, id: string, status: string): Promise<Tenant> {
  return waitFor(
    async () => {
      const res = await api.get<Tenant>(`/v1/tenants/${id}`);
      return res.body.status === status ? res.body : undefined;
    },
    { description: `tenant ${id} to be ${status}`, timeoutMs: 180_000, intervalMs: 250 },
  );
}

async function orgFixtures(org: Org): Promise<OrgFixtures> {
  const operator = clients[`operator of ${org}`]!;
  const [live, gone] = await Promise.all(
    ['live', 'gone'].map(async (kind) => {
      const created = await operator.post<Tenant>(
        '/v1/tenants',
        newTenant({ apps: ['gotosocial'], domain: uniqueDomain(`matrix-${kind}-${org}`) }),
      );
      if (created.status !== 202) throw new Error(`creating a tenant of ${org} answered ${created.status}`);
      if (kind === 'gone') {
        await waitForStatus(operator, created.body.id, 'ready');
        expect((await operator.delete(`/v1/tenants/${created.body.id}`)).status).toBe(202);
        return waitForStatus(operator, created.body.id, 'deleted');
      }
      return waitForStatus(operator, created.body.id, 'ready');
    }),
  );
  const spare = await operator.post<{ id: string }>('/v1/tokens', {
    name: 'spare',
    scopes: ['tenants:read'],
  });
  expect(spare.status).toBe(201);
  const member = `matrix-member-${org}`;
  expect((await asOps().post(`/v1/organisations/${org}/members`, { subject: member })).status).toBe(201);
  return {
    live: live!,
    gone: gone!,
    spareTokenId: spare.body.id,
    member,
    removable: `matrix-removable-${org}`,
  };
}

beforeAll(async () => {
  env = await startTestPlatform('isolation');
  document = await ApiDocument.fetch(env.apiUrl);
  clients = {
    'ops staff': new ApiClient(env.apiUrl, env.tokens.ops),
    'operator of acme': new ApiClient(env.apiUrl, env.tokens.acme),
    'operator of globex': new ApiClient(env.apiUrl, env.tokens.globex),
  };
  const readOnly = await clients['operator of acme']!.post<{ token: string }>('/v1/tokens', {
    name: 'isolation matrix, read only',
    scopes: READ_ONLY_SCOPES,
  });
  expect(readOnly.status).toBe(201);
  readOnlyToken = readOnly.body.token;
  const [acme, globex] = await Promise.all(ORGS.map(orgFixtures));
  fixtures = { acme: acme!, globex: globex! };
}, 300_000);

afterAll(async () => {
  await env?.stop();
});

const cells = ROWS.flatMap((row) =>
  CALLERS.flatMap((caller) =>
    (row.targeted ? ORGS : (['acme'] as const)).map((target) => {
      const name =
        (row.targeted
          ? `${row.operationId} on a resource of ${target} as ${caller.name}`
          : `${row.operationId} as ${caller.name}`) + `: ${expectedStatus(caller, row, target)}`;
      return [name, row, caller, target] as const;
    }),
  ),
);

describe('the isolation matrix', () => {
  it('has a row for every operation of the served document, with its roles and scopes', () => {
    expect(document.operations.map((o) => o.operationId).sort()).toEqual(
      ROWS.map((r) => r.operationId).sort(),
    );
    for (const row of ROWS) {
      const op = document.operation(row.operationId);
      expect({ operationId: row.operationId, roles: op.roles, scopes: op.scopes }).toEqual({
        operationId: row.operationId,
        roles: row.roles,
        scopes: row.scopes,
      });
    }
  });

  it.each(cells)('%s', async (_name, row, caller, target) => {
    const visible = visibleTo(caller, row, target);
    const expected = expectedStatus(caller, row, target);
    await row.before?.(caller, target);
    const before = expected >= 400 ? await row.state?.(target) : undefined;
    const request = row.request(target, visible);
    const client = new ApiClient(env.apiUrl, caller.token());
    const res: ApiResponse<unknown> = await client.request(request.method, request.path, {
      ...(request.body !== undefined ? { body: request.body } : {}),
      ...(request.headers !== undefined ? { headers: request.headers } : {}),
    });

    const problem = res.body as { code?: string; detail?: string };
    expect({ status: res.status, detail: res.status >= 400 ? problem.detail : undefined }).toEqual({
      status: expected,
      detail: expected >= 400 ? expect.any(String) : undefined,
    });
    expect(document.answerViolations(document.operation(row.operationId), res)).toEqual([]);
    if (expected === 401) expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="fedops"/);
    if (row.operationId === 'streamTenantEvents' && expected === 200)
      expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    if (res.status === 200 && row.listCheck !== undefined)
      row.listCheck((res.body as Listed).items, caller, target);

    // Nothing of the other organisation reaches an operator, unless the request itself named it.
    if (caller.org !== undefined) {
      const asked = JSON.stringify(request);
      const text = JSON.stringify(res.body);
      expect(
        identifiersOf(other(caller.org)).filter((id) => text.includes(id) && !asked.includes(id)),
      ).toEqual([]);
    }
    if (before !== undefined) expect(await row.state?.(target)).toEqual(before);
  });

  it('lists only what belongs to the caller: tenants, operations, audit lines, tokens, organisations', async () => {
    for (const caller of CALLERS.filter((c) => c.role === 'operator')) {
      const client = new ApiClient(env.apiUrl, caller.token());
      const foreign = identifiersOf(other(caller.org!));
      for (const path of ['/v1/tenants', '/v1/operations', '/v1/audit', '/v1/tokens', '/v1/organisations']) {
        const res = await client.get<Listed>(`${path}?limit=200`);
        if (path === '/v1/organisations') {
          expect({ path, status: res.status }).toEqual({ path, status: 403 });
          continue;
        }
        // The read-only API token may not list tokens (identity provider's tokens only).
        if (path === '/v1/tokens' && caller.scopes !== undefined) {
          expect({ path, status: res.status }).toEqual({ path, status: 403 });
          continue;
        }
        expect({ path, status: res.status }).toEqual({ path, status: 200 });
        // The audit log records the caller's own refused attempts (a 404 on the other organisation's
        // tenant): lines of its own organisation naming what it sent, which reveal nothing.
        const shown = res.body.items.filter(
          (i) =>
            !(path === '/v1/audit' && i['actor'] === caller.subject && /^4\d\d$/.test(String(i['result']))),
        );
        const text = JSON.stringify(shown);
        expect({ path, caller: caller.name, foreign: foreign.filter((id) => text.includes(id)) }).toEqual({
          path,
          caller: caller.name,
          foreign: [],
        });
        if (path !== '/v1/tokens') expect(res.body.items.filter((i) => i.org !== caller.org)).toEqual([]);
      }
      const own = fixtures[caller.org!];
      const tenants = (await client.get<Listed>('/v1/tenants?limit=200')).body.items.map((t) => t.id);
      expect(tenants).toEqual(expect.arrayContaining([own.live.id, own.gone.id]));
    }
  });

  it("opens a tenant's stream with its own ticket, never another tenant's with it", async () => {
    for (const org of ORGS) {
      const operator = clients[`operator of ${org}`]!;
      const issued = await operator.post<{ url: string; ticket: string }>(
        `/v1/tenants/${fixtures[org].live.id}/events/tickets`,
        undefined,
      );
      expect(issued.status).toBe(201);
      const anonymous = new ApiClient(env.apiUrl, undefined);
      const own = await anonymous.request('GET', issued.body.url, {
        headers: { accept: 'text/event-stream' },
      });
      expect(own.status).toBe(200);
      expect(own.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const foreignUrl = `/v1/tenants/${fixtures[other(org)].live.id}/events?ticket=${issued.body.ticket}`;
      const refused = await anonymous.request<{ code: string }>('GET', foreignUrl, {
        headers: { accept: 'text/event-stream' },
      });
      expect({ status: refused.status, code: refused.body.code }).toEqual({
        status: 401,
        code: 'UNAUTHENTICATED',
      });
      expect(document.answerViolations(document.operation('streamTenantEvents'), refused)).toEqual([]);
    }
  });

  it('leaves the live tenants as they were: ready, with their one deploy operation', async () => {
    for (const org of ORGS) {
      const tenant = (await asOps().get<Tenant>(`/v1/tenants/${fixtures[org].live.id}`)).body;
      expect({ org: tenant.org, status: tenant.status, operation: tenant.operation.id }).toEqual({
        org,
        status: 'ready',
        operation: fixtures[org].live.operation.id,
      });
      expect(await operationsOf(org)).toEqual([`${fixtures[org].live.operation.id} succeeded`]);
      expect(await tenantsOf(org)).toEqual(
        [`${fixtures[org].live.id} ready`, `${fixtures[org].gone.id} deleted`].sort(),
      );
    }
  });
});
