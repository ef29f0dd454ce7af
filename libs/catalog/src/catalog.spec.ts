import { appHostnames, enabledPorts, resolveOptions, secretPath, validateAppSelections } from './catalog';
import { matrix } from './apps/matrix';

describe('validateAppSelections', () => {
  it('accepts known apps with valid options', () => {
    expect(
      validateAppSelections([
        {
          app: 'mastodon',
          options: { singleUserMode: true, registrations: 'closed', adminUsername: 'alice' },
        },
        { app: 'forgejo' },
        { app: 'matrix', options: { element: false, turnSubdomain: 'relay' } },
      ]),
    ).toEqual([]);
  });

  it('names every problem by its path', () => {
    const errors = validateAppSelections([
      { app: 'myspace', options: {} },
      {
        app: 'mastodon',
        options: { registrations: 'sometimes', colour: 'blue', adminEmail: 'nope', singleUserMode: 'yes' },
      },
      { app: 'mastodon', options: { singleUserMode: 1 } },
      { app: 'gotosocial', options: { subdomain: 'social' } },
      { app: 'pixelfed', options: { maxPhotoSizeKiB: 5, subdomain: 'Not A Label' } },
      'mastodon',
    ]);
    expect(errors.map((e) => e.field)).toEqual([
      'apps[0].app',
      'apps[1].options.registrations',
      'apps[1].options.colour',
      'apps[1].options.adminEmail',
      'apps[1].options.singleUserMode',
      'apps[2].app',
      'apps[2].options.singleUserMode',
      'apps[2].options.subdomain',
      'apps[3].options.subdomain',
      'apps[4].options.maxPhotoSizeKiB',
      'apps[4].options.subdomain',
      'apps[5]',
    ]);
    expect(errors[0]?.message).toMatch(
      /unknown app "myspace"; known apps: mastodon, pixelfed, peertube, matrix/,
    );
    expect(errors.find((e) => e.field === 'apps[3].options.subdomain')?.message).toBe(
      '"social" is already used by mastodon (subdomain)',
    );
    expect(errors.find((e) => e.field === 'apps[4].options.maxPhotoSizeKiB')?.message).toBe(
      'must be at least 1024',
    );
    expect(errors.find((e) => e.field === 'apps[4].options.subdomain')?.message).toMatch(/DNS label/);
  });

  it("refuses a name the app reserves although the pattern allows it (Mastodon's admin)", () => {
    expect(validateAppSelections([{ app: 'mastodon', options: { adminUsername: 'admin' } }])).toEqual([
      { field: 'apps[0].options.adminUsername', message: '"admin" is reserved by the app; choose another' },
    ]);
  });

  it('checks the subdomains of every enabled endpoint of one app against each other and against other apps', () => {
    expect(validateAppSelections([{ app: 'matrix', options: { elementSubdomain: 'matrix' } }])).toEqual([
      {
        field: 'apps[0].options.elementSubdomain',
        message: '"matrix" is already used by matrix (subdomain)',
      },
    ]);
    // A disabled endpoint's subdomain takes no name.
    expect(
      validateAppSelections([{ app: 'matrix', options: { element: false, elementSubdomain: 'matrix' } }]),
    ).toEqual([]);
    expect(
      validateAppSelections([
        { app: 'matrix', options: {} },
        { app: 'forgejo', options: { subdomain: 'turn' } },
      ]),
    ).toEqual([
      { field: 'apps[1].options.subdomain', message: '"turn" is already used by matrix (turnSubdomain)' },
    ]);
  });

  it('refuses secrets passed as options, by the catalog name and by a secret-like name', () => {
    const errors = validateAppSelections([
      { app: 'mastodon', options: { secretKeyBase: 'x' } },
      { app: 'matrix', options: { 'registration-shared-secret': 'x' } },
      { app: 'forgejo', options: { adminPassword: 'hunter2' } },
    ]);
    expect(errors.map((e) => e.field)).toEqual([
      'apps[0].options.secretKeyBase',
      'apps[1].options.registration-shared-secret',
      'apps[2].options.adminPassword',
    ]);
    expect(errors[0]?.message).toMatch(
      /^is a secret: fedops generates mastodon's secret-key-base per tenant/,
    );
    expect(errors[2]?.message).toMatch(/^is a secret: fedops generates forgejo's admin-password/);
  });

  it('does not mistake inherited object members for options, and refuses control characters', () => {
    const options = JSON.parse(
      '{"constructor": "x", "toString": 5, "__proto__": {}, "adminEmail": "a\\u0000@b.org"}',
    ) as object;
    expect(validateAppSelections([{ app: 'mastodon', options }]).map((e) => [e.field, e.message])).toEqual([
      ['apps[0].options.constructor', expect.stringMatching(/^unknown option/)],
      ['apps[0].options.toString', expect.stringMatching(/^unknown option/)],
      ['apps[0].options.__proto__', expect.stringMatching(/^unknown option/)],
      ['apps[0].options.adminEmail', 'must not contain control characters'],
    ]);
  });

  it('rejects a missing or empty app list', () => {
    expect(validateAppSelections(undefined)).toEqual([
      { field: 'apps', message: 'must be an array of { app, options }' },
    ]);
    expect(validateAppSelections([])).toEqual([{ field: 'apps', message: 'must name at least one app' }]);
  });
});

describe('resolveOptions and appHostnames', () => {
  it('fills defaults', () => {
    expect(resolveOptions({ app: 'mastodon', options: { singleUserMode: true } })).toEqual({
      subdomain: 'social',
      singleUserMode: true,
      registrations: 'approval',
      adminUsername: 'owner',
    });
  });

  it('derives one hostname per enabled endpoint, the first endpoint of each app first', () => {
    expect(
      appHostnames('example.org', [
        { app: 'mastodon', options: {} },
        { app: 'forgejo', options: { subdomain: 'code' } },
        { app: 'matrix', options: { turn: false } },
      ]),
    ).toEqual([
      { app: 'mastodon', endpoint: 'web', fqdn: 'social.example.org', port: 3000 },
      { app: 'forgejo', endpoint: 'web', fqdn: 'code.example.org', port: 3001 },
      { app: 'matrix', endpoint: 'homeserver', fqdn: 'matrix.example.org', port: 8008 },
      { app: 'matrix', endpoint: 'element', fqdn: 'element.example.org', port: 8009 },
      { app: 'matrix', endpoint: 'well-known-server', fqdn: 'example.org', port: 443 },
      { app: 'matrix', endpoint: 'well-known-client', fqdn: 'example.org', port: 443 },
    ]);
  });
});

describe('ports and secrets', () => {
  it("opens Matrix's TURN ports only while TURN is enabled", () => {
    const on = enabledPorts(matrix, resolveOptions({ app: 'matrix', options: {} }));
    expect(
      on.filter((p) => p.protocol === 'udp').map((p) => (p.to === undefined ? p.port : `${p.port}-${p.to}`)),
    ).toEqual([3478, 3479, 5349, 5350, '49152-49999']);
    expect(on.filter((p) => p.protocol === 'tcp').map((p) => p.port)).toEqual([3478, 3479, 5349, 5350]);
    expect(enabledPorts(matrix, resolveOptions({ app: 'matrix', options: { turn: false } }))).toEqual([]);
  });

  it('puts each owner of a secret in its own folder and refuses an owner the secret does not have', () => {
    const turn = matrix.secrets.find((s) => s.name === 'turn-static-auth-secret');
    if (turn === undefined) throw new Error('matrix has no turn secret');
    expect(secretPath('matrix', turn, 'turnserver')).toBe(
      '/var/lib/fedops/secrets/matrix/turnserver/turn-static-auth-secret',
    );
    expect(secretPath('matrix', turn)).toBe('/var/lib/fedops/secrets/matrix/turn-static-auth-secret');
    expect(() => secretPath('matrix', turn, 'nginx')).toThrow(/has no copy for nginx/);
  });
});
