import type { AppSelection } from '@fedops/contracts';
import { renderFlake, type RenderFlakeInput, type RenderedFlake } from '../flake-renderer';
import { NixExpr, type NixValue } from '../nix-string';
import { renderedOptionProblems } from '../options/check-options';

const SMTP = { host: 'smtp.example.net', port: 587, username: 'fedops' };

function render(apps: string[], over: Partial<RenderFlakeInput> = { smtp: SMTP }): RenderedFlake {
  const selections: AppSelection[] = apps.map((app) => ({ app, options: {} }));
  return renderFlake({
    tenantId: 'tenant-1',
    domain: 'example.org',
    hostname: 'fedops-tenant-1',
    apps: selections,
    machineKind: 'hetzner',
    ...over,
  });
}

function isAttrs(v: NixValue | undefined): v is { readonly [key: string]: NixValue } {
  return typeof v === 'object' && !Array.isArray(v) && !(v instanceof NixExpr);
}

/** One attribute path of a rendered module's tree (`undefined` where it is absent). */
function at(tree: NixValue | undefined, ...keys: string[]): NixValue | undefined {
  let node = tree;
  for (const key of keys) node = isAttrs(node) ? node[key] : undefined;
  return node;
}

function appModule(rendered: RenderedFlake, app: string): NixValue | undefined {
  return rendered.modules[`apps/${app}.nix`];
}

describe('the platform relay in the app modules', () => {
  it("sends PeerTube's mail through the relay with STARTTLS, the password from the peertube user's copy", () => {
    const rendered = render(['peertube']);
    const peertube = at(appModule(rendered, 'peertube'), 'services', 'peertube');
    expect(at(peertube, 'settings', 'smtp')).toEqual({
      transport: 'smtp',
      hostname: 'smtp.example.net',
      port: 587,
      username: 'fedops',
      tls: false,
      disable_starttls: false,
      from_address: 'notifications@video.example.org',
    });
    expect(at(peertube, 'smtp')).toEqual({ passwordFile: '/var/lib/fedops/secrets/smtp/peertube/password' });
    expect(rendered.secretFiles.filter((f) => f.app === 'smtp')).toEqual([
      {
        app: 'smtp',
        secret: 'password',
        owner: 'peertube',
        path: '/var/lib/fedops/secrets/smtp/peertube/password',
      },
    ]);
    expect(renderedOptionProblems(rendered.modules)).toEqual([]);
  });

  it("sends Nextcloud's mail through the relay, the password read into config.php from root's copy", () => {
    const rendered = render(['nextcloud']);
    const nextcloud = at(appModule(rendered, 'nextcloud'), 'services', 'nextcloud');
    const settings = at(nextcloud, 'settings');
    expect(settings).toEqual({
      mail_smtpmode: 'smtp',
      mail_smtphost: 'smtp.example.net',
      mail_smtpport: 587,
      mail_smtpauth: true,
      mail_smtpname: 'fedops',
      mail_from_address: 'notifications',
      mail_domain: at(nextcloud, 'hostName'),
    });
    expect(at(nextcloud, 'secrets')).toEqual({ mail_smtppassword: '/var/lib/fedops/secrets/smtp/password' });
    expect(rendered.secretFiles.filter((f) => f.app === 'smtp')).toEqual([
      { app: 'smtp', secret: 'password', path: '/var/lib/fedops/secrets/smtp/password' },
    ]);
    expect(renderedOptionProblems(rendered.modules)).toEqual([]);
  });

  it.each([
    ['gotosocial', ['services', 'gotosocial', 'environmentFile']],
    ['pixelfed', ['services', 'pixelfed', 'settings', 'MAIL_HOST']],
    ['matrix', ['services', 'matrix-synapse', 'settings', 'email']],
  ])('renders no relay settings for %s and delivers it no relay password', (app, path) => {
    const rendered = render([app]);
    expect(at(appModule(rendered, app), ...path)).toBeUndefined();
    expect(rendered.secretFiles.some((f) => f.app === 'smtp')).toBe(false);
  });

  it('renders no mail settings and delivers no relay password without a relay', () => {
    const rendered = render(['peertube', 'nextcloud'], {});
    expect(at(appModule(rendered, 'peertube'), 'services', 'peertube', 'settings', 'smtp')).toBeUndefined();
    expect(at(appModule(rendered, 'peertube'), 'services', 'peertube', 'smtp')).toBeUndefined();
    expect(at(appModule(rendered, 'nextcloud'), 'services', 'nextcloud', 'settings')).toBeUndefined();
    expect(at(appModule(rendered, 'nextcloud'), 'services', 'nextcloud', 'secrets')).toBeUndefined();
    expect(rendered.secretFiles.some((f) => f.app === 'smtp')).toBe(false);
  });
});
