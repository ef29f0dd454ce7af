import { appHostnames, resolveOptions, validateAppSelections } from './catalog';

describe('validateAppSelections', () => {
  it('accepts known apps with valid options', () => {
    expect(
      validateAppSelections([
        { app: 'mastodon', options: { singleUserMode: true, maxTootChars: 1000, registrations: 'closed' } },
        { app: 'forgejo' },
      ]),
    ).toEqual([]);
  });

  it('names every problem by its path', () => {
    const errors = validateAppSelections([
      { app: 'myspace', options: {} },
      {
        app: 'mastodon',
        options: { maxTootChars: 100, registrations: 'sometimes', colour: 'blue', adminEmail: 'nope' },
      },
      { app: 'mastodon', options: { maxTootChars: 1.5 } },
      { app: 'gotosocial', options: { subdomain: 'social' } },
      'mastodon',
    ]);
    expect(errors.map((e) => e.field)).toEqual([
      'apps[0].app',
      'apps[1].options.maxTootChars',
      'apps[1].options.registrations',
      'apps[1].options.colour',
      'apps[1].options.adminEmail',
      'apps[2].app',
      'apps[2].options.maxTootChars',
      'apps[2].options.subdomain',
      'apps[3].options.subdomain',
      'apps[4]',
    ]);
    expect(errors[0]?.message).toMatch(/unknown app "myspace"; known apps: mastodon/);
    expect(errors[1]?.message).toBe('must be at least 500');
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
  it('fills defaults and derives one hostname per app', () => {
    expect(resolveOptions({ app: 'mastodon', options: { singleUserMode: true } })).toEqual({
      subdomain: 'social',
      singleUserMode: true,
      registrations: 'approval',
      maxTootChars: 500,
    });
    expect(
      appHostnames('example.org', [
        { app: 'mastodon', options: {} },
        { app: 'forgejo', options: { subdomain: 'code' } },
      ]),
    ).toEqual([
      { app: 'mastodon', fqdn: 'social.example.org', port: 3000 },
      { app: 'forgejo', fqdn: 'code.example.org', port: 3001 },
    ]);
  });
});
