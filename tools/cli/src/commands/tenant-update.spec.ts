import type { CatalogApp, OperationView, TenantChangePreview, TenantView } from '../api-types';
import { json, type FakeIo, type Handler, type SeenRequest } from '../testing/fake-io';
import { fedopsAgainstFakeApi } from '../testing/fake-api-cli';

const fedops = fedopsAgainstFakeApi('tenant-update');

const ID = '0b6a3c1e-4f0e-4b8e-9d6a-2f1c3b4a5d6e';
const OP = '5f0c2a9e-7d1b-4c3a-8e6f-1a2b3c4d5e6f';
const ETAG = '"q0kU3v8yX1b2c3d4e5f6g7"';

const TENANT: TenantView = {
  id: ID,
  org: 'acme',
  domain: 'acme.example',
  status: 'ready',
  provider: 'sandbox',
  apps: [
    { app: 'mastodon', options: { registrations: 'open' }, url: 'https://social.acme.example/' },
    { app: 'forgejo', options: {}, url: 'https://git.acme.example/' },
  ],
  operation: { id: 'e1d2c3b4-0000-4000-8000-000000000001', href: '/v1/operations/e1d2c3b4' },
  createdAt: '2026-12-01T09:00:00.000Z',
  updatedAt: '2026-12-01T09:30:00.000Z',
};

const CATALOG: CatalogApp[] = [
  {
    id: 'mastodon',
    name: 'Mastodon',
    description: '',
    options: {
      registrations: { type: 'enum', values: ['open', 'approval', 'closed'], description: '' },
      singleUserMode: { type: 'boolean', description: '' },
    },
  },
  {
    id: 'matrix',
    name: 'Matrix',
    description: '',
    options: {
      turn: { type: 'enable', description: '' },
      turnSubdomain: { type: 'subdomain', description: '' },
    },
  },
];

const PREVIEW: TenantChangePreview = {
  dryRun: true,
  operation: { kind: 'update' },
  apps: { added: ['matrix'], removed: ['forgejo'], changed: ['mastodon'] },
  configuration: {
    files: [
      {
        path: 'apps/forgejo.nix',
        change: 'removed',
        diff: '--- a/apps/forgejo.nix\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-{ ... }:\n-{ services.forgejo.enable = true; }\n',
      },
      {
        path: 'apps/mastodon.nix',
        change: 'changed',
        diff:
          '--- a/apps/mastodon.nix\n+++ b/apps/mastodon.nix\n@@ -3,3 +3,3 @@\n   services.mastodon = {\n' +
          '-    registrations = "open";\n+    registrations = "closed";\n   };\n',
      },
    ],
  },
  dns: { added: ['matrix.acme.example', 'turn.acme.example'], removed: ['git.acme.example'] },
};

/** tenant-api as the command meets it: the tenant with its ETag, the catalog, and `patch` answering the PATCH. */
function server(patch: (req: SeenRequest) => Response, extra?: Handler): Handler {
  return async (req) => {
    if (req.method === 'GET' && req.url.pathname === `/v1/tenants/${ID}`)
      return json(200, TENANT, { etag: ETAG });
    if (req.method === 'GET' && req.url.pathname === '/v1/apps') return json(200, { items: CATALOG });
    if (req.method === 'PATCH' && req.url.pathname === `/v1/tenants/${ID}`) return patch(req);
    if (extra !== undefined) return extra(req);
    return json(404, { title: 'Not found', status: 404, detail: `Cannot ${req.method} ${req.url.pathname}` });
  };
}

const accepted = (): Response =>
  json(202, { ...TENANT, status: 'updating', operation: { id: OP, href: `/v1/operations/${OP}` } });

const patches = (io: FakeIo): SeenRequest[] => io.requests.filter((r) => r.method === 'PATCH');

