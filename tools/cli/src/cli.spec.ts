import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from './cli';
import { writeConfig } from './config';
import { eventStream, fakeIo, json, sseEvent, type FakeIo, type Handler } from './testing/fake-io';

let configHome: string;

beforeEach(async () => {
  configHome = await mkdtemp(join(tmpdir(), 'fedops-cli-spec-'));
});
afterEach(async () => {
  await rm(configHome, { recursive: true, force: true });
});

const API = 'http://api.example';
const TENANT = {
  id: '6f1c2a9e-0000-4000-8000-000000000001',
  org: 'acme',
  domain: 'demo.example.net',
  status: 'provisioning',
  provider: 'sandbox',
  apps: [{ app: 'mastodon', options: { singleUserMode: true }, url: 'https://social.demo.example.net/' }],
  operation: { id: 'op-1', href: '/v1/operations/op-1' },
  createdAt: '2026-12-01T09:59:00.000Z',
  updatedAt: '2026-12-01T09:59:00.000Z',
};

/** A JWT as the embedded issuer makes them (not signed for real: the CLI does not verify). */
function jwt(claims: Record<string, unknown>): string {
  const part = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
  return `${part({ alg: 'RS256', typ: 'at+jwt' })}.${part(claims)}.signature`;
}

async function fedops(
  argv: string[],
  handler: Handler,
  options: { env?: Record<string, string>; interactive?: boolean; stdin?: string } = {},
): Promise<{ code: number; io: FakeIo }> {
  const io = fakeIo(handler, { ...options, env: { XDG_CONFIG_HOME: configHome, ...(options.env ?? {}) } });
  const code = await run(argv, io);
  return { code, io };
}

const withServer = { env: { FEDOPS_URL: API, FEDOPS_TOKEN: 'T' } };

