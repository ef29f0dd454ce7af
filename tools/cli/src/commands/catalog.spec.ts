import type { CatalogApp } from '../api-types';
import { json } from '../testing/fake-io';
import { fedopsAgainstFakeApi } from '../testing/fake-api-cli';

const fedops = fedopsAgainstFakeApi('catalog');

/** Matrix as GET /v1/apps/matrix answers (shortened), its options not in weight order. */
const MATRIX: CatalogApp = {
  id: 'matrix',
  name: 'Matrix',
  description: 'Matrix homeserver (Synapse).',
  homepage: 'https://matrix.org',
  license: 'AGPL-3.0-only',
  supportLevel: 'supported',
  package: 'matrix-synapse',
  options: {
    turn: { type: 'enable', description: 'Run a TURN server.', default: true, weight: 50 },
    subdomain: { type: 'subdomain', description: 'Label of the homeserver.', default: 'matrix', weight: 10 },
    adminUsername: {
      type: 'string',
      description: 'First admin.',
      default: 'owner',
      patternHint: 'lower-case letters, digits and _',
      notIn: ['admin'],
      weight: 70,
    },
    turnSubdomain: {
      type: 'subdomain',
      description: 'Label of the TURN server.',
      default: 'turn',
      weight: 60,
    },
  },
  endpoints: [
    {
      kind: 'http',
      id: 'homeserver',
      subdomainOption: 'subdomain',
      healthPath: '/health',
      maxBodySize: '50m',
    },
    {
      kind: 'host',
      id: 'turn',
      subdomainOption: 'turnSubdomain',
      purpose: 'TURN over TLS',
      enabledBy: 'turn',
    },
    {
      kind: 'apex-path',
      id: 'well-known-server',
      path: '/.well-known/matrix/server',
      purpose: 'Delegation.',
    },
  ],
  ports: [
    { protocol: 'tcp', port: 3478, purpose: 'TURN/STUN', enabledBy: 'turn' },
    { protocol: 'udp', port: 49152, to: 49999, purpose: 'TURN relay', enabledBy: 'turn' },
  ],
  secrets: [
    { name: 'macaroon-secret-key', description: 'Signs access tokens.' },
    { name: 'turn-static-auth-secret', description: 'Shared with coturn.', enabledBy: 'turn' },
  ],
  databases: ['matrix-synapse'],
  dataPaths: ['/var/lib/matrix-synapse'],
  movable: true,
  admin: { username: { option: 'adminUsername' } },
  resources: { vcpu: 1, memoryMiB: 2048, diskGiB: 10 },
};

const notFound = (detail: string): Response =>
  json(404, { title: 'Not found', status: 404, detail, code: 'NOT_FOUND' });

