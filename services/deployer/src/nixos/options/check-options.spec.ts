import { nixExpr, type NixValue } from '../nix-string';
import { checkModuleOptions, closestName } from './check-options';
import { nixosOptionIndex } from './option-index';

const index = nixosOptionIndex();
const check = (tree: NixValue) => checkModuleOptions(tree, index);

/** A module like the renderers write: imports, apps, nginx virtual host, database, unit, firewall. */
function goodModule(): Record<string, NixValue> {
  return {
    imports: [nixExpr('(modulesPath + "/virtualisation/proxmox-image.nix")')],
    system: { stateVersion: '26.11' },
    networking: {
      hostName: 'fedops-t1',
      firewall: {
        enable: true,
        allowedTCPPorts: [22, 80, 443],
        allowedUDPPortRanges: [{ from: 49152, to: 65535 }],
      },
    },
    boot: { loader: { grub: { enable: true, device: '/dev/sda' } }, growPartition: true },
    fileSystems: { '/': { device: '/dev/disk/by-label/nixos', fsType: 'ext4', autoResize: true } },
    security: { acme: { acceptTerms: true, defaults: { email: 'ops@example.org' } } },
    services: {
      openssh: {
        enable: true,
        settings: { PasswordAuthentication: false, PermitRootLogin: 'prohibit-password' },
      },
      mastodon: {
        enable: true,
        localDomain: 'social.example.org',
        configureNginx: true,
        streamingProcesses: 1,
        enableUnixSocket: false,
        webPort: 55001,
        smtp: { fromAddress: 'noreply@social.example.org', createLocally: false },
        extraConfig: { SINGLE_USER_MODE: 'false', ANYTHING: 'goes' },
      },
      nginx: {
        enable: true,
        recommendedProxySettings: true,
        virtualHosts: {
          'social.example.org': {
            forceSSL: true,
            enableACME: true,
            root: nixExpr('pkgs.element-web'),
            locations: { '/': { proxyPass: 'http://127.0.0.1:55001', proxyWebsockets: true, priority: 100 } },
          },
        },
      },
      postgresql: {
        enable: true,
        ensureDatabases: ['forgejo'],
        ensureUsers: [{ name: 'forgejo', ensureDBOwnership: true, ensureClauses: { login: true } }],
      },
      coturn: {
        enable: true,
        realm: 'turn.example.org',
        'use-auth-secret': true,
        'min-port': 49152,
        cert: nixExpr('"${config.security.acme.certs."turn.example.org".directory}/full.pem"'),
      },
    },
    systemd: {
      services: {
        'fedops-mastodon-admin': {
          description: 'fedops: Mastodon first admin',
          after: ['mastodon-web.service'],
          requires: ['mastodon-web.service'],
          wantedBy: ['multi-user.target'],
          path: [nixExpr('pkgs.curl')],
          environment: { RAILS_ENV: 'production' },
          serviceConfig: { Type: 'oneshot', RemainAfterExit: true, User: 'mastodon' },
          script: 'tootctl accounts create admin',
        },
      },
    },
    users: { users: { nginx: { extraGroups: ['turnserver'] } } },
  };
}

