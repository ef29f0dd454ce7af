import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { APPS } from '@fedops/catalog';
import type { AppSelection } from '@fedops/contracts';
import { RESOURCE_PROVIDER_KINDS } from '@fedops/contracts';
import { APP_MODULE_RENDERERS } from './app-modules';
import { expectGolden } from './golden.test';
import { hashFiles, renderFlake, type AppsManifest, type RenderFlakeInput } from './flake-renderer';
import { NIXPKGS_PIN } from './nixpkgs-pin';
import { renderedOptionProblems } from './options/check-options';
import { evaluateOnlyNixEnv } from './nix-environment';
import { nixAttrName, nixString } from './nix-string';

const input = (apps: AppSelection[], over: Partial<RenderFlakeInput> = {}): RenderFlakeInput => ({
  tenantId: 'tenant-1',
  domain: 'example.org',
  hostname: 'fedops-tenant-1',
  apps,
  machineKind: 'hetzner',
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

/**
 * Imports a rendered module with stub arguments and returns one attribute path as JSON (`wrap`
 * applies a builtin first, e.g. `builtins.attrNames` for a set whose values need the real config).
 */
function evalModule(content: string, attrPath: string, wrap = ''): unknown {
  const dir = mkdtempSync(path.join(tmpdir(), 'fedops-nix-mod-'));
  try {
    const f = path.join(dir, 'm.nix');
    writeFileSync(f, content);
    return nixEval(
      `${wrap} (import ${f} { config = {}; lib = {}; pkgs = {}; modulesPath = /fedops-stub-modules; }).${attrPath}`,
    );
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
  const allEight: AppSelection[] = APPS.map((a) => ({ app: a.id, options: {} }));

  it.each([
    ...APPS.map((a) => [a.id, [{ app: a.id, options: {} }]] as const),
    ['all-eight', allEight] as const,
  ])('renders %s as in its golden files (FEDOPS_UPDATE_GOLDEN=1 rewrites them)', (name, apps) => {
    expectGolden(name, renderFlake(input([...apps])).files);
  });

  it('renders a flake on nixos-26.11 with a lock pinning the nixpkgs revision, importing every module', () => {
    const flake = file([mastodon, { app: 'forgejo', options: {} }], 'flake.nix');
    expect(flake).toContain('inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-26.11";');
    expect(flake).toContain('nixosConfigurations.fedops-tenant-1 = nixpkgs.lib.nixosSystem {');
    for (const m of ['./machine.nix', './base.nix', './apps/forgejo.nix', './apps/mastodon.nix']) {
      expect(flake).toContain(`        ${m}\n`);
    }
    expect(flake).not.toContain('hardware');
    const lock = JSON.parse(file([mastodon], 'flake.lock')) as {
      nodes: { nixpkgs: { locked: { rev: string; type: string }; original: { ref: string } } };
      version: number;
    };
    expect(lock.version).toBe(7);
    expect(lock.nodes.nixpkgs.locked).toMatchObject({ type: 'github', rev: NIXPKGS_PIN.rev });
    expect(lock.nodes.nixpkgs.original.ref).toBe('nixos-26.11');
  });

  it('lists the files in path order', () => {
    const paths = renderFlake(input([mastodon, { app: 'gotosocial', options: {} }])).files.map((f) => f.path);
    expect(paths).toEqual([
      'apps/gotosocial.nix',
      'apps/mastodon.nix',
      'base.nix',
      'fedops-apps.json',
      'flake.lock',
      'flake.nix',
      'machine.nix',
    ]);
  });

  it.each(RESOURCE_PROVIDER_KINDS)(
    'gives a %s machine the profile of its image, not a hardware-configuration.nix',
    (kind) => {
      const machine = file([mastodon], 'machine.nix', { machineKind: kind });
      const imports = [...machine.matchAll(/modulesPath \+ "([^"]+)"/g)].map((m) => m[1]);
      const expected: Record<typeof kind, string[]> = {
        proxmox: ['/virtualisation/proxmox-image.nix'],
        hetzner: ['/virtualisation/hcloud-config.nix'],
        digitalocean: ['/virtualisation/digital-ocean-config.nix'],
        sandbox: [],
      };
      expect(imports).toEqual(expected[kind]);
      if (kind === 'sandbox') expect(evalModule(machine, 'boot.isContainer')).toBe(true);
    },
  );

  it('renders Mastodon with its secrets from files and no option that stock Mastodon ignores', () => {
    const mod = file([mastodon], 'apps/mastodon.nix');
    const m = evalModule(mod, 'services.mastodon') as Record<string, unknown>;
    expect(m).toMatchObject({
      enable: true,
      localDomain: 'social.example.org',
      configureNginx: true,
      webPort: 3000,
      enableUnixSocket: false,
      secretKeyBaseFile: '/var/lib/fedops/secrets/mastodon/mastodon/secret-key-base',
      extraConfig: { SINGLE_USER_MODE: 'true' },
    });
    expect(mod).not.toContain('MAX_TOOT_CHARS');
  });

  it("creates Mastodon's first admin under the chosen name, from the password file, failing loudly", () => {
    const mod = file([{ app: 'mastodon', options: { adminUsername: 'alice' } }], 'apps/mastodon.nix');
    const script = evalModule(mod, 'systemd.services.fedops-mastodon-setup.script') as string;
    expect(script.split('\n')[0]).toBe('set -eu');
    expect(script).toContain('./bin/tootctl settings registrations approved');
    expect(script).toContain(
      './bin/rails runner "$FEDOPS_ADMIN_SCRIPT" alice owner@example.org /var/lib/fedops/secrets/mastodon/mastodon/admin-password',
    );
    expect(script).not.toMatch(/\|\||accounts create admin|echo .*password/);
  });

  it('renders GoToSocial without the removed approval setting, on PostgreSQL, with a first admin', () => {
    const gts = file(
      [{ app: 'gotosocial', options: { registrationsOpen: true, subdomain: 'fed' } }],
      'apps/gotosocial.nix',
    );
    const settings = evalModule(gts, 'services.gotosocial.settings') as Record<string, unknown>;
    expect(settings).toMatchObject({
      host: 'fed.example.org',
      port: 8080,
      'db-type': 'postgres',
      'accounts-registration-open': true,
    });
    expect(settings).not.toHaveProperty('accounts-approval-required');
    const script = evalModule(gts, 'systemd.services.fedops-gotosocial-admin.script') as string;
    expect(script).toContain('gotosocial-admin account promote --username "$user"');
    expect(script).toContain('$(cat /var/lib/fedops/secrets/gotosocial/admin-password)');
  });

  it('renders Forgejo settings with the app port and a first admin made by forgejo itself', () => {
    const fj = file([{ app: 'forgejo', options: { lfs: true } }], 'apps/forgejo.nix');
    expect(evalModule(fj, 'services.forgejo')).toMatchObject({
      enable: true,
      lfs: { enable: true },
      database: { type: 'postgres' },
      settings: {
        server: { DOMAIN: 'git.example.org', HTTP_PORT: 3001, ROOT_URL: 'https://git.example.org/' },
        service: { DISABLE_REGISTRATION: true },
      },
    });
    const script = evalModule(fj, 'systemd.services.fedops-forgejo-admin.script') as string;
    expect(script).toContain('forgejo admin user create --admin --username "$user"');
    expect(script).toContain('/var/lib/fedops/secrets/forgejo/forgejo/admin-password');
  });

  it('opens the Matrix TURN ports and relay range, and only them besides SSH and HTTP(S)', () => {
    const base = file([{ app: 'matrix', options: {} }], 'base.nix');
    expect(evalModule(base, 'networking.firewall')).toEqual({
      enable: true,
      allowedTCPPorts: [22, 80, 443, 3478, 3479, 5349, 5350],
      allowedUDPPorts: [3478, 3479, 5349, 5350],
      allowedTCPPortRanges: [],
      allowedUDPPortRanges: [{ from: 49152, to: 49999 }],
    });
    const noTurn = file([{ app: 'matrix', options: { turn: false } }], 'base.nix');
    expect(evalModule(noTurn, 'networking.firewall.allowedUDPPorts')).toEqual([]);
    expect(evalModule(noTurn, 'networking.firewall.allowedTCPPorts')).toEqual([22, 80, 443]);
  });

  it("serves Matrix's .well-known on the tenant domain and shares coturn's secret with Synapse", () => {
    const rendered = renderFlake(input([{ app: 'matrix', options: {} }]));
    const base = rendered.files.find((f) => f.path === 'base.nix')?.content ?? '';
    const apex = evalModule(base, 'services.nginx.virtualHosts."example.org".locations') as Record<
      string,
      { return: string }
    >;
    const body = (loc: string): unknown =>
      JSON.parse(/^200 '(.*)'$/.exec(apex[loc]?.return ?? '')?.[1] ?? 'null');
    expect(body('= /.well-known/matrix/server')).toEqual({ 'm.server': 'matrix.example.org:443' });
    expect(body('= /.well-known/matrix/client')).toEqual({
      'm.homeserver': { base_url: 'https://matrix.example.org' },
      'm.server_name': 'example.org',
    });
    const mod = rendered.files.find((f) => f.path === 'apps/matrix.nix')?.content ?? '';
    const settings = evalModule(mod, 'services.matrix-synapse.settings') as Record<string, unknown>;
    expect(settings).toMatchObject({
      server_name: 'example.org',
      public_baseurl: 'https://matrix.example.org/',
      turn_shared_secret_path: '/var/lib/fedops/secrets/matrix/matrix-synapse/turn-static-auth-secret',
    });
    expect(settings['turn_uris']).toContain('turns:turn.example.org:5349?transport=udp');
    expect(evalModule(mod, 'services.coturn."static-auth-secret-file"')).toBe(
      '/var/lib/fedops/secrets/matrix/turnserver/turn-static-auth-secret',
    );
    // One secret, two owners' copies: the pipeline delivers the same value to both.
    expect(rendered.secretFiles.filter((f) => f.secret === 'turn-static-auth-secret')).toEqual([
      {
        app: 'matrix',
        secret: 'turn-static-auth-secret',
        owner: 'matrix-synapse',
        path: '/var/lib/fedops/secrets/matrix/matrix-synapse/turn-static-auth-secret',
      },
      {
        app: 'matrix',
        secret: 'turn-static-auth-secret',
        owner: 'turnserver',
        path: '/var/lib/fedops/secrets/matrix/turnserver/turn-static-auth-secret',
      },
    ]);
    expect(Object.keys(evalModule(base, 'services.nginx.virtualHosts') as object).sort()).toEqual([
      'element.example.org',
      'example.org',
      'matrix.example.org',
      'turn.example.org',
    ]);
  });

  it("sets each proxied app's body size, and leaves vhosts the app module writes to it", () => {
    const base = file([mastodon, { app: 'forgejo', options: {} }], 'base.nix');
    const vhosts = evalModule(base, 'services.nginx.virtualHosts') as Record<string, unknown>;
    expect(vhosts['git.example.org']).toEqual({
      enableACME: true,
      forceSSL: true,
      extraConfig: 'client_max_body_size 512m;\n',
      locations: { '/': { proxyPass: 'http://127.0.0.1:3001', proxyWebsockets: true } },
    });
    expect(vhosts['social.example.org']).toEqual({ enableACME: true, forceSSL: true });
  });

  it("gives each app's database to the app's role, once per database", () => {
    const base = file([mastodon, { app: 'matrix', options: {} }, { app: 'jitsi', options: {} }], 'base.nix');
    expect(evalModule(base, 'services.postgresql')).toEqual({
      enable: true,
      ensureDatabases: ['mastodon', 'matrix-synapse'],
      ensureUsers: [
        { name: 'mastodon', ensureDBOwnership: true },
        { name: 'matrix-synapse', ensureDBOwnership: true },
      ],
    });
    expect(file([{ app: 'jitsi', options: {} }], 'base.nix')).not.toContain('postgresql');
  });

  it('references secrets only by path: every secret file under the secrets folder, owners set by the configuration', () => {
    const rendered = renderFlake(input(allEight));
    expect(rendered.secretFiles.length).toBeGreaterThan(10);
    const text = rendered.files.map((f) => f.content).join('\n');
    for (const f of rendered.secretFiles) {
      expect(f.path.startsWith(`/var/lib/fedops/secrets/${f.app}/`)).toBe(true);
      expect(text).toContain(f.path);
    }
    const base = rendered.files.find((f) => f.path === 'base.nix')?.content ?? '';
    const owners = evalModule(base, 'system.activationScripts.fedops-secret-owners.text') as string;
    expect(owners.split('\n')).toContain('chown -R turnserver: /var/lib/fedops/secrets/matrix/turnserver');
  });

  it('keeps injection attempts inside string values and single shell words', () => {
    const attack = '"; system.activationScripts.x = "rm -rf /';
    const email = `x${attack}\${builtins.currentTime}'$(reboot)'@evil.org`;
    const rendered = renderFlake(
      input([{ app: 'mastodon', options: { adminEmail: email } }], { tenantId: `t${attack}` }),
    );
    for (const f of rendered.files) expect(f.content).not.toContain('system.activationScripts.x = "rm');
    const mod = rendered.files.find((f) => f.path === 'apps/mastodon.nix')?.content ?? '';
    expect(evalModule(mod, 'systemd.services', 'builtins.attrNames')).toEqual(['fedops-mastodon-setup']);
    const script = evalModule(mod, 'systemd.services.fedops-mastodon-setup.script') as string;
    // Run the script with stand-in bin/tootctl and bin/rails that print their arguments.
    const dir = mkdtempSync(path.join(tmpdir(), 'fedops-mastodon-script-'));
    try {
      execFileSync('mkdir', ['-p', path.join(dir, 'bin')]);
      for (const tool of ['tootctl', 'rails']) {
        writeFileSync(path.join(dir, 'bin', tool), `#!/bin/sh\nprintf '%s\\0' ${tool} "$@"\n`, {
          mode: 0o755,
        });
      }
      const words = execFileSync('sh', ['-c', script], {
        cwd: dir,
        encoding: 'utf8',
        env: { PATH: '/usr/bin:/bin', FEDOPS_ADMIN_SCRIPT: '/nix/store/x-admin.rb' },
      }).split('\0');
      expect(words).toContain(email);
      expect(words.indexOf(email)).toBe(words.indexOf('owner') + 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const base = rendered.files.find((f) => f.path === 'base.nix')?.content ?? '';
    expect(evalModule(base, 'security.acme.defaults.email')).toBe(email);
  });

  it("sends Mastodon's and Forgejo's mail through the platform's relay, each reading its own copy of the password", () => {
    const smtp = { host: 'smtp.example.net', port: 587, username: 'fedops' };
    const rendered = renderFlake(input([mastodon, { app: 'forgejo', options: {} }], { smtp }));
    const mod = (p: string): string => rendered.files.find((f) => f.path === p)?.content ?? '';
    expect(evalModule(mod('apps/mastodon.nix'), 'services.mastodon.smtp')).toEqual({
      fromAddress: 'notifications@social.example.org',
      createLocally: false,
      host: 'smtp.example.net',
      port: 587,
      authenticate: true,
      user: 'fedops',
      passwordFile: '/var/lib/fedops/secrets/smtp/mastodon/password',
    });
    expect(evalModule(mod('apps/forgejo.nix'), 'services.forgejo.secrets.mailer.PASSWD')).toBe(
      '/var/lib/fedops/secrets/smtp/forgejo/password',
    );
    expect(rendered.secretFiles.filter((f) => f.app === 'smtp').map((f) => [f.owner, f.path])).toEqual([
      ['forgejo', '/var/lib/fedops/secrets/smtp/forgejo/password'],
      ['mastodon', '/var/lib/fedops/secrets/smtp/mastodon/password'],
    ]);
    expect(renderedOptionProblems(rendered.modules)).toEqual([]);
    // Without a relay nothing of it is rendered.
    expect(renderFlake(input([mastodon])).secretFiles.some((f) => f.app === 'smtp')).toBe(false);
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

  it('changes the hash when an option, the machine kind or the nixpkgs revision changes', () => {
    const a = renderFlake(input([mastodon]));
    expect(
      renderFlake(input([{ ...mastodon, options: { ...mastodon.options, registrations: 'open' } }]))
        .configHash,
    ).not.toBe(a.configHash);
    expect(renderFlake(input([mastodon], { machineKind: 'proxmox' })).configHash).not.toBe(a.configHash);
    const otherPin = a.files.map((f) =>
      f.path === 'flake.lock' ? { ...f, content: f.content.replace(NIXPKGS_PIN.rev, '0'.repeat(40)) } : f,
    );
    expect(hashFiles(otherPin)).not.toBe(a.configHash);
  });

  it('writes a manifest with each endpoint, port, database and the resolved options', () => {
    const rendered = renderFlake(input([mastodon]));
    const manifest = JSON.parse(
      rendered.files.find((f) => f.path === 'fedops-apps.json')?.content ?? '',
    ) as AppsManifest;
    expect(manifest).toEqual(rendered.manifest);
    expect(manifest.apps).toEqual([
      {
        app: 'mastodon',
        name: 'Mastodon',
        endpoints: [
          {
            id: 'web',
            kind: 'http',
            fqdn: 'social.example.org',
            port: 3000,
            healthPath: '/health',
            maxBodySize: '100m',
          },
        ],
        ports: [],
        databases: ['mastodon'],
        dataPaths: ['/var/lib/mastodon'],
        options: {
          adminEmail: 'admin@example.org',
          adminUsername: 'owner',
          registrations: 'approval',
          singleUserMode: true,
          subdomain: 'social',
        },
      },
    ]);
    expect(manifest.secretFiles).toEqual(rendered.secretFiles);
  });

  it('has a renderer for every catalog app that renders every catalog option', () => {
    for (const app of APPS) {
      const renderer = APP_MODULE_RENDERERS[app.id];
      expect(renderer).toBeDefined();
      const subdomains = Object.entries(app.options)
        .filter(([, s]) => s.type === 'subdomain')
        .map(([n]) => n);
      expect([app.id, [...subdomains, ...(renderer?.renders ?? [])].sort()]).toEqual([
        app.id,
        Object.keys(app.options).sort(),
      ]);
    }
  });
});

describe('rendered configurations and the NixOS option list', () => {
  it.each(RESOURCE_PROVIDER_KINDS)(
    'set only options NixOS 26.11 declares, with values of their types, for every app on a %s machine',
    (kind) => {
      for (const apps of [
        ...APPS.map((a) => [{ app: a.id, options: {} }]),
        APPS.map((a) => ({ app: a.id, options: {} })),
      ]) {
        const rendered = renderFlake(input(apps, { machineKind: kind }));
        expect({ apps: apps.map((a) => a.app), problems: renderedOptionProblems(rendered.modules) }).toEqual({
          apps: apps.map((a) => a.app),
          problems: [],
        });
      }
    },
  );

  it('reports a misspelled option with the closest real one', () => {
    const rendered = renderFlake(input([{ app: 'forgejo', options: {} }]));
    const broken = { ...rendered.modules, 'apps/forgejo.nix': { services: { forgejo: { enabel: true } } } };
    expect(renderedOptionProblems(broken)).toEqual([
      expect.stringMatching(
        /^apps\/forgejo\.nix: services\.forgejo\.enabel: .*did you mean services\.forgejo\.enable/,
      ),
    ]);
  });
});
