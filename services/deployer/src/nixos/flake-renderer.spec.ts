import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { APPS, optionSchema } from '@fedops/catalog';
import type { AppSelection } from '@fedops/contracts';
import { APP_MODULE_RENDERERS } from './app-modules';
import { hashFiles, renderFlake, type AppsManifest, type RenderFlakeInput } from './flake-renderer';
import { evaluateOnlyNixEnv } from './nix-environment';
import { nixAttrName, nixString } from './nix-string';

const input = (apps: AppSelection[], over: Partial<RenderFlakeInput> = {}): RenderFlakeInput => ({
  tenantId: 'tenant-1',
  domain: 'example.org',
  hostname: 'fedops-tenant-1',
  apps,
  ...over,
});

function file(apps: AppSelection[], filePath: string, over: Partial<RenderFlakeInput> = {}): string {
  const found = renderFlake(input(apps, over)).files.find((f) => f.path === filePath);
  if (found === undefined) throw new Error(`no ${filePath}`);
  return found.content;
}

/** Evaluates a Nix expression with the real nix-instantiate (offline, throw-away state dir). */
function nixEval(expr: string): unknown {
  const dir = mkdtempSync(path.join(tmpdir(), 'fedops-nix-eval-'));
  try {
    const out = execFileSync('nix-instantiate', ['--eval', '--strict', '--json', '--expr', expr], {
      env: evaluateOnlyNixEnv(dir),
      encoding: 'utf8',
    });
    return JSON.parse(out) as unknown;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Imports a rendered app module with stub arguments and returns one attribute path as JSON. */
function evalModule(content: string, attrPath: string): unknown {
  const dir = mkdtempSync(path.join(tmpdir(), 'fedops-nix-mod-'));
  try {
    const f = path.join(dir, 'm.nix');
    writeFileSync(f, content);
    return nixEval(`(import ${f} { config = {}; lib = {}; pkgs = {}; }).${attrPath}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('nixString', () => {
  it.each([
    'plain',
    'with "quotes"',
    'back\\slash',
    '${builtins.currentTime}',
    '$${x}',
    "it's",
    'line\nbreak\ttab',
    '"; system.activationScripts.x = "rm -rf /',
    '\\${x}',
    '" + builtins.readFile /etc/shadow + "',
    'ünïcødé ✓',
  ])('round-trips %j through the real Nix evaluator', (value) => {
    expect(nixEval(nixString(value))).toBe(value);
  });

  it('escapes the characters that could end the string or start an antiquotation', () => {
    expect(nixString('a"b\\c${d}')).toBe('"a\\"b\\\\c\\${d}"');
  });

  it('quotes attribute names that are not bare identifiers', () => {
    expect(nixAttrName('services')).toBe('services');
    expect(nixAttrName('social.example.org')).toBe('"social.example.org"');
    expect(nixAttrName('in')).toBe('"in"');
  });
});

describe('renderFlake', () => {
  const mastodon: AppSelection = {
    app: 'mastodon',
    options: { singleUserMode: true, adminEmail: 'admin@example.org' },
  };

  it('renders a flake pinned to nixos-24.11 with one nixosConfiguration importing every module', () => {
    const flake = file([mastodon, { app: 'forgejo', options: {} }], 'flake.nix');
    expect(flake).toContain('inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-24.11";');
    expect(flake).toContain('nixosConfigurations.fedops-tenant-1 = nixpkgs.lib.nixosSystem {');
    for (const m of ['./hardware.nix', './base.nix', './apps/forgejo.nix', './apps/mastodon.nix']) {
      expect(flake).toContain(`        ${m}\n`);
    }
  });

  it('lists the files in path order', () => {
    const paths = renderFlake(input([mastodon, { app: 'gotosocial', options: {} }])).files.map((f) => f.path);
    expect(paths).toEqual([
      'apps/gotosocial.nix',
      'apps/mastodon.nix',
      'base.nix',
      'fedops-apps.json',
      'flake.nix',
    ]);
  });

  it('renders Mastodon with the real NixOS module options', () => {
    const mod = file([mastodon], 'apps/mastodon.nix');
    const m = evalModule(mod, 'services.mastodon') as Record<string, unknown>;
    expect(m).toMatchObject({
      enable: true,
      localDomain: 'social.example.org',
      configureNginx: true,
      webPort: 3000,
      enableUnixSocket: false,
      smtp: { fromAddress: 'notifications@social.example.org' },
      extraConfig: { SINGLE_USER_MODE: 'true', MAX_TOOT_CHARS: '500' },
    });
    const setup = evalModule(mod, 'systemd.services.fedops-mastodon-setup.script') as string;
    expect(setup).toContain('settings registrations approved');
    expect(setup).toContain('--email admin@example.org');
  });

  it('renders singleUserMode false as the string "false"', () => {
    const mod = file([{ app: 'mastodon', options: {} }], 'apps/mastodon.nix');
    expect(evalModule(mod, 'services.mastodon.extraConfig.SINGLE_USER_MODE')).toBe('false');
    expect(evalModule(mod, 'systemd.services.fedops-mastodon-setup.script')).not.toContain('accounts create');
  });

  it('renders GoToSocial and Forgejo settings with the app ports', () => {
    const gts = file(
      [{ app: 'gotosocial', options: { registrationsOpen: true, subdomain: 'fed' } }],
      'apps/gotosocial.nix',
    );
    expect(evalModule(gts, 'services.gotosocial.settings')).toMatchObject({
      host: 'fed.example.org',
      port: 8080,
      'accounts-registration-open': true,
      'accounts-approval-required': true,
    });
    const fj = file([{ app: 'forgejo', options: { lfs: true } }], 'apps/forgejo.nix');
    expect(evalModule(fj, 'services.forgejo')).toMatchObject({
      enable: true,
      lfs: { enable: true },
      settings: {
        server: { DOMAIN: 'git.example.org', HTTP_PORT: 3001, ROOT_URL: 'https://git.example.org/' },
        service: { DISABLE_REGISTRATION: true },
      },
    });
  });

  it('puts ssh, ports 80/443, ACME with the admin email and proxying vhosts in the base module', () => {
    const base = file([mastodon, { app: 'forgejo', options: {} }], 'base.nix');
    expect(evalModule(base, 'networking.firewall.allowedTCPPorts')).toEqual([22, 80, 443]);
    expect(evalModule(base, 'services.openssh.enable')).toBe(true);
    expect(evalModule(base, 'security.acme')).toEqual({
      acceptTerms: true,
      defaults: { email: 'admin@example.org' },
    });
    const vhosts = evalModule(base, 'services.nginx.virtualHosts') as Record<string, unknown>;
    // Mastodon's module makes its own vhost (configureNginx); Forgejo's comes from the base module.
    expect(Object.keys(vhosts)).toEqual(['git.example.org']);
    expect(vhosts['git.example.org']).toEqual({
      enableACME: true,
      forceSSL: true,
      locations: { '/': { proxyPass: 'http://127.0.0.1:3001', proxyWebsockets: true } },
    });
  });

  it('falls back to hostmaster@<domain> for ACME without an admin email', () => {
    const base = file([{ app: 'gotosocial', options: {} }], 'base.nix');
    expect(evalModule(base, 'security.acme.defaults.email')).toBe('hostmaster@example.org');
  });

  it('keeps injection attempts inside string values', () => {
    const attack = '"; system.activationScripts.x = "rm -rf /';
    const email = `x${attack}\${builtins.currentTime}'$(reboot)'@evil.org`;
    const rendered = renderFlake(
      input([{ app: 'mastodon', options: { adminEmail: email } }], { tenantId: `t${attack}` }),
    );
    for (const f of rendered.files) expect(f.content).not.toContain('system.activationScripts.x = "rm');
    const mod = rendered.files.find((f) => f.path === 'apps/mastodon.nix')?.content ?? '';
    const top = evalModule(mod, 'systemd.services') as Record<string, unknown>;
    expect(Object.keys(top)).toEqual(['fedops-mastodon-setup']);
    const script = evalModule(mod, 'systemd.services.fedops-mastodon-setup.script') as string;
    // Run the script with a stand-in tootctl that prints its arguments: the address arrives as one word.
    const runnable = script.replace(/^tootctl=.*$/m, `args() { printf '%s\\0' "$@"; }; tootctl=args`);
    const words = execFileSync('sh', ['-c', runnable], { encoding: 'utf8' }).split('\0');
    expect(words).toContain(email);
    expect(words[words.indexOf(email) - 1]).toBe('--email');
    const base = rendered.files.find((f) => f.path === 'base.nix')?.content ?? '';
    expect(evalModule(base, 'security.acme.defaults.email')).toBe(email);
    expect(Object.keys(evalModule(base, 'system') as object)).toEqual(['stateVersion']);
  });

  it('rejects a hostname that is not a DNS label', () => {
    expect(() => renderFlake(input([mastodon], { hostname: 'x"; y' }))).toThrow(/not a DNS label/);
  });

  it('is deterministic: same hash for the same input in any app order', () => {
    const a = renderFlake(
      input([mastodon, { app: 'forgejo', options: { lfs: true, disableRegistration: false } }]),
    );
    const b = renderFlake(
      input([{ app: 'forgejo', options: { disableRegistration: false, lfs: true } }, mastodon]),
    );
    expect(b.files).toEqual(a.files);
    expect(b.configHash).toBe(a.configHash);
    expect(a.configHash).toMatch(/^[0-9a-f]{64}$/);
    expect(hashFiles(a.files)).toBe(a.configHash);
  });

  it('changes the hash when an option changes', () => {
    const a = renderFlake(input([mastodon]));
    const b = renderFlake(input([{ ...mastodon, options: { ...mastodon.options, maxTootChars: 600 } }]));
    expect(b.configHash).not.toBe(a.configHash);
  });

  it('writes a manifest with fqdn, port, health path and resolved options', () => {
    const rendered = renderFlake(input([mastodon]));
    const manifest = JSON.parse(
      rendered.files.find((f) => f.path === 'fedops-apps.json')?.content ?? '',
    ) as AppsManifest;
    expect(manifest).toEqual(rendered.manifest);
    expect(manifest.apps).toEqual([
      {
        app: 'mastodon',
        name: 'Mastodon',
        fqdn: 'social.example.org',
        port: 3000,
        healthPath: '/health',
        options: {
          adminEmail: 'admin@example.org',
          maxTootChars: 500,
          registrations: 'approval',
          singleUserMode: true,
          subdomain: 'social',
        },
      },
    ]);
  });

  it('has a renderer for every catalog app that renders every catalog option', () => {
    for (const app of APPS) {
      const renderer = APP_MODULE_RENDERERS[app.id];
      expect(renderer).toBeDefined();
      expect(['subdomain', ...(renderer?.renders ?? [])].sort()).toEqual(
        Object.keys(optionSchema(app)).sort(),
      );
    }
  });
});