describe('fedops tenants update', () => {
  it('reads the tenant, then sends the change built from the flags with its ETag as If-Match', async () => {
    const { code, io } = await fedops(
      [
        'tenants',
        'update',
        ID,
        '--add',
        'matrix',
        '--option',
        'matrix.turn=false',
        '--option',
        'matrix.turnSubdomain=123',
        '--remove',
        'forgejo',
        '--confirm-removal',
        'forgejo',
        '--set',
        'mastodon.registrations=closed',
        '--unset',
        'mastodon.singleUserMode',
      ],
      server(accepted),
    );
    expect(code).toBe(0);
    expect(io.requests.map((r) => `${r.method} ${r.url.pathname}${r.url.search}`)).toEqual([
      'GET /v1/apps',
      `GET /v1/tenants/${ID}`,
      `PATCH /v1/tenants/${ID}`,
    ]);
    const [patch] = patches(io);
    expect(patch?.headers.get('if-match')).toBe(ETAG);
    expect(patch?.headers.get('content-type')).toBe('application/json');
    expect(JSON.parse(patch?.body ?? 'null')).toEqual({
      apps: {
        add: [{ app: 'matrix', options: { turn: false, turnSubdomain: '123' } }],
        remove: ['forgejo'],
        change: [{ app: 'mastodon', options: { registrations: 'closed', singleUserMode: null } }],
      },
      confirmRemoval: ['forgejo'],
    });
    expect(io.stdout.text).toBe(`Tenant ${ID} (acme.example) is updating; operation ${OP}.\n`);
    expect(io.stderr.text).toBe(`Follow it with: fedops operations watch ${OP}\n`);
  });

  it('sends only what the flags name, without reading the catalog when no option value is given', async () => {
    const { code, io } = await fedops(
      ['tenants', 'update', ID, '--remove', 'forgejo', '--unset', 'mastodon.registrations'],
      server(accepted),
    );
    expect(code).toBe(0);
    expect(io.requests.map((r) => r.url.pathname)).not.toContain('/v1/apps');
    expect(JSON.parse(patches(io)[0]?.body ?? 'null')).toEqual({
      apps: { remove: ['forgejo'], change: [{ app: 'mastodon', options: { registrations: null } }] },
    });
  });

  it('with --dry-run asks for the preview and prints the operation, apps, DNS names and each file’s diff', async () => {
    const { code, io } = await fedops(
      ['tenants', 'update', ID, '--add', 'matrix', '--remove', 'forgejo', '--dry-run'],
      server(() => json(200, PREVIEW)),
    );
    expect(code).toBe(0);
    const [patch] = patches(io);
    expect(patch?.url.search).toBe('?dryRun=true');
    expect(patch?.headers.get('if-match')).toBe(ETAG);
    expect(io.stdout.text.split('\n')).toEqual([
      'Operation     update (not started: dry run)',
      'Apps added    matrix',
      'Apps removed  forgejo',
      'Apps changed  mastodon',
      'DNS added     matrix.acme.example, turn.acme.example',
      'DNS removed   git.acme.example',
      'Files         apps/forgejo.nix (removed)',
      '              apps/mastodon.nix (changed)',
      '--- a/apps/forgejo.nix',
      '+++ /dev/null',
      '@@ -1,2 +0,0 @@',
      '-{ ... }:',
      '-{ services.forgejo.enable = true; }',
      '',
      '--- a/apps/mastodon.nix',
      '+++ b/apps/mastodon.nix',
      '@@ -3,3 +3,3 @@',
      '   services.mastodon = {',
      '-    registrations = "open";',
      '+    registrations = "closed";',
      '   };',
      '',
    ]);
    expect(io.stderr.text).toBe(
      'Dry run: nothing was changed. Run the command without --dry-run to make the change.\n',
    );
  });

  it('says so when a dry run changes no file, and prints the preview as sent with --json', async () => {
    const same: TenantChangePreview = {
      ...PREVIEW,
      apps: { added: [], removed: [], changed: ['mastodon'] },
      configuration: { files: [] },
      dns: { added: [], removed: [] },
    };
    const plain = await fedops(
      ['tenants', 'update', ID, '--set', 'mastodon.registrations=open', '--dry-run'],
      server(() => json(200, same)),
    );
    expect(plain.code).toBe(0);
    expect(plain.io.stdout.text).toContain('Apps added    -\n');
    expect(plain.io.stdout.text).toContain('Files         the configuration renders the same\n');

    const asJson = await fedops(
      ['tenants', 'update', ID, '--set', 'mastodon.registrations=open', '--dry-run', '--json'],
      server(() => json(200, same)),
    );
    expect(asJson.code).toBe(0);
    expect(JSON.parse(asJson.io.stdout.text)).toEqual(same);
  });

  it('on 412 (the tenant changed after it was read) says nothing changed and to run it again (exit 5)', async () => {
    const { code, io } = await fedops(
      ['tenants', 'update', ID, '--set', 'mastodon.registrations=closed'],
      server(() =>
        json(412, {
          type: 'https://fedops.dev/problems/precondition-failed',
          title: 'Precondition failed',
          status: 412,
          detail: `Tenant ${ID} changed since the version If-Match names (it is now "new"); GET it again and reapply the change`,
          code: 'PRECONDITION_FAILED',
          currentETag: '"new"',
        }),
      ),
    );
    expect(code).toBe(5);
    expect(patches(io)).toHaveLength(1);
    expect(io.stderr.text).toBe(
      `fedops: tenant ${ID} was changed by someone else while this command ran, so nothing was changed (412 PRECONDITION_FAILED)\n` +
        '  hint: run the command again: it reads the tenant as it is now and sends the change for that version\n',
    );
    expect(io.stdout.text).toBe('');
  });

  it('on 409 names the operation running on the tenant and how to follow or cancel it (exit 5)', async () => {
    const detail =
      `Tenant ${ID} is being changed by operation ${OP} (update); ` +
      'wait until it has ended, or cancel it, and send the change again';
    const { code, io } = await fedops(
      ['tenants', 'update', ID, '--add', 'matrix'],
      server(() =>
        json(409, {
          type: 'https://fedops.dev/problems/conflict',
          title: 'Conflict',
          status: 409,
          detail,
          code: 'CONFLICT',
          operation: { id: OP, kind: 'update', href: `/v1/operations/${OP}` },
        }),
      ),
    );
    expect(code).toBe(5);
    expect(io.stderr.text).toBe(
      `fedops: Conflict: ${detail} (409 CONFLICT)\n` +
        `  hint: operation ${OP} (update, /v1/operations/${OP}) is running on the tenant\n` +
        `  hint: follow it with \`fedops operations watch ${OP}\` (or cancel it with \`fedops operations cancel ${OP}\`), then run this command again\n`,
    );
  });

  it('reports a 409 without a running operation (an app the tenant has) as the server put it', async () => {
    const detail = 'The tenant has mastodon already; change an app\u2019s options with apps.change';
    const { code, io } = await fedops(
      ['tenants', 'update', ID, '--add', 'mastodon'],
      server(() => json(409, { title: 'Conflict', status: 409, detail, code: 'CONFLICT' })),
    );
    expect(code).toBe(5);
    expect(io.stderr.text).toBe(`fedops: Conflict: ${detail} (409 CONFLICT)\n`);
  });

  it('follows the operation with --wait and prints the tenant as it ends', async () => {
    let polls = 0;
    const operation = (status: OperationView['status']): OperationView => ({
      id: OP,
      kind: 'update',
      tenantId: ID,
      org: 'acme',
      status,
      requestedBy: 'alice',
      steps: [{ name: 'deploy', status: status === 'succeeded' ? 'succeeded' : 'running' }],
      createdAt: '2026-12-01T10:00:00.000Z',
    });
    const { code, io } = await fedops(
      ['tenants', 'update', ID, '--remove', 'forgejo', '--confirm-removal', 'forgejo', '--wait'],
      server(accepted, (req) => {
        if (req.url.pathname === `/v1/operations/${OP}`) {
          polls += 1;
          return json(200, operation(polls < 2 ? 'running' : 'succeeded'));
        }
        // No event stream: the command polls.
        return json(404, { title: 'Not found', status: 404, detail: `Cannot GET ${req.url.pathname}` });
      }),
    );
    expect(code).toBe(0);
    expect(io.requests.map((r) => `${r.method} ${r.url.pathname}`)).toEqual([
      `GET /v1/tenants/${ID}`,
      `PATCH /v1/tenants/${ID}`,
      `GET /v1/operations/${OP}`,
      `GET /v1/tenants/${ID}/events`,
      `GET /v1/operations/${OP}`,
      `GET /v1/tenants/${ID}`,
    ]);
    expect(io.stderr.text).toContain(`Tenant ${ID} (acme.example) changing (operation ${OP})\n`);
    expect(io.stderr.text).toContain(`update ${OP.slice(0, 8)}: succeeded in`);
    expect(io.stdout.text).toMatch(new RegExp(`^ID +${ID}\n`));
  });

  it('refuses --set without "=" readably, before sending anything (exit 2)', async () => {
    const { code, io } = await fedops(
      ['tenants', 'update', ID, '--set', 'mastodon.registrations'],
      server(accepted),
    );
    expect(code).toBe(2);
    expect(io.requests).toEqual([]);
    expect(io.stderr.text.split('\n')[0]).toBe(
      'fedops: --set must look like <app>.<option>=<value> (e.g. mastodon.singleUserMode=true), not "mastodon.registrations"',
    );
    expect(io.stderr.text).toContain('Usage: fedops tenants update <tenant> [options]');
  });

  it.each<[string, string[], string]>([
    ['no change at all', [], 'nothing to change: give --add, --remove, --set or --unset'],
    [
      'an app both removed and changed',
      ['--remove', 'forgejo', '--set', 'forgejo.lfs=true'],
      '--set forgejo.lfs=true: forgejo is removed by --remove already; an app is added, removed or changed, not two of these',
    ],
    [
      '--set on an app being added (its options go with --option)',
      ['--add', 'matrix', '--set', 'matrix.turn=false'],
      '--set matrix.turn=false: matrix is added by --add already; an app is added, removed or changed, not two of these ' +
        '(give an app added its options with --option matrix.<option>=<value>)',
    ],
    [
      '--option on an app not being added',
      ['--set', 'mastodon.registrations=open', '--option', 'mastodon.singleUserMode=true'],
      '--option mastodon.singleUserMode=true: mastodon is not added by this change (add --add mastodon, or change an app the tenant has with --set)',
    ],
    [
      '--set and --unset of one option',
      ['--set', 'mastodon.registrations=open', '--unset', 'mastodon.registrations'],
      '--unset mastodon.registrations: --set gives mastodon.registrations a value already',
    ],
    [
      '--unset with a value',
      ['--unset', 'mastodon.registrations=open'],
      '--unset must look like <app>.<option> (e.g. mastodon.singleUserMode), not "mastodon.registrations=open"',
    ],
    [
      '--confirm-removal of an app not removed',
      ['--add', 'matrix', '--confirm-removal', 'forgejo'],
      '--confirm-removal forgejo: forgejo is not removed by this change (add --remove forgejo)',
    ],
    [
      '--wait with --dry-run',
      ['--add', 'matrix', '--dry-run', '--wait'],
      '--wait does not go with --dry-run: a dry run starts nothing',
    ],
  ])('refuses %s before sending anything (exit 2)', async (_what, flags, message) => {
    const { code, io } = await fedops(['tenants', 'update', ID, ...flags], server(accepted));
    expect(code).toBe(2);
    expect(io.requests).toEqual([]);
    expect(io.stderr.text.split('\n')[0]).toBe(`fedops: ${message}`);
  });

  it('sends no change when the server gives the tenant without an ETag', async () => {
    const { code, io } = await fedops(['tenants', 'update', ID, '--add', 'matrix'], (req) =>
      req.method === 'GET' ? json(200, TENANT) : accepted(),
    );
    expect(code).toBe(1);
    expect(patches(io)).toEqual([]);
    expect(io.stderr.text).toContain(`the server sent no ETag with tenant ${ID}`);
  });
});
