import { createHash } from 'node:crypto';
import type { AppSelection, ResourceProviderKind } from '@fedops/contracts';
import {
  appHostnames,
  enabledEndpoints,
  enabledPorts,
  requireApp,
  requireSecret,
  resolveOptions,
  SECRETS_DIR,
  secretPath,
  type AppPort,
  type OptionValue,
} from '@fedops/catalog';
import { APP_MODULE_RENDERERS, type AppModuleContext, type SmtpRelay } from './app-modules';
import { baseModule, type BaseModuleApp } from './base-module';
import { machineProfile } from './machine-profiles';
import { NIXPKGS_URL, renderFlakeLock } from './nixpkgs-pin';
import { nixAttrName, nixExpr, nixString, nixValue, type NixValue } from './nix-string';

export { NIXPKGS_URL } from './nixpkgs-pin';
export const MANIFEST_FILE = 'fedops-apps.json';
export const MANIFEST_SCHEMA = 'fedops-apps/v2';

/** The platform's mail relay (ops' settings); its password is delivered as a secret file. */
export interface SmtpRelaySettings {
  host: string;
  port: number;
  username: string;
}

export interface RenderFlakeInput {
  tenantId: string;
  domain: string;
  /** NixOS hostname and the flake's `nixosConfigurations` attribute: one DNS label. */
  hostname: string;
  apps: AppSelection[];
  /** Which machine profile `machine.nix` gets. */
  machineKind: ResourceProviderKind;
  smtp?: SmtpRelaySettings;
}

export interface RenderedFile {
  /** Relative to the flake directory, `/`-separated. */
  path: string;
  content: string;
}

/** A secret file the configuration reads: the pipeline delivers it (mode 0400, owner) before activating. */
export interface SecretFileRef {
  /** The app the secret belongs to, or `smtp` for the platform's relay password. */
  app: string;
  secret: string;
  /** System user owning the copy; root when absent. */
  owner?: string;
  path: string;
}

export interface ManifestEndpoint {
  id: string;
  kind: 'http' | 'host' | 'apex-path';
  fqdn: string;
  /** http: the app's loopback listener, health path and largest request body (nginx syntax). */
  port?: number;
  healthPath?: string;
  maxBodySize?: string;
  /** apex-path: the path on the tenant's domain and the JSON it answers. */
  path?: string;
  body?: string;
}

/** One app as the activation (and the health check) sees it. */
export interface ManifestApp {
  app: string;
  name: string;
  options: Record<string, OptionValue>;
  endpoints: ManifestEndpoint[];
  ports: AppPort[];
  databases: string[];
  dataPaths: string[];
}

/** `fedops-apps.json`: the machine-readable summary shipped next to the flake. */
export interface AppsManifest {
  schema: typeof MANIFEST_SCHEMA;
  tenantId: string;
  domain: string;
  hostname: string;
  apps: ManifestApp[];
  secretFiles: SecretFileRef[];
}

export interface RenderedFlake {
  /** Sorted by path. */
  files: RenderedFile[];
  /** sha256 (hex) over every file's path and content (flake.lock, and so the nixpkgs revision, included). */
  configHash: string;
  manifest: AppsManifest;
  /** Every secret file a module references, sorted by path. */
  secretFiles: SecretFileRef[];
  /** Each rendered module's attribute set by file path, for the option checks. */
  modules: Record<string, Record<string, NixValue>>;
}

const HOSTNAME = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const MODULE_ARGS = '{ config, lib, pkgs, modulesPath, ... }:';
/** The `app` of the relay password's secret files (`/var/lib/fedops/secrets/smtp/…`). */
export const SMTP_SECRETS_APP = 'smtp';

/** The machine's hostname (and flake attribute) for a tenant: `fedops-<tenant>` as one DNS label. */
export function hostnameFor(tenantId: string): string {
  const label = `fedops-${tenantId.toLowerCase().replace(/[^a-z0-9-]+/g, '-')}`
    .slice(0, 63)
    .replace(/-+$/, '');
  return label;
}

