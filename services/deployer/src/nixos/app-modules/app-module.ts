import { adminEmail as catalogAdminEmail, type AppDefinition, type OptionValue } from '@fedops/catalog';
import { NixExpr, type NixValue } from '../nix-string';

/** The platform's mail relay, when ops configured one: apps send through it with its credentials. */
export interface SmtpRelay {
  host: string;
  port: number;
  username: string;
  /** Envelope and header sender domain is the app's own fqdn; this is only the relay's login. */
  passwordFile(owner?: string): string;
}

/** What an app's module renderer gets. */
export interface AppModuleContext {
  app: AppDefinition;
  /** The tenant's domain (`example.org`). */
  domain: string;
  /** fqdn of each enabled endpoint by endpoint id (`web` → `social.example.org`). */
  fqdns: Readonly<Record<string, string>>;
  /** Resolved options (defaults filled in). */
  options: Readonly<Record<string, OptionValue>>;
  /**
   * Path on the machine of a secret the catalog declares for this app, for `owner`'s copy (root's
   * when absent). Asking for it is what makes the pipeline deliver that file.
   */
  secretFile(name: string, owner?: string): string;
  smtp: SmtpRelay | undefined;
}

/** A rendered NixOS module: the attribute set after `{ config, lib, pkgs, ... }:`. */
export type NixModuleConfig = Record<string, NixValue>;

export interface AppModuleRenderer {
  /** Catalog options the renderer turns into settings; subdomain options are used for the fqdns. */
  readonly renders: readonly string[];
  /**
   * Endpoints whose nginx virtual host the app's NixOS module (or this renderer) writes itself, with
   * its locations and body size; the base module only adds ACME and forceSSL to them.
   */
  readonly ownsNginxVhost: readonly string[];
  module(ctx: AppModuleContext): NixModuleConfig;
  /** JSON bodies of the app's `apex-path` endpoints, by endpoint id. */
  apexBodies?(ctx: AppModuleContext): Record<string, string>;
}

export function bool(options: AppModuleContext['options'], name: string): boolean {
  const v = options[name];
  if (typeof v !== 'boolean') throw new Error(`Option ${name} must be a boolean, got ${JSON.stringify(v)}`);
  return v;
}

export function str(options: AppModuleContext['options'], name: string): string {
  const v = options[name];
  if (typeof v !== 'string') throw new Error(`Option ${name} must be a string, got ${JSON.stringify(v)}`);
  return v;
}

export function int(options: AppModuleContext['options'], name: string): number {
  const v = options[name];
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new Error(`Option ${name} must be an integer`);
  return v;
}

export function fqdn(ctx: AppModuleContext, endpoint: string): string {
  const name = ctx.fqdns[endpoint];
  if (name === undefined) throw new Error(`App ${ctx.app.id} has no enabled endpoint "${endpoint}"`);
  return name;
}

/** The first admin's e-mail (the catalog's rule); `owner@<tenant domain>` for an app without an e-mail option. */
export function adminEmail(ctx: AppModuleContext): string {
  return catalogAdminEmail(ctx.app, ctx.options, ctx.domain) ?? `owner@${ctx.domain}`;
}

/**
 * A systemd oneshot that runs once the app is up and leaves again: creates the first admin when it
 * does not exist yet. Fails loudly (no `|| true`): a deploy whose admin step fails is not healthy.
 * `set -eu` without `-x`, so no command line (or password) reaches the journal.
 */
export function adminUnit(opts: {
  description: string;
  after: string[];
  requires: string[];
  user?: string;
  path?: NixExpr[];
  environment?: NixValue;
  serviceConfig?: Record<string, NixValue>;
  script: string[];
}): NixValue {
  return {
    description: opts.description,
    after: opts.after,
    requires: opts.requires,
    wantedBy: ['multi-user.target'],
    ...(opts.path === undefined ? {} : { path: opts.path }),
    ...(opts.environment === undefined ? {} : { environment: opts.environment }),
    serviceConfig: {
      Type: 'oneshot',
      RemainAfterExit: true,
      ...(opts.user === undefined ? {} : { User: opts.user }),
      ...opts.serviceConfig,
    },
    script: ['set -eu', ...opts.script].join('\n'),
  };
}

/** The loopback port of one of the app's http endpoints, from the catalog. */
export function httpPort(ctx: AppModuleContext, endpoint: string): number {
  const found = ctx.app.endpoints.find((e) => e.id === endpoint);
  if (found?.kind !== 'http') throw new Error(`App ${ctx.app.id} has no http endpoint "${endpoint}"`);
  return found.port;
}

function isAttrs(v: NixValue | undefined): v is Record<string, NixValue> {
  return typeof v === 'object' && !Array.isArray(v) && !(v instanceof NixExpr);
}

/** Merges module attribute sets recursively, as the NixOS module system would; other values must not clash. */
export function mergeModules(...parts: NixModuleConfig[]): NixModuleConfig {
  const out: NixModuleConfig = {};
  for (const part of parts) {
    for (const [key, value] of Object.entries(part)) {
      const mine = out[key];
      if (mine === undefined) out[key] = value;
      else if (isAttrs(mine) && isAttrs(value)) out[key] = mergeModules(mine, value);
      else throw new Error(`Two parts of a module set ${key}`);
    }
  }
  return out;
}
