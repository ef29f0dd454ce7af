import { enabledPorts, type AppDefinition, type OptionValue } from '@fedops/catalog';
import { shellQuote } from '@fedops/service-kit';
import { mergeModules, type AppModuleRenderer, type NixModuleConfig } from './app-modules';
import { NIXPKGS_PIN } from './nixpkgs-pin';
import { nixExpr, type NixValue } from './nix-string';

/** One app as the base module sees it: catalog definition, resolved options, fqdn per endpoint. */
export interface BaseModuleApp {
  def: AppDefinition;
  options: Readonly<Record<string, OptionValue>>;
  fqdns: Readonly<Record<string, string>>;
  renderer: AppModuleRenderer;
  /** Bodies (JSON) of the app's apex paths by endpoint id. */
  apexBodies: Readonly<Record<string, string>>;
}

export interface BaseModuleInput {
  hostname: string;
  domain: string;
  acmeEmail: string;
  apps: readonly BaseModuleApp[];
  /** Folders of secret copies that a service user reads, with that user. */
  secretOwners: ReadonlyArray<{ dir: string; owner: string }>;
}

const SSH = 22;
const HTTP = 80;
const HTTPS = 443;

interface Firewall {
  allowedTCPPorts: number[];
  allowedUDPPorts: number[];
  allowedTCPPortRanges: Array<{ from: number; to: number }>;
  allowedUDPPortRanges: Array<{ from: number; to: number }>;
}

/** The firewall: SSH, HTTP(S) when an app has a web endpoint, and every enabled port of every app. */
export function firewallFor(apps: readonly BaseModuleApp[]): Firewall {
  const tcp = new Set<number>([SSH]);
  const udp = new Set<number>();
  const tcpRanges = new Map<string, { from: number; to: number }>();
  const udpRanges = new Map<string, { from: number; to: number }>();
  for (const a of apps) {
    if (Object.keys(a.fqdns).length > 0) [HTTP, HTTPS].forEach((p) => tcp.add(p));
    for (const p of enabledPorts(a.def, a.options)) {
      if (p.to !== undefined && p.to !== p.port) {
        (p.protocol === 'tcp' ? tcpRanges : udpRanges).set(`${p.port}-${p.to}`, { from: p.port, to: p.to });
      } else (p.protocol === 'tcp' ? tcp : udp).add(p.port);
    }
  }
  const sorted = (s: Set<number>): number[] => [...s].sort((x, y) => x - y);
  const ranges = (m: Map<string, { from: number; to: number }>): Array<{ from: number; to: number }> =>
    [...m.values()].sort((x, y) => x.from - y.from);
  return {
    allowedTCPPorts: sorted(tcp),
    allowedUDPPorts: sorted(udp),
    allowedTCPPortRanges: ranges(tcpRanges),
    allowedUDPPortRanges: ranges(udpRanges),
  };
}

type VirtualHost = Record<string, NixValue>;

function virtualHosts(input: BaseModuleInput): Record<string, VirtualHost> {
  const hosts: Record<string, VirtualHost> = {};
  const apexLocations: Record<string, NixValue> = {};
  for (const a of input.apps) {
    for (const e of a.def.endpoints) {
      const fqdn = a.fqdns[e.id];
      if (fqdn === undefined) continue;
      switch (e.kind) {
        case 'http':
          hosts[fqdn] = a.renderer.ownsNginxVhost.includes(e.id)
            ? { enableACME: true, forceSSL: true }
            : {
                enableACME: true,
                forceSSL: true,
                extraConfig: `client_max_body_size ${e.maxBodySize};\n`,
                locations: { '/': { proxyPass: `http://127.0.0.1:${e.port}`, proxyWebsockets: true } },
              };
          break;
        case 'host':
          // Only for its certificate (ACME http-01); the name serves nothing over HTTP.
          hosts[fqdn] = { enableACME: true, forceSSL: true, locations: { '/': { return: '404' } } };
          break;
        case 'apex-path': {
          const body = a.apexBodies[e.id];
          if (body === undefined) throw new Error(`App ${a.def.id} renders no body for ${e.path}`);
          apexLocations[`= ${e.path}`] = {
            return: `200 '${body}'`,
            extraConfig: 'default_type application/json;\nadd_header Access-Control-Allow-Origin "*";\n',
          };
          break;
        }
      }
    }
  }
  if (Object.keys(apexLocations).length > 0) {
    if (hosts[input.domain] !== undefined)
      throw new Error(`${input.domain} is both an app host and the apex`);
    hosts[input.domain] = { enableACME: true, forceSSL: true, locations: apexLocations };
  }
  return hosts;
}

/**
 * `base.nix`, the base of every fedops machine: SSH with keys only, the firewall from the apps'
 * ports, nginx (ACME, forceSSL, each app's body size) in front of the apps, the apex paths,
 * PostgreSQL with each app's database owned by the app's role, and restic, which the backup
 * service runs on the machine over SSH (where the data is).
 */
export function baseModule(input: BaseModuleInput): Record<string, NixValue> {
  const databases = [...new Set(input.apps.flatMap((a) => a.def.databases.map((d) => d.name)))].sort();
  const config: NixModuleConfig = {
    networking: { hostName: input.hostname, firewall: { enable: true, ...firewallFor(input.apps) } },
    environment: { systemPackages: [nixExpr('pkgs.restic')] },
    services: {
      openssh: {
        enable: true,
        settings: {
          PasswordAuthentication: false,
          KbdInteractiveAuthentication: false,
          PermitRootLogin: 'prohibit-password',
        },
      },
      nginx: {
        enable: true,
        recommendedProxySettings: true,
        recommendedTlsSettings: true,
        recommendedGzipSettings: true,
        recommendedOptimisation: true,
        virtualHosts: virtualHosts(input),
      },
      ...(databases.length === 0
        ? {}
        : {
            postgresql: {
              enable: true,
              ensureDatabases: databases,
              ensureUsers: databases.map((name) => ({ name, ensureDBOwnership: true })),
            },
          }),
    },
    security: { acme: { acceptTerms: true, defaults: { email: input.acmeEmail } } },
    ...(input.secretOwners.length === 0
      ? {}
      : {
          system: {
            activationScripts: {
              // The platform writes secrets as root before the switch; their readers exist only after it.
              'fedops-secret-owners': {
                deps: ['users', 'groups'],
                text: input.secretOwners
                  .map(({ dir, owner }) => `chown -R ${shellQuote(owner)}: ${shellQuote(dir)}`)
                  .join('\n'),
              },
            },
          },
        }),
    nix: { settings: { 'experimental-features': ['nix-command', 'flakes'] } },
  };
  return mergeModules(config, { system: { stateVersion: NIXPKGS_PIN.release } });
}