/**
 * Renders a tenant's apps into a NixOS flake: `flake.nix` and `flake.lock` (nixpkgs pinned),
 * `machine.nix` (the provider's machine profile), `base.nix` (SSH, firewall, nginx, ACME,
 * PostgreSQL), `apps/<app>.nix` per app and `fedops-apps.json`. Pure and deterministic: the same
 * input (in any app order) gives the same files and hash. Selections must have passed
 * validateAppSelections.
 */
export function renderFlake(input: RenderFlakeInput): RenderedFlake {
  if (!HOSTNAME.test(input.hostname)) {
    throw new Error(
      `Hostname "${input.hostname}" is not a DNS label (lower-case letters, digits, inner hyphens)`,
    );
  }
  const selections = [...input.apps].sort((a, b) => a.app.localeCompare(b.app, 'en'));
  const hostnames = appHostnames(input.domain, selections);
  const secretFiles = new Map<string, SecretFileRef>();
  const smtp: SmtpRelay | undefined =
    input.smtp === undefined
      ? undefined
      : {
          ...input.smtp,
          passwordFile(owner) {
            const path = `${SECRETS_DIR}/${SMTP_SECRETS_APP}/${owner === undefined ? '' : `${owner}/`}password`;
            secretFiles.set(path, {
              app: SMTP_SECRETS_APP,
              secret: 'password',
              ...(owner === undefined ? {} : { owner }),
              path,
            });
            return path;
          },
        };

  const apps = selections.map((selection) => {
    const def = requireApp(selection.app);
    const renderer = APP_MODULE_RENDERERS[def.id];
    if (renderer === undefined) throw new Error(`App "${def.id}" has no NixOS module renderer`);
    const options = sortKeys(resolveOptions(selection));
    const fqdns = Object.fromEntries(
      hostnames.filter((h) => h.app === def.id).map((h) => [h.endpoint ?? '', h.fqdn] as const),
    );
    const ctx: AppModuleContext = {
      app: def,
      domain: input.domain,
      fqdns,
      options,
      smtp,
      secretFile(name, owner) {
        const path = secretPath(def.id, requireSecret(def, name), owner);
        secretFiles.set(path, { app: def.id, secret: name, ...(owner === undefined ? {} : { owner }), path });
        return path;
      },
    };
    const module = renderer.module(ctx);
    const base: BaseModuleApp = {
      def,
      options,
      fqdns,
      renderer,
      apexBodies: renderer.apexBodies?.(ctx) ?? {},
    };
    return { def, options, fqdns, module, base };
  });

  const adminEmail = apps
    .map((a) => (a.def.admin?.emailOption === undefined ? undefined : a.options[a.def.admin.emailOption]))
    .find((v): v is string => typeof v === 'string' && v.length > 0);
  const profile = machineProfile(input.machineKind);
  const modules: Record<string, Record<string, NixValue>> = {
    'machine.nix': {
      ...(profile.imports.length === 0
        ? {}
        : { imports: profile.imports.map((m) => nixExpr(`(modulesPath + ${nixString(`/${m}`)})`)) }),
      ...profile.config,
    },
    'base.nix': baseModule({
      hostname: input.hostname,
      domain: input.domain,
      acmeEmail: adminEmail ?? `hostmaster@${input.domain}`,
      apps: apps.map((a) => a.base),
      secretOwners: secretOwnerDirs([...secretFiles.values()]),
    }),
    ...Object.fromEntries(apps.map((a) => [`apps/${a.def.id}.nix`, a.module])),
  };
  const moduleHeaders: Record<string, string> = {
    'machine.nix': `# What this machine is (${input.machineKind}): boot loader and file systems of its image.`,
    'base.nix':
      '# Base of every fedops machine: SSH, firewall, ACME, nginx in front of the apps, PostgreSQL.',
    ...Object.fromEntries(
      apps.map((a) => [`apps/${a.def.id}.nix`, `# ${a.def.name} for this tenant, from the app catalog.`]),
    ),
  };

  const sortedSecrets = [...secretFiles.values()].sort((a, b) =>
    a.path < b.path ? -1 : a.path > b.path ? 1 : 0,
  );
  const manifest: AppsManifest = {
    schema: MANIFEST_SCHEMA,
    tenantId: input.tenantId,
    domain: input.domain,
    hostname: input.hostname,
    apps: apps.map((a) => ({
      app: a.def.id,
      name: a.def.name,
      options: a.options,
      endpoints: enabledEndpoints(a.def, a.options).map((e): ManifestEndpoint => {
        const fqdn = a.fqdns[e.id] ?? input.domain;
        switch (e.kind) {
          case 'http':
            return {
              id: e.id,
              kind: e.kind,
              fqdn,
              port: e.port,
              healthPath: e.healthPath,
              maxBodySize: e.maxBodySize,
            };
          case 'host':
            return { id: e.id, kind: e.kind, fqdn };
          case 'apex-path':
            return { id: e.id, kind: e.kind, fqdn, path: e.path, body: a.base.apexBodies[e.id] ?? '' };
        }
      }),
      ports: enabledPorts(a.def, a.options),
      databases: a.def.databases.map((d) => d.name),
      dataPaths: [...a.def.dataPaths],
    })),
    secretFiles: sortedSecrets,
  };

  const files: RenderedFile[] = [
    { path: 'flake.nix', content: renderFlakeNix(input, Object.keys(modules)) },
    { path: 'flake.lock', content: renderFlakeLock() },
    ...Object.entries(modules).map(([path, config]) => ({
      path,
      content: `${moduleHeaders[path] ?? ''}\n# Rendered by fedops. Do not edit.\n${MODULE_ARGS}\n${nixValue(config)}\n`,
    })),
    { path: MANIFEST_FILE, content: JSON.stringify(manifest, null, 2) + '\n' },
  ];
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { files, configHash: hashFiles(files), manifest, secretFiles: sortedSecrets, modules };
}