describe('checkModuleOptions', () => {
  it('finds nothing wrong in a module whose paths and values are all declared options of fitting types', () => {
    expect(check(goodModule())).toEqual([]);
  });

  it('reports a misspelled option with the declared sibling it probably meant', () => {
    expect(check({ services: { mastodon: { enable: true, webport: 55001 } } })).toEqual([
      {
        kind: 'unknown-option',
        path: 'services.mastodon.webport',
        message:
          'services.mastodon.webport: not an option of NixOS 26.11 (did you mean services.mastodon.webPort?)',
        suggestion: 'services.mastodon.webPort',
      },
    ]);
  });

  it('reports a value of the wrong type with what the option expects', () => {
    expect(check({ services: { mastodon: { configureNginx: 'yes', streamingProcesses: 0 } } })).toEqual([
      {
        kind: 'type-mismatch',
        path: 'services.mastodon.configureNginx',
        message: 'services.mastodon.configureNginx: expected bool, got "yes"',
      },
      {
        kind: 'type-mismatch',
        path: 'services.mastodon.streamingProcesses',
        message: 'services.mastodon.streamingProcesses: expected int:1.. (an integer of at least 1), got 0',
      },
    ]);
  });

  it('matches virtual host and location names against <name>, and checks what is below them', () => {
    const problems = check({
      services: {
        nginx: {
          virtualHosts: {
            'a.example.org': {
              forceSsl: true,
              locations: { '/api/': { proxyPas: 'http://127.0.0.1:3000', priority: 'high' } },
            },
          },
        },
      },
    });
    expect(problems.map((p) => [p.kind, p.message])).toEqual([
      [
        'unknown-option',
        'services.nginx.virtualHosts."a.example.org".forceSsl: not an option of NixOS 26.11 (did you mean services.nginx.virtualHosts."a.example.org".forceSSL?)',
      ],
      [
        'type-mismatch',
        'services.nginx.virtualHosts."a.example.org".locations."/api/".priority: expected int (an integer), got "high"',
      ],
      [
        'unknown-option',
        'services.nginx.virtualHosts."a.example.org".locations."/api/".proxyPas: not an option of NixOS 26.11 (did you mean services.nginx.virtualHosts."a.example.org".locations."/api/".proxyPass?)',
      ],
    ]);
  });

  it('accepts any name and value below freeform settings, and still checks the sub-options they declare', () => {
    const problems = check({
      services: {
        gotosocial: {
          settings: {
            host: 'social.example.org',
            'accounts-approval-required': true,
            nested: { list: [1, 'two'] },
          },
        },
        'matrix-synapse': {
          settings: {
            server_name: 5,
            database: { name: 'psycopg2', allow_unsafe_locale: true, args: { host: '/run/postgresql' } },
            listeners: [{ port: 8008, type: 'http', resources: [{ names: ['client', 'federation'] }] }],
          },
        },
      },
    });
    expect(problems.map((p) => p.message)).toEqual([
      'services.matrix-synapse.settings.server_name: expected str, got 5',
    ]);
  });

  it('refuses a port outside 0..65535, also as a list element', () => {
    const problems = check({
      services: { mastodon: { webPort: 70000 } },
      networking: { firewall: { allowedTCPPorts: [80, 70000] } },
    });
    expect(problems.map((p) => p.message)).toEqual([
      'networking.firewall.allowedTCPPorts[1]: expected port (an integer 0..65535), got 70000',
      'services.mastodon.webPort: expected port (an integer 0..65535), got 70000',
    ]);
  });

  it('refuses an enum value that is not in the list', () => {
    const problems = check({
      services: {
        forgejo: { database: { type: 'sqlite' } },
        'matrix-synapse': { settings: { listeners: [{ resources: [{ names: ['client', 'web'] }] }] } },
      },
    });
    expect(problems.map((p) => p.message)).toEqual([
      'services.forgejo.database.type: expected one of "sqlite3", "mysql", "postgres", got "sqlite"',
      'services.matrix-synapse.settings.listeners[0].resources[0].names[1]: expected one of "client", "consent", "federation", "health", "keys", "media", "metrics", "openid", "replication", "static", got "web"',
    ]);
  });

  it('tells a renamed or removed option from an unknown one', () => {
    const problems = check({ services: { postgresql: { port: 5433 }, forgejo: { extraConfig: '' } } });
    expect(problems.map((p) => [p.kind, p.message])).toEqual([
      ['removed', 'services.forgejo.extraConfig: was removed from NixOS 26.11'],
      [
        'renamed',
        'services.postgresql.port: was renamed in NixOS 26.11 to services.postgresql.settings.port',
      ],
    ]);
  });

  it('says "not indexed", not "not an option", for a namespace whose module was not indexed', () => {
    const problems = check({ services: { redis: { servers: { mastodon: { enable: true } } }, mastodn: {} } });
    expect(problems.map((p) => [p.kind, p.message])).toEqual([
      [
        'not-indexed',
        'services.mastodn: not in the option index of NixOS 26.11, which does not cover this namespace (did you mean services.mastodon?)',
      ],
      [
        'not-indexed',
        'services.redis: not in the option index of NixOS 26.11, which does not cover this namespace',
      ],
    ]);
  });

  it('refuses a definition of a read-only option and a path where a package is expected', () => {
    const problems = check({
      services: {
        'matrix-synapse': { package: nixExpr('pkgs.matrix-synapse') },
        nginx: { package: 'nginx' },
      },
    });
    expect(problems.map((p) => [p.kind, p.message])).toEqual([
      ['read-only', 'services.matrix-synapse.package: is read-only: its module sets it'],
      [
        'type-mismatch',
        'services.nginx.package: expected package (a Nix expression such as pkgs.hello, or a /nix/store path), got "nginx"',
      ],
    ]);
  });

  it('takes a Nix expression anywhere as a value it cannot check', () => {
    expect(
      check({
        services: { mastodon: { webPort: nixExpr('config.fedops.port'), sidekiqProcesses: nixExpr('{ }') } },
      }),
    ).toEqual([]);
  });
});

describe('closestName', () => {
  it('picks the nearest name within a typo distance, ignoring case, and nothing when all are far', () => {
    expect(closestName('webport', ['webPort', 'webProcesses', 'sidekiqPort'])).toBe('webPort');
    expect(closestName('enabel', ['enable', 'package'])).toBe('enable');
    expect(closestName('frobnicate', ['enable', 'package'])).toBeUndefined();
  });
});
