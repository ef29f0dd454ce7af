import type { OptionValue } from '@fedops/catalog';
import { shellQuote } from '../ssh/shell-quote';
import { nixValue, type NixValue } from './nix-string';

/** What an app's module renderer gets: the app's hostname, port and resolved options. */
export interface AppModuleContext {
  fqdn: string;
  port: number;
  options: Readonly<Record<string, OptionValue>>;
}

export interface AppModuleRenderer {
  /** Catalog options this renderer turns into NixOS settings (besides `subdomain`, used for the fqdn). */
  readonly renders: readonly string[];
  /** True when the NixOS module configures its own nginx virtual host (so the base module must not). */
  readonly ownsNginxVhost: boolean;
  /** Body of the module: the attribute set after `{ config, lib, pkgs, ... }:`. */
  module(ctx: AppModuleContext): string;
}

function bool(options: AppModuleContext['options'], name: string): boolean {
  const v = options[name];
  if (typeof v !== 'boolean') throw new Error(`Option ${name} must be a boolean, got ${JSON.stringify(v)}`);
  return v;
}
function str(options: AppModuleContext['options'], name: string): string | undefined {
  const v = options[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new Error(`Option ${name} must be a string, got ${JSON.stringify(v)}`);
  return v;
}
function int(options: AppModuleContext['options'], name: string): number {
  const v = options[name];
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new Error(`Option ${name} must be an integer`);
  return v;
}

function attrs(entries: Record<string, NixValue>): string {
  return nixValue(entries, '');
}

/** `tootctl settings registrations` takes these words for the catalog's modes. */
const MASTODON_REGISTRATIONS: Record<string, string> = {
  open: 'open',
  approval: 'approved',
  closed: 'close',
};

/**
 * Mastodon (nixpkgs nixos/modules/services/web-apps/mastodon.nix, NixOS 24.11). The web process
 * listens on TCP (catalog port) instead of the default unix socket so the health endpoint has a port;
 * `configureNginx` makes the module add its own ACME + forceSSL virtual host for `localDomain`.
 * Registrations and the first admin are database settings, so a oneshot runs `tootctl` after
 * the database is initialised; values reach the shell single-quoted inside an escaped Nix string.
 */
const mastodonRenderer: AppModuleRenderer = {
  renders: ['singleUserMode', 'registrations', 'maxTootChars', 'adminEmail'],
  ownsNginxVhost: true,
  module({ fqdn, port, options }) {
    const registrations = str(options, 'registrations') ?? 'approval';
    const mode = MASTODON_REGISTRATIONS[registrations];
    if (mode === undefined) throw new Error(`Unknown Mastodon registrations mode ${registrations}`);
    const adminEmail = str(options, 'adminEmail');
    const script = [
      'tootctl=/run/current-system/sw/bin/mastodon-tootctl',
      `"$tootctl" settings registrations ${shellQuote(mode)}`,
      ...(adminEmail === undefined
        ? []
        : [
            `"$tootctl" accounts create admin --email ${shellQuote(adminEmail)} --confirmed --role Owner` +
              ` || echo 'admin account exists already'`,
          ]),
    ].join('\n');
    const mastodon = attrs({
      enable: true,
      localDomain: fqdn,
      configureNginx: true,
      streamingProcesses: 1,
      enableUnixSocket: false,
      webPort: port,
      smtp: { fromAddress: `notifications@${fqdn}` },
      extraConfig: {
        SINGLE_USER_MODE: bool(options, 'singleUserMode') ? 'true' : 'false',
        MAX_TOOT_CHARS: String(int(options, 'maxTootChars')),
      },
    });
    const setup = attrs({
      description: 'fedops: Mastodon registrations mode and first admin',
      after: ['mastodon-init-db.service', 'mastodon-web.service'],
      requires: ['mastodon-init-db.service'],
      wantedBy: ['multi-user.target'],
      serviceConfig: { Type: 'oneshot', RemainAfterExit: true },
      script,
    });
    return [
      '{',
      `  services.mastodon = ${indentTail(mastodon, '  ')};`,
      `  systemd.services.fedops-mastodon-setup = ${indentTail(setup, '  ')};`,
      '}',
    ].join('\n');
  },
};

/** GoToSocial (services.gotosocial, settings rendered to its config.yaml). */
const gotosocialRenderer: AppModuleRenderer = {
  renders: ['registrationsOpen', 'accountsApprovalRequired'],
  ownsNginxVhost: false,
  module({ fqdn, port, options }) {
    const gotosocial = attrs({
      enable: true,
      settings: {
        host: fqdn,
        protocol: 'https',
        'bind-address': '127.0.0.1',
        port,
        'db-type': 'sqlite',
        'db-address': '/var/lib/gotosocial/database.sqlite',
        'storage-local-base-path': '/var/lib/gotosocial/storage',
        'accounts-registration-open': bool(options, 'registrationsOpen'),
        'accounts-approval-required': bool(options, 'accountsApprovalRequired'),
      },
    });
    return ['{', `  services.gotosocial = ${indentTail(gotosocial, '  ')};`, '}'].join('\n');
  },
};

/** Forgejo (services.forgejo, settings rendered to app.ini). */
const forgejoRenderer: AppModuleRenderer = {
  renders: ['disableRegistration', 'lfs'],
  ownsNginxVhost: false,
  module({ fqdn, port, options }) {
    const forgejo = attrs({
      enable: true,
      lfs: { enable: bool(options, 'lfs') },
      settings: {
        server: { DOMAIN: fqdn, ROOT_URL: `https://${fqdn}/`, HTTP_ADDR: '127.0.0.1', HTTP_PORT: port },
        service: { DISABLE_REGISTRATION: bool(options, 'disableRegistration') },
        session: { COOKIE_SECURE: true },
      },
    });
    return ['{', `  services.forgejo = ${indentTail(forgejo, '  ')};`, '}'].join('\n');
  },
};

/** Renderers by catalog app id; an app in the catalog without one cannot be deployed. */
export const APP_MODULE_RENDERERS: Readonly<Record<string, AppModuleRenderer>> = {
  mastodon: mastodonRenderer,
  gotosocial: gotosocialRenderer,
  forgejo: forgejoRenderer,
};

/** Indents every line but the first (which continues an existing line). */
function indentTail(text: string, indent: string): string {
  return text
    .split('\n')
    .map((line, i) => (i === 0 ? line : indent + line))
    .join('\n');
}