/** sha256 over `path NUL content NUL` of each file in path order. */
export function hashFiles(files: readonly RenderedFile[]): string {
  const hash = createHash('sha256');
  for (const f of [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    hash.update(f.path).update('\0').update(f.content).update('\0');
  }
  return hash.digest('hex');
}

function renderFlakeNix(input: RenderFlakeInput, modulePaths: readonly string[]): string {
  const modules = [
    './machine.nix',
    './base.nix',
    ...modulePaths.filter((p) => p.startsWith('apps/')).map((p) => `./${p}`),
  ];
  return [
    '# Rendered by fedops. Do not edit: the next deployment replaces this file (and flake.lock).',
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

/** The folder of each owner's secret copies (`…/<app>/<owner>`), once per folder. */
function secretOwnerDirs(files: readonly SecretFileRef[]): Array<{ dir: string; owner: string }> {
  const dirs = new Map<string, string>();
  for (const f of files)
    if (f.owner !== undefined) dirs.set(f.path.slice(0, f.path.lastIndexOf('/')), f.owner);
  return [...dirs.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([dir, owner]) => ({ dir, owner }));
}

function sortKeys<T>(record: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const key of Object.keys(record).sort()) out[key] = record[key] as T;
  return out;
}

/** Option names each app's renderer turns into settings, its subdomain options included (used for fqdns). */
export function renderedOptionNames(appId: string): string[] {
  const renderer = APP_MODULE_RENDERERS[appId];
  if (renderer === undefined) return [];
  const def = requireApp(appId);
  const subdomains = Object.entries(def.options)
    .filter(([, s]) => s.type === 'subdomain')
    .map(([name]) => name);
  return [...subdomains, ...renderer.renders];
}
