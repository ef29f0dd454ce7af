import type { CatalogApp } from './api-types';
import {
  RequestBuildError,
  buildCreateTenantBody,
  coerceOptionValue,
  parseOptionAssignment,
} from './tenant-request';

const catalog: CatalogApp[] = [
  {
    id: 'mastodon',
    name: 'Mastodon',
    description: '',
    options: {
      singleUserMode: { type: 'boolean', description: '' },
      subdomain: { type: 'subdomain', description: '' },
      registrations: { type: 'enum', values: ['open', 'closed'], description: '' },
    },
  },
  {
    id: 'pixelfed',
    name: 'Pixelfed',
    description: '',
    options: { maxPhotoSizeKiB: { type: 'integer', description: '' } },
  },
  {
    id: 'matrix',
    name: 'Matrix',
    description: '',
    options: {
      element: { type: 'enable', description: '' },
      elementSubdomain: { type: 'subdomain', description: '' },
    },
  },
];

describe('tenants create: the request body from flags', () => {
  it('builds the body from --domain, --app and typed --option values', () => {
    const body = buildCreateTenantBody(
      {
        domain: 'demo.example.net',
        apps: ['mastodon', 'gotosocial', 'pixelfed', 'matrix'],
        options: [
          'mastodon.singleUserMode=true',
          'mastodon.subdomain=123',
          'pixelfed.maxPhotoSizeKiB=20000',
          'matrix.element=false',
          'matrix.elementSubdomain=456',
        ],
      },
      catalog,
    );
    expect(body).toEqual({
      domain: 'demo.example.net',
      apps: [
        { app: 'mastodon', options: { singleUserMode: true, subdomain: '123' } },
        { app: 'gotosocial', options: {} },
        { app: 'pixelfed', options: { maxPhotoSizeKiB: 20000 } },
        { app: 'matrix', options: { element: false, elementSubdomain: '456' } },
      ],
    });
  });

  it('uses --file as the base, the flags over and beside it', () => {
    const body = buildCreateTenantBody({
      file: {
        domain: 'old.example',
        provider: 'sandbox',
        apps: [{ app: 'forgejo', options: { lfs: true } }],
      },
      domain: 'new.example',
      org: 'acme',
      apps: ['forgejo', 'mastodon'],
      options: ['forgejo.disableRegistration=true'],
    });
    expect(body).toEqual({
      domain: 'new.example',
      org: 'acme',
      provider: 'sandbox',
      apps: [
        { app: 'forgejo', options: { lfs: true, disableRegistration: true } },
        { app: 'mastodon', options: {} },
      ],
    });
  });

  it('puts --plan in the body and --provider and --location in its placement, over --file', () => {
    expect(
      buildCreateTenantBody({
        domain: 'x.example',
        plan: 'medium',
        provider: 'hetzner-main',
        location: 'fsn1',
        apps: ['gotosocial'],
        options: [],
      }),
    ).toEqual({
      domain: 'x.example',
      plan: 'medium',
      placement: { provider: 'hetzner-main', location: 'fsn1' },
      apps: [{ app: 'gotosocial', options: {} }],
    });
    expect(
      buildCreateTenantBody({
        file: { domain: 'x.example', plan: 'small', placement: { provider: 'pve-fra1', location: 'pve1' } },
        location: 'pve2',
        apps: ['gotosocial'],
        options: [],
      }),
    ).toMatchObject({ plan: 'small', placement: { provider: 'pve-fra1', location: 'pve2' } });
    expect(() =>
      buildCreateTenantBody({
        file: { domain: 'x.example', placement: 'pve-fra1' },
        provider: 'b',
        apps: ['gotosocial'],
        options: [],
      }),
    ).toThrow(/"placement" in --file must be an object/);
  });

  it('refuses what cannot make a request: no domain, no app, an option of an app not chosen, a bad --option', () => {
    expect(() => buildCreateTenantBody({ apps: ['mastodon'], options: [] })).toThrow(/needs --domain/);
    expect(() => buildCreateTenantBody({ domain: 'x.example', apps: [], options: [] })).toThrow(
      /at least one --app/,
    );
    expect(() =>
      buildCreateTenantBody({
        domain: 'x.example',
        apps: ['forgejo'],
        options: ['mastodon.singleUserMode=true'],
      }),
    ).toThrow(
      "--option mastodon.singleUserMode=true: mastodon is not among the tenant's apps (add --app mastodon)",
    );
    expect(() => buildCreateTenantBody({ file: [1], apps: [], options: [] })).toThrow(RequestBuildError);
    expect(() => parseOptionAssignment('singleUserMode=true')).toThrow(/<app>\.<option>=<value>/);
  });

  it('splits an assignment at the first = (values may hold more)', () => {
    expect(parseOptionAssignment('mastodon.adminEmail=a=b@x.example')).toEqual({
      app: 'mastodon',
      name: 'adminEmail',
      raw: 'a=b@x.example',
    });
    expect(parseOptionAssignment('forgejo.subdomain=')).toEqual({
      app: 'forgejo',
      name: 'subdomain',
      raw: '',
    });
  });

  it('types values by the catalog, and by their look when the catalog does not know the option', () => {
    expect(coerceOptionValue('true', 'boolean')).toBe(true);
    expect(coerceOptionValue('yes', 'boolean')).toBe('yes'); // the server reports it
    expect(coerceOptionValue('42', 'integer')).toBe(42);
    expect(coerceOptionValue('42', 'string')).toBe('42');
    expect(coerceOptionValue('false', 'enable')).toBe(false);
    expect(coerceOptionValue('123', 'subdomain')).toBe('123');
    expect(coerceOptionValue('false', 'enum')).toBe('false');
    expect(coerceOptionValue('false', undefined)).toBe(false);
    expect(coerceOptionValue('-7', undefined)).toBe(-7);
    expect(coerceOptionValue('closed', undefined)).toBe('closed');
  });
});