describe('fedops apps', () => {
  it('lists id, name, support level, license and needs', async () => {
    const { code, io } = await fedops(['apps', 'list'], () =>
      json(200, {
        items: [
          MATRIX,
          {
            ...MATRIX,
            id: 'jitsi',
            name: 'Jitsi Meet',
            description: 'Video meetings.',
            supportLevel: 'beta',
            license: 'Apache-2.0',
            resources: { vcpu: 2, memoryMiB: 512, diskGiB: 5 },
          },
        ],
      }),
    );
    expect(code).toBe(0);
    expect(io.requests.map((r) => r.url.pathname)).toEqual(['/v1/apps']);
    expect(io.stdout.text.split('\n')).toEqual([
      'ID      NAME        SUPPORT    LICENSE        NEEDS                        DESCRIPTION',
      'matrix  Matrix      supported  AGPL-3.0-only  1 vCPU, 2 GiB, 10 GiB disk   Matrix homeserver (Synapse).',
      'jitsi   Jitsi Meet  beta       Apache-2.0     2 vCPU, 512 MiB, 5 GiB disk  Video meetings.',
      '',
    ]);
  });

  it('shows an app from GET /v1/apps/{id}: options by weight, endpoints, ports, secrets by name, needs', async () => {
    const { code, io } = await fedops(['apps', 'show', 'matrix'], () => json(200, MATRIX));
    expect(code).toBe(0);
    expect(io.requests.map((r) => r.url.pathname)).toEqual(['/v1/apps/matrix']);
    expect(io.stdout.text.split('\n')).toEqual([
      'App          matrix',
      'Name         Matrix',
      'Description  Matrix homeserver (Synapse).',
      'Support      supported',
      'License      AGPL-3.0-only',
      'Homepage     https://matrix.org',
      'Package      matrix-synapse',
      'Needs        1 vCPU, 2 GiB, 10 GiB disk',
      'Admin        named by matrix.adminUsername; its password is generated',
      'Databases    matrix-synapse',
      'Data         /var/lib/matrix-synapse',
      'Movable      yes',
      '',
      'OPTION                TYPE                 DEFAULT  DESCRIPTION',
      'matrix.subdomain      subdomain            matrix   Label of the homeserver.',
      'matrix.turn           enable (true|false)  true     Run a TURN server.',
      'matrix.turnSubdomain  subdomain            turn     Label of the TURN server.',
      'matrix.adminUsername  string               owner    First admin. Allowed: lower-case letters, digits and _; not admin.',
      '',
      'ENDPOINT           KIND       WHERE                                 ENABLED BY   WHAT',
      'homeserver         http       matrix.<domain> (matrix.subdomain)    -            health /health, bodies up to 50m',
      'turn               host       turn.<domain> (matrix.turnSubdomain)  matrix.turn  TURN over TLS',
      'well-known-server  apex-path  <domain>/.well-known/matrix/server    -            Delegation.',
      '',
      'PORT             ENABLED BY   PURPOSE',
      '3478/tcp         matrix.turn  TURN/STUN',
      '49152-49999/udp  matrix.turn  TURN relay',
      '',
      'SECRET (generated)       ENABLED BY   DESCRIPTION',
      'macaroon-secret-key      -            Signs access tokens.',
      'turn-static-auth-secret  matrix.turn  Shared with coturn.',
      '',
      'Set one with: fedops tenants create ... --app matrix --option matrix.<option>=<value>',
      '',
    ]);
  });

  it('prints the app as the server sent it with --json', async () => {
    const body = JSON.stringify({ ...MATRIX, extra: { kept: true } });
    const { code, io } = await fedops(
      ['apps', 'get', 'matrix', '--json'],
      () => new Response(body, { headers: { 'content-type': 'application/json' } }),
    );
    expect(code).toBe(0);
    expect(io.stdout.text).toBe(`${body}\n`);
  });

  it('names the apps there are for an app the catalog does not have (exit 4)', async () => {
    const { code, io } = await fedops(['apps', 'show', 'my space'], (req) =>
      req.url.pathname === '/v1/apps'
        ? json(200, { items: [MATRIX, { ...MATRIX, id: 'jitsi' }] })
        : notFound('App "my space" is not in the catalog; it has: matrix, jitsi'),
    );
    expect(code).toBe(4);
    expect(io.requests.map((r) => r.url.pathname)).toEqual(['/v1/apps/my%20space', '/v1/apps']);
    expect(io.stderr.text).toBe(
      'fedops: no app "my space" in the catalog; it has: matrix, jitsi\n' +
        '  hint: `fedops apps list` shows them with what each is\n',
    );
  });

  it('picks the app from the list on a server without GET /v1/apps/{id}', async () => {
    const old = { id: 'mastodon', name: 'Mastodon', description: 'Microblogging.', options: {} };
    const { code, io } = await fedops(['apps', 'show', 'mastodon'], (req) =>
      req.url.pathname === '/v1/apps'
        ? json(200, { items: [old] })
        : notFound(`Cannot GET ${req.url.pathname}`),
    );
    expect(code).toBe(0);
    expect(io.stdout.text).toBe(
      'App          mastodon\nName         Mastodon\nDescription  Microblogging.\n\nNo options.\n',
    );
  });
});
