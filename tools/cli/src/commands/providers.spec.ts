import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../cli';
import { fakeIo, json, type FakeIo, type Handler } from '../testing/fake-io';
import { holdingHints } from './providers';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fedops-providers-spec-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function fedops(
  argv: string[],
  handler: Handler,
  stdin?: string,
): Promise<{ code: number; io: FakeIo }> {
  const io = fakeIo(handler, {
    env: { XDG_CONFIG_HOME: dir, FEDOPS_URL: 'http://api.example', FEDOPS_TOKEN: 'T' },
    ...(stdin === undefined ? {} : { stdin }),
  });
  return { code: await run(argv, io), io };
}

const PROVIDER = {
  id: '9a0c2a9e-7d1b-4c3a-8e6f-1a2b3c4d5e6f',
  name: 'hetzner-main',
  kind: 'hetzner',
  endpoint: null,
  locations: ['fsn1', 'nbg1'],
  plans: [{ name: 'small', vcpus: 2, memoryMiB: 4096, diskGiB: 80, size: 'cpx21' }],
  image: 'ubuntu-24.04',
  settings: {},
  quotas: { machines: 10 },
  status: 'active',
  credentialFields: ['token'],
  lastCheck: { ok: true, at: '2026-12-01T09:58:00.000Z', message: 'connected', locations: ['fsn1', 'nbg1'] },
  usage: { machines: 3, vcpus: 6, memoryMiB: 12288 },
  createdAt: '2026-12-01T09:00:00.000Z',
  updatedAt: '2026-12-01T09:58:00.000Z',
  links: { self: '/v1/providers/9a0c2a9e', test: '/v1/providers/9a0c2a9e/test' },
};