describe('fedops, run in-process against a fake API', () => {
  it('reports a missing tenant readably with exit 4, and with --json also prints the problem on stdout', async () => {
    const notFound: Handler = (req) =>
      json(404, {
        type: 'https://fedops.dev/problems/not-found',
        title: 'Not found',
        status: 404,
        detail: `Tenant ${req.url.pathname.split('/').pop() ?? ''} not found`,
        code: 'NOT_FOUND',
      });
    const plain = await fedops(['tenants', 'get', 'nope'], notFound, withServer);
    expect(plain.code).toBe(4);
    expect(plain.io.stderr.text).toBe('fedops: Not found: Tenant nope not found (404 NOT_FOUND)\n');
    expect(plain.io.stdout.text).toBe('');
    const scripted = await fedops(['tenants', 'get', 'nope', '--json'], notFound, withServer);
    expect(scripted.code).toBe(4);
    expect(JSON.parse(scripted.io.stdout.text)).toMatchObject({ code: 'NOT_FOUND', status: 404 });
  });

  it('exits 2 with the usage for a bad flag, before sending anything', async () => {
    const { code, io } = await fedops(['tenants', 'list', '--bogus'], () => json(200, {}), withServer);
    expect(code).toBe(2);
    expect(io.stderr.text).toMatch(
      /^fedops: unknown option --bogus for "tenants list"\n\nUsage: fedops tenants list/,
    );
    expect(io.requests).toHaveLength(0);
  });

  it('exits 2 when no server is configured, saying how to set one', async () => {
    const { code, io } = await fedops(['tenants', 'list'], () => json(200, {}));
    expect(code).toBe(2);
    expect(io.stderr.text).toContain('no server: run `fedops login --url <api-url>`');
  });

  it('exits 3 without a token, with a hint to log in', async () => {
    const { code, io } = await fedops(
      ['tenants', 'list'],
      (req) =>
        req.headers.get('authorization') === null
          ? json(401, {
              title: 'Authentication required',
              status: 401,
              detail: 'Missing bearer token',
              code: 'UNAUTHENTICATED',
            })
          : json(200, { items: [] }),
      { env: { FEDOPS_URL: API } },
    );
    expect(code).toBe(3);
    expect(io.stderr.text).toContain(
      'fedops: Authentication required: Missing bearer token (401 UNAUTHENTICATED)',
    );
    expect(io.stderr.text).toContain(
      `hint: not logged in: run \`fedops login --url ${API}\` or set FEDOPS_TOKEN`,
    );
  });

  it('maps conflicts to 5 and server failures to 6 (after retrying a 503 twice)', async () => {
    const conflict = await fedops(
      ['tenants', 'create', '--domain', 'demo.example.net', '--app', 'forgejo'],
      () =>
        json(409, { title: 'Conflict', detail: 'Domain demo.example.net is already used', code: 'CONFLICT' }),
      withServer,
    );
    expect(conflict.code).toBe(5);
    const down = await fedops(
      ['tenants', 'list'],
      () => json(503, { title: 'Service unavailable' }),
      withServer,
    );
    expect(down.code).toBe(6);
    expect(down.io.requests).toHaveLength(3);
    expect(down.io.stderr.text).toContain('GET /v1/tenants: 503; retrying');
  });

  it('lists a page as a table, with how to get the next page on stderr', async () => {
    const { code, io } = await fedops(
      ['tenants', 'list', '--status', 'ready', '--limit', '1'],
      () => json(200, { items: [{ ...TENANT, status: 'ready' }], nextCursor: 'CUR' }),
      withServer,
    );
    expect(code).toBe(0);
    expect(io.requests[0]?.url.search).toBe('?status=ready&limit=1');
    expect(io.stdout.text.split('\n')).toEqual([
      'ID                                    DOMAIN            STATUS  APPS      ORG   AGE',
      '6f1c2a9e-0000-4000-8000-000000000001  demo.example.net  ready   mastodon  acme  1m',
      '',
    ]);
    expect(io.stderr.text).toBe('more tenants: repeat with --cursor CUR (or --all for every page)\n');
  });

  it('prints every page as one JSON document with --all --json', async () => {
    const { code, io } = await fedops(
      ['tenants', 'list', '--all', '--json'],
      (req) =>
        req.url.searchParams.get('cursor') === null
          ? json(200, { items: [{ id: 'a' }], nextCursor: 'c2' })
          : json(200, { items: [{ id: 'b' }] }),
      withServer,
    );
    expect(code).toBe(0);
    expect(JSON.parse(io.stdout.text)).toEqual({ items: [{ id: 'a' }, { id: 'b' }] });
    expect(io.requests.map((r) => r.url.search)).toEqual(['?limit=200', '?limit=200&cursor=c2']);
  });

  it('prints the API’s JSON verbatim with --json', async () => {
    const body = '{"id":"x","status":"ready","extra":{"kept":true}}';
    const { io } = await fedops(
      ['tenants', 'get', 'x', '--json'],
      () => new Response(body, { headers: { 'content-type': 'application/json' } }),
      withServer,
    );
    expect(io.stdout.text).toBe(`${body}\n`);
  });

  describe('tenants create --wait', () => {
    const server =
      (outcome: 'succeeded' | 'failed'): Handler =>
      (req) => {
        if (req.method === 'POST' && req.url.pathname === '/v1/tenants') return json(202, TENANT);
        if (req.url.pathname === '/v1/apps') {
          return json(200, {
            items: [
              {
                id: 'mastodon',
                name: 'M',
                description: '',
                options: { singleUserMode: { type: 'boolean', description: '' } },
              },
            ],
          });
        }
        if (req.url.pathname === '/v1/operations/op-1') {
          return json(200, {
            id: 'op-1',
            kind: 'deploy',
            tenantId: TENANT.id,
            status: outcome,
            steps: [{ name: 'provision', status: 'succeeded' }],
            ...(outcome === 'failed'
              ? { error: 'The deployment failed while creating the machine.', failedStep: 'provision' }
              : {}),
            createdAt: TENANT.createdAt,
          });
        }
        if (req.url.pathname.endsWith('/events')) {
          return eventStream([sseEvent(1, 'operation.finished', { operationId: 'op-1', status: outcome })]);
        }
        return json(200, { ...TENANT, status: outcome === 'succeeded' ? 'ready' : 'failed' });
      };

    it('sends the typed body with an Idempotency-Key and exits 0 when the deployment succeeded', async () => {
      const { code, io } = await fedops(
        [
          'tenants',
          'create',
          '--domain',
          'demo.example.net',
          '--app',
          'mastodon',
          '--option',
          'mastodon.singleUserMode=true',
          '--wait',
        ],
        server('succeeded'),
        withServer,
      );
      expect(code).toBe(0);
      const post = io.requests.find((r) => r.method === 'POST')!;
      expect(JSON.parse(post.body!)).toEqual({
        domain: 'demo.example.net',
        apps: [{ app: 'mastodon', options: { singleUserMode: true } }],
      });
      expect(post.headers.get('idempotency-key')).toMatch(/^[0-9a-f-]{36}$/);
      expect(io.stdout.text).toContain('Status     ready');
      expect(io.stderr.text).toContain('deploy op-1: succeeded');
    });

    it('exits 1 with the operation’s error when the deployment failed', async () => {
      const { code, io } = await fedops(
        ['tenants', 'create', '--domain', 'demo.example.net', '--app', 'forgejo', '--wait', '--json'],
        server('failed'),
        withServer,
      );
      expect(code).toBe(1);
      expect(JSON.parse(io.stdout.text)).toMatchObject({ status: 'failed' });
      expect(io.stderr.text).toContain(
        'fedops: operation op-1 (deploy) failed at step provision: The deployment failed while creating the machine.',
      );
      expect(io.stderr.text).toContain('hint: retry it with `fedops operations retry op-1`');
    });
  });

  it('refuses to delete without --yes when it cannot ask', async () => {
    const { code, io } = await fedops(['tenants', 'delete', TENANT.id], () => json(202, TENANT), withServer);
    expect(code).toBe(2);
    expect(io.stderr.text).toContain('add --yes to confirm');
    expect(io.requests).toHaveLength(0);
  });

  it('reports a command the server has no endpoint for as not available (exit 4)', async () => {
    const path = `/v1/tenants/${TENANT.id}/snapshots`;
    const { code, io } = await fedops(
      ['backups', 'list', TENANT.id],
      () => json(404, { title: 'Not found', status: 404, detail: `Cannot GET ${path}`, code: 'NOT_FOUND' }),
      withServer,
    );
    expect(code).toBe(4);
    expect(io.stderr.text).toBe(
      `fedops: not available on this server: it has no GET ${path} (its tenant-api predates this command)\n`,
    );
  });

  describe('login, the config file, whoami and logout', () => {
    const token = jwt({
      sub: 'fedops-operator-acme',
      roles: ['operator'],
      org: 'acme',
      exp: Date.parse('2026-12-01T10:10:00Z') / 1000,
    });
    const api: Handler = (req) =>
      req.headers.get('authorization') === `Bearer ${token}`
        ? json(200, { items: [] })
        : json(401, { title: 'Authentication required' });

    it('checks the token, keeps it in a 0600 file, and uses it for that server only', async () => {
      const login = await fedops(['login', '--url', `${API}/`, '--token', '-'], api, { stdin: `${token}\n` });
      expect(login.code).toBe(0);
      expect(login.io.stdout.text).toBe(
        `Logged in to ${API} as fedops-operator-acme (roles operator, org acme); profile "default".\n`,
      );
      const file = join(configHome, 'fedops', 'config.json');
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      expect((await stat(join(configHome, 'fedops'))).mode & 0o777).toBe(0o700);
      expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({
        profiles: { default: { url: API, token, grant: 'token' } },
      });

      const list = await fedops(['tenants', 'list'], api);
      expect(list.code).toBe(0);
      expect(list.io.requests[0]?.url.origin).toBe(API);

      // Another server never gets this profile's token.
      const elsewhere = await fedops(['--url', 'http://other.example', 'tenants', 'list'], api);
      expect(elsewhere.io.requests[0]?.headers.get('authorization')).toBeNull();
      expect(elsewhere.code).toBe(3);
      expect(elsewhere.io.stderr.text).toContain(
        `profile "default" holds a token for ${API}, not for http://other.example`,
      );

      const whoami = await fedops(['whoami'], api);
      expect(whoami.io.stdout.text).toContain('Subject     fedops-operator-acme');
      expect(whoami.io.stdout.text).toContain('Expires     2026-12-01T10:10:00.000Z (in 10 min)');

      const logout = await fedops(['logout'], api);
      expect(logout.code).toBe(0);
      expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ profiles: { default: { url: API } } });
      expect((await fedops(['whoami'], api)).code).toBe(3);
    });

    it('does not keep a token the server refuses', async () => {
      const { code, io } = await fedops(['login', '--url', API, '--token', 'bad'], api);
      expect(code).toBe(3);
      expect(io.stderr.text).toContain(`${API} refused the token, so it was not saved`);
      await expect(stat(join(configHome, 'fedops', 'config.json'))).rejects.toThrow();
    });

    it('explains the other ways in when the issuer has no device flow', async () => {
      const { code, io } = await fedops(['login', '--url', API, '--issuer', 'http://id.example'], (req) =>
        req.url.pathname === '/.well-known/openid-configuration'
          ? json(200, { issuer: 'http://id.example', token_endpoint: 'http://id.example/token' })
          : json(404, {}),
      );
      expect(code).toBe(3);
      expect(io.stderr.text).toContain(
        'does not offer the device flow (its discovery document has no device_authorization_endpoint)',
      );
      expect(io.stderr.text).toContain(
        `hint: log in with a token instead: fedops login --url ${API} --token <token>`,
      );
      expect(io.stderr.text).toContain('--client-credentials <client-id>');
    });

    it('logs in by the device flow where the issuer offers it, keeping the refresh token', async () => {
      let polls = 0;
      const { code, io } = await fedops(['login', '--url', API, '--issuer', 'http://id.example'], (req) => {
        if (req.url.pathname === '/.well-known/openid-configuration') {
          return json(200, {
            issuer: 'http://id.example',
            token_endpoint: 'http://id.example/token',
            device_authorization_endpoint: 'http://id.example/device/auth',
          });
        }
        if (req.url.pathname === '/device/auth') {
          return json(200, {
            device_code: 'DC',
            user_code: 'WXYZ-1234',
            verification_uri: 'http://id.example/device',
            verification_uri_complete: 'http://id.example/device?user_code=WXYZ-1234',
            expires_in: 300,
            interval: 1,
          });
        }
        if (req.url.pathname === '/token') {
          polls += 1;
          return polls < 2
            ? json(400, { error: 'authorization_pending' })
            : json(200, { access_token: token, refresh_token: 'RT', token_type: 'Bearer' });
        }
        return api(req);
      });
      expect(code).toBe(0);
      expect(io.stderr.text).toContain('To log in, open http://id.example/device?user_code=WXYZ-1234');
      expect(io.stderr.text).toContain('the code: WXYZ-1234');
      const saved = JSON.parse(await readFile(join(configHome, 'fedops', 'config.json'), 'utf8')) as {
        profiles: Record<string, Record<string, string>>;
      };
      expect(saved.profiles['default']).toMatchObject({
        grant: 'device_code',
        clientId: 'fedops-cli',
        refreshToken: 'RT',
      });
    });

    it('renews an expired token with the refresh token before using it', async () => {
      const expired = jwt({ sub: 'carol', exp: Date.parse('2026-12-01T09:00:00Z') / 1000 });
      const file = join(configHome, 'fedops', 'config.json');
      await writeConfig(file, {
        profiles: {
          default: {
            url: API,
            token: expired,
            grant: 'device_code',
            issuer: 'http://id.example',
            clientId: 'fedops-cli',
            refreshToken: 'RT1',
          },
        },
      });
      const { code, io } = await fedops(['tenants', 'list'], (req) => {
        if (req.url.pathname === '/.well-known/openid-configuration') {
          return json(200, { issuer: 'http://id.example', token_endpoint: 'http://id.example/token' });
        }
        if (req.url.pathname === '/token') return json(200, { access_token: token, refresh_token: 'RT2' });
        return api(req);
      });
      expect(code).toBe(0);
      expect(new URLSearchParams(io.requests.find((r) => r.url.pathname === '/token')?.body)).toEqual(
        new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'RT1', client_id: 'fedops-cli' }),
      );
      expect(io.stderr.text).toBe('fedops: renewed the expired token of profile "default"\n');
      expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({
        profiles: { default: { token, refreshToken: 'RT2' } },
      });
    });

    it('gets a token by client credentials with the secret from FEDOPS_CLIENT_SECRET', async () => {
      const { code, io } = await fedops(
        [
          'login',
          '--url',
          API,
          '--issuer',
          'http://id.example',
          '--client-credentials',
          'fedops-operator-acme',
          '--profile',
          'acme',
        ],
        (req) => {
          if (req.url.pathname === '/.well-known/openid-configuration') {
            return json(200, { issuer: 'http://id.example', token_endpoint: 'http://id.example/token' });
          }
          if (req.url.pathname === '/token') return json(200, { access_token: token, token_type: 'Bearer' });
          return api(req);
        },
        { env: { FEDOPS_CLIENT_SECRET: 'sekrit' } },
      );
      expect(code).toBe(0);
      const saved = JSON.parse(await readFile(join(configHome, 'fedops', 'config.json'), 'utf8')) as {
        profiles: Record<string, Record<string, string>>;
      };
      expect(saved.profiles['acme']).toEqual({
        url: API,
        token,
        grant: 'client_credentials',
        issuer: 'http://id.example',
        clientId: 'fedops-operator-acme',
      });
      expect(JSON.stringify(saved)).not.toContain('sekrit');
      expect(io.requests.find((r) => r.url.pathname === '/token')?.headers.get('authorization')).toBe(
        `Basic ${Buffer.from('fedops-operator-acme:sekrit').toString('base64')}`,
      );
    });
  });
});
