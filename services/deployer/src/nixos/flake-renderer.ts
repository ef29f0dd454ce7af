import { createHash } from 'node:crypto';
import type { AppSelection } from '@fedops/contracts';
import { appHostnames, requireApp, resolveOptions, type OptionValue } from '@fedops/catalog';
import { APP_MODULE_RENDERERS, type AppModuleRenderer } from './app-modules';
import { nixAttrName, nixString, nixValue } from './nix-string';

export const NIXPKGS_URL = 'github:NixOS/nixpkgs/nixos-24.11';
export const MANIFEST_FILE = 'fedops-apps.json';
export const MANIFEST_SCHEMA = 'fedops-apps/v1';

export interface RenderFlakeInput {
  tenantId: string;
  domain: string;
  /** NixOS hostname and the flake's `nixosConfigurations` attribute: one DNS label. */
  hostname: string;
  apps: AppSelection[];
}

export interface RenderedFile {
  /** Relative to the flake directory, `/`-separated. */
  path: string;
  content: string;
}

/** One app as the activation (and the health check) sees it. */
export interface ManifestApp {
  app: string;
  name: string;
  fqdn: string;
  port: number;
  healthPath: string;
  options: Record<string, OptionValue>;
}

/** `fedops-apps.json`: the machine-readable summary shipped next to the flake. */
export interface AppsManifest {
  schema: typeof MANIFEST_SCHEMA;
  tenantId: string;
  domain: string;
  hostname: string;
  apps: ManifestApp[];
}

export interface RenderedFlake {
  /** Sorted by path. */
  files: RenderedFile[];
  /** sha256 (hex) over every file's path and content. */
  configHash: string;
  manifest: AppsManifest;
}

const HOSTNAME = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/**
 * Renders a tenant's apps into a NixOS flake: `flake.nix`, `base.nix` (ssh, firewall, ACME, nginx),
 * `apps/<app>.nix` per app and `fedops-apps.json`. Pure and deterministic: the same input (in any
 * app order) gives the same files and hash. Selections must have passed validateAppSelections.
 */
export function renderFlake(input: RenderFlakeInput): RenderedFlake {
  if (!HOSTNAME.test(input.hostname)) {
    throw new Error(
      `Hostname "${input.hostname}" is not a DNS label (lower-case letters, digits, inner hyphens)`,
    );
  }
  const selections = [...input.apps].sort((a, b) => a.app.localeCompare(b.app, 'en'));
  const hostnames = appHostnames(input.domain, selections);
  const apps: Array<ManifestApp & { renderer: AppModuleRenderer }> = selections.map((selection, i) => {
    const def = requireApp(selection.app);
    const renderer = APP_MODULE_RENDERERS[def.id];
    if (renderer === undefined) throw new Error(`App "${def.id}" has no NixOS module renderer`);
    const fqdn = hostnames[i]?.fqdn;
    if (fqdn === undefined) throw new Error(`No hostname for app "${def.id}"`);
    return {
      app: def.id,
      name: def.name,
      fqdn,
      port: def.port,
      healthPath: def.healthPath,
      options: sortKeys(resolveOptions(selection)),
      renderer,
    };
  });

  const files: RenderedFile[] = [
    { path: 'flake.nix', content: renderFlakeNix(input, apps) },
    { path: 'base.nix', content: renderBaseModule(input, apps) },
    ...apps.map((a) => ({
      path: `apps/${a.app}.nix`,
      content:
        `# ${a.name} for this tenant, rendered by fedops from the app catalog. Do not edit.\n` +
        `{ config, lib, pkgs, ... }:\n` +
        a.renderer.module({ fqdn: a.fqdn, port: a.port, options: a.options }) +
        '\n',
    })),
  ];
  const manifest: AppsManifest = {
    schema: MANIFEST_SCHEMA,
    tenantId: input.tenantId,
    domain: input.domain,
    hostname: input.hostname,
    apps: apps.map(({ renderer: _renderer, ...rest }) => rest),
  };
  files.push({ path: MANIFEST_FILE, content: JSON.stringify(manifest, null, 2) + '\n' });
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { files, configHash: hashFiles(files), manifest };
}

/** sha256 over `path NUL content NUL` of each file in path order. */
export function hashFiles(files: readonly RenderedFile[]): string {
  const hash = createHash('sha256');
  for (const f of [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    hash.update(f.path).update('\0').update(f.content).update('\0');
  }
  return hash.digest('hex');
}

function renderFlakeNix(input: RenderFlakeInput, apps: ReadonlyArray<{ app: string }>): string {
  const modules = ['./hardware.nix', './base.nix', ...apps.map((a) => `./apps/${a.app}.nix`)];
  return [
    '# Rendered by fedops. Do not edit: the next deployment replaces this file.',
    '{',
    `  description = ${nixString(`fedops configuration of tenant ${input.tenantId}`)};`,
    '',
    `  inputs.nixpkgs.url = ${nixString(NIXPKGS_URL)};`,
    '',
    '  outputs = { self, nixpkgs }: {',
    `    nixosConfigurations.${nixAttrName(input.hostname)} = nixpkgs.lib.nixosSystem {`,
    `      system = "x86_64-linux";`,
    '      modules = [',
    ...modules.map((m) => `        ${m}`),
    '      ];',
    '    };',
    '  };',
    '}',
    '',
  ].join('\n');
}

function renderBaseModule(
  input: RenderFlakeInput,
  apps: ReadonlyArray<ManifestApp & { renderer: AppModuleRenderer }>,
): string {
  const adminEmail = apps
    .map((a) => a.options['adminEmail'])
    .find((v): v is string => typeof v === 'string' && v.length > 0);
  const virtualHosts: Record<
    string,
    {
      enableACME: boolean;
      forceSSL: boolean;
      locations: Record<string, { proxyPass: string; proxyWebsockets: boolean }>;
    }
  > = {};
  for (const a of apps) {
    if (a.renderer.ownsNginxVhost) continue;
    virtualHosts[a.fqdn] = {
      enableACME: true,
      forceSSL: true,
      locations: { '/': { proxyPass: `http://127.0.0.1:${a.port}`, proxyWebsockets: true } },
    };
  }
  const body = {
    networking: {
      hostName: input.hostname,
      firewall: { enable: true, allowedTCPPorts: [22, 80, 443] },
    },
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
        virtualHosts,
      },
    },
    security: {
      acme: { acceptTerms: true, defaults: { email: adminEmail ?? `hostmaster@${input.domain}` } },
    },
    nix: { settings: { 'experimental-features': ['nix-command', 'flakes'] } },
    system: { stateVersion: '24.11' },
  };
  return [
    '# Base of every fedops machine: SSH, firewall, ACME and the nginx front of the apps.',
    '{ config, lib, pkgs, ... }:',
    nixValue(body),
    '',
  ].join('\n');
}

function sortKeys<T>(record: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const key of Object.keys(record).sort()) out[key] = record[key] as T;
  return out;
}

/** Option names each app's renderer turns into settings, `subdomain` included (used for the fqdn). */
export function renderedOptionNames(appId: string): string[] {
  const renderer = APP_MODULE_RENDERERS[appId];
  if (renderer === undefined) return [];
  return ['subdomain', ...renderer.renders];
}