describe('fedops providers', () => {
  it('lists name, kind, locations, status, machines and the last check, with filters', async () => {
    const { code, io } = await fedops(['providers', 'list', '--kind', 'hetzner'], () =>
      json(200, { items: [PROVIDER, { ...PROVIDER, name: 'b', lastCheck: null, usage: { machines: 0 } }] }),
    );
    expect(code).toBe(0);
    expect(io.requests[0]?.url.search).toBe('?kind=hetzner');
    expect(io.stdout.text.split('\n')).toEqual([
      'NAME          KIND     LOCATIONS  STATUS  MACHINES  CHECK',
      'hetzner-main  hetzner  fsn1,nbg1  active  3         ok',
      'b             hetzner  fsn1,nbg1  active  0         never',
      '',
    ]);
  });

  it('shows one with its plans, quotas and credentials by name only', async () => {
    const { code, io } = await fedops(['providers', 'show', 'hetzner-main'], () => json(200, PROVIDER));
    expect(code).toBe(0);
    expect(io.requests[0]?.url.pathname).toBe('/v1/providers/hetzner-main');
    expect(io.stdout.text).toContain('Plans        small  2 vCPU, 4096 MiB, 80 GiB  (cpx21)');
    expect(io.stdout.text).toContain('Credentials  token (set)');
    expect(io.stdout.text).toContain('Last check   ok: connected (2m ago)');
    expect(io.stdout.text).toContain("Endpoint     (the vendor's)");
  });

  it('registers from a file with an Idempotency-Key, and reports every bad field readably', async () => {
    const file = join(dir, 'p.json');
    await writeFile(
      file,
      JSON.stringify({ name: 'hetzner-main', kind: 'hetzner', credentials: { token: 'x' } }),
    );
    const ok = await fedops(['providers', 'register', '--file', file], () => json(201, PROVIDER));
    expect(ok.code).toBe(0);
    const post = ok.io.requests[0]!;
    expect({ method: post.method, path: post.url.pathname }).toEqual({
      method: 'POST',
      path: '/v1/providers',
    });
    expect(JSON.parse(post.body!)).toMatchObject({ name: 'hetzner-main', credentials: { token: 'x' } });
    expect(post.headers.get('idempotency-key')).toMatch(/^[0-9a-f-]{36}$/);
    expect(ok.io.stderr.text).toContain('Provider hetzner-main is registered; its connection test passed.');

    const refused = await fedops(
      ['providers', 'register', '--file', '-'],
      () =>
        json(400, {
          title: 'Bad Request',
          status: 400,
          detail:
            'Invalid input: credentials: the token was refused: unauthorized; locations[0]: "mars" is not offered',
          code: 'VALIDATION_FAILED',
          errors: [
            { field: 'credentials', message: 'the token was refused: unauthorized' },
            { field: 'locations[0]', message: '"mars" is not offered' },
          ],
        }),
      '{"name":"x"}',
    );
    expect(refused.code).toBe(1);
    expect(refused.io.stderr.text).toBe(
      'fedops: Bad Request (400 VALIDATION_FAILED)\n' +
        '  credentials: the token was refused: unauthorized\n' +
        '  locations[0]: "mars" is not offered\n',
    );
  });

  it('refuses a register without a file or with one that is not an object, sending nothing', async () => {
    const none = await fedops(['providers', 'register'], () => json(201, PROVIDER));
    expect(none.code).toBe(2);
    expect(none.io.stderr.text).toContain('providers register needs --file');
    const list = await fedops(['providers', 'register', '--file', '-'], () => json(201, PROVIDER), '[1]');
    expect(list.code).toBe(2);
    expect(list.io.requests).toHaveLength(0);
  });

  it('tests a provider again: exit 0 when it passes, 1 with its refusal when it fails', async () => {
    const passed = await fedops(['providers', 'test', 'hetzner-main'], () => json(200, PROVIDER));
    expect(passed.code).toBe(0);
    expect(passed.io.requests[0]?.url.pathname).toBe('/v1/providers/hetzner-main/test');
    expect(passed.io.stdout.text).toBe('Provider hetzner-main (hetzner): ok: connected (2m ago)\n');
    const failed = await fedops(['providers', 'test', 'hetzner-main'], () =>
      json(200, { ...PROVIDER, lastCheck: { ...PROVIDER.lastCheck, ok: false, message: 'unauthorized' } }),
    );
    expect(failed.code).toBe(1);
    expect(failed.io.stderr.text).toBe(
      'fedops: the connection test of provider hetzner-main failed: unauthorized\n',
    );
  });

  it('removes one with --yes, and names what a refused removal holds', async () => {
    const removed = await fedops(['providers', 'remove', 'b', '--yes'], () =>
      json(200, { ...PROVIDER, name: 'b' }),
    );
    expect(removed.code).toBe(0);
    expect(removed.io.requests[0]?.method).toBe('DELETE');
    expect(removed.io.stdout.text).toBe('Provider b (hetzner) is removed.\n');
    const held = await fedops(['providers', 'rm', 'b', '--yes'], () =>
      json(409, {
        title: 'Conflict',
        status: 409,
        detail: 'Provider "b" still holds 1 machine(s)',
        code: 'CONFLICT',
        machines: [{ id: 'm1', name: 'fedops-m1', tenantId: 't1' }],
      }),
    );
    expect(held.code).toBe(5);
    expect(held.io.stderr.text).toBe(
      'fedops: Conflict: Provider "b" still holds 1 machine(s) (409 CONFLICT)\n' +
        '  hint: it holds machine fedops-m1 of tenant t1\n' +
        '  hint: delete those tenants first (fedops tenants delete <tenant>)\n',
    );
    const asks = await fedops(['providers', 'remove', 'b'], () => json(200, PROVIDER));
    expect(asks.code).toBe(2);
    expect(asks.io.requests).toHaveLength(0);
  });

  it('reads the holdings of a conflict only from a problem that has them', () => {
    expect(holdingHints('not json')).toEqual([]);
    expect(holdingHints('{"detail":"x"}')).toEqual([]);
    expect(holdingHints('{"tenants":["t1"]}')).toEqual([
      'tenant t1 is placed there',
      'delete those tenants first (fedops tenants delete <tenant>)',
    ]);
  });
});
