import { json } from '../testing/fake-io';
import { fedopsAgainstFakeApi } from '../testing/fake-api-cli';
import { SHOWN_ONCE_WARNING } from './tenants';

const fedops = fedopsAgainstFakeApi('tenants');

const TENANT = '0b6a3c1e-4f0e-4b8e-9d6a-2f1c3b4a5d6e';
const CREDENTIALS = {
  app: 'forgejo',
  username: 'owner',
  email: 'owner@acme.example',
  password: 'xK4tq9PzR2mWb7LcN3vHj8Ds',
  loginUrl: 'https://git.acme.example/',
};

describe('fedops tenants admin-credentials', () => {
  it('asks once (POST, no body) and prints the account, with the shown-once warning on stderr', async () => {
    const { code, io } = await fedops(['tenants', 'admin-credentials', TENANT, 'forgejo'], () =>
      json(200, CREDENTIALS),
    );
    expect(code).toBe(0);
    expect(io.requests.map((r) => [r.method, r.url.pathname, r.body])).toEqual([
      ['POST', `/v1/tenants/${TENANT}/apps/forgejo/admin-credentials`, undefined],
    ]);
    expect(io.stdout.text).toBe(
      [
        'App         forgejo',
        'Sign in at  https://git.acme.example/',
        'Username    owner',
        'E-mail      owner@acme.example',
        'Password    xK4tq9PzR2mWb7LcN3vHj8Ds',
        '',
      ].join('\n'),
    );
    expect(io.stderr.text).toBe(`${SHOWN_ONCE_WARNING}\n`);
  });

  it('prints the answer as it came with --json (stdout stays parseable), the warning still on stderr', async () => {
    const matrix: Partial<typeof CREDENTIALS> = { ...CREDENTIALS, app: 'matrix' };
    delete matrix.email;
    const { code, io } = await fedops(['tenants', 'admin-credentials', TENANT, 'matrix', '--json'], () =>
      json(200, matrix),
    );
    expect(code).toBe(0);
    expect(JSON.parse(io.stdout.text)).toEqual(matrix);
    expect(io.stderr.text).toContain('Shown once');
  });

  it('reports the second request readably (410, exit 1), without sending it again', async () => {
    const gone = {
      type: 'https://fedops.dev/problems/gone',
      title: 'Gone',
      status: 410,
      detail: 'The admin credentials of forgejo were already revealed at 2026-12-01T09:00:00.000Z',
      code: 'GONE',
      revealedAt: '2026-12-01T09:00:00.000Z',
    };
    const { code, io } = await fedops(['tenants', 'admin-credentials', TENANT, 'forgejo'], () =>
      json(410, gone),
    );
    expect(code).toBe(1);
    expect(io.requests).toHaveLength(1);
    expect(io.stderr.text).toBe(`fedops: Gone: ${gone.detail} (410 GONE)\n`);
    expect(io.stdout.text).toBe('');
  });

  it('needs both the tenant and the app, and sends nothing without them', async () => {
    const { code, io } = await fedops(['tenants', 'admin-credentials', TENANT], () => json(200, CREDENTIALS));
    expect(code).toBe(2);
    expect(io.requests).toEqual([]);
  });
});

describe('fedops tenants reconcile', () => {
  const started = {
    id: TENANT,
    org: 'acme',
    domain: 'acme.example',
    status: 'updating',
    provider: 'sandbox',
    apps: [],
    operation: { id: 'op-1', href: '/v1/operations/op-1' },
    createdAt: '2026-12-01T09:00:00.000Z',
    updatedAt: '2026-12-01T09:00:00.000Z',
    links: { self: `/v1/tenants/${TENANT}`, events: `/v1/tenants/${TENANT}/events` },
  };

  it('starts the reconcile operation with an Idempotency-Key and says how to follow it', async () => {
    const { code, io } = await fedops(['tenants', 'reconcile', TENANT, '--idempotency-key', 'k-1'], () =>
      json(202, started),
    );
    expect(code).toBe(0);
    expect(io.requests.map((r) => [r.method, r.url.pathname, r.headers.get('idempotency-key')])).toEqual([
      ['POST', `/v1/tenants/${TENANT}/reconcile`, 'k-1'],
    ]);
    expect(io.stdout.text).toBe(`Tenant ${TENANT} (acme.example) is updating; operation op-1.\n`);
    expect(io.stderr.text).toContain('fedops operations watch op-1');
  });

  it('reports the operation that runs already (409)', async () => {
    const { code, io } = await fedops(['tenants', 'reconcile', TENANT], () =>
      json(409, {
        type: 'https://fedops.dev/problems/conflict',
        title: 'Conflict',
        status: 409,
        code: 'CONFLICT',
        detail: `Tenant ${TENANT} is being changed by operation op-0 (update); wait until it has ended`,
        operation: { id: 'op-0', kind: 'update', href: '/v1/operations/op-0' },
      }),
    );
    expect(code).not.toBe(0);
    expect(io.stderr.text).toContain('operation op-0 (update)');
  });
});
