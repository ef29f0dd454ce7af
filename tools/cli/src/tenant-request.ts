import type { CatalogApp } from './api-types';

/** `--option <app>.<name>=<value>`, split. */
export interface OptionAssignment {
  app: string;
  name: string;
  raw: string;
}

export interface CreateTenantFlags {
  /** The parsed `--file` document, if given. */
  file?: unknown;
  domain?: string;
  org?: string;
  /** The machine size, a plan name providers register (`small`, `medium` ...). */
  plan?: string;
  /** A registered provider's name: `placement.provider`. */
  provider?: string;
  /** A region, location or node: `placement.location`. */
  location?: string;
  apps: readonly string[];
  options: readonly string[];
}

/** Thrown for a command line that cannot make a request; the caller turns it into a usage error. */
export class RequestBuildError extends Error {}

export function parseOptionAssignment(text: string): OptionAssignment {
  const match = /^([a-z0-9][a-z0-9-]*)\.([A-Za-z0-9_]+)=(.*)$/s.exec(text);
  if (match === null || match[1] === undefined || match[2] === undefined || match[3] === undefined) {
    throw new RequestBuildError(
      `--option must look like <app>.<option>=<value> (e.g. mastodon.singleUserMode=true), not "${text}"`,
    );
  }
  return { app: match[1], name: match[2], raw: match[3] };
}

/**
 * An option's value in the type the catalog declares for it (`true` a boolean for a boolean or
 * enable option, `500` a number for an integer one); as written for strings, subdomains and enums. Without a catalog
 * entry (an option the server does not know, which it will report), `true`/`false` and integers
 * are converted and anything else is a string. Invalid values are left for the server to report,
 * with every other problem of the request at once.
 */
export function coerceOptionValue(raw: string, type: string | undefined): string | number | boolean {
  const asBoolean = raw === 'true' ? true : raw === 'false' ? false : undefined;
  const asInteger = /^-?\d{1,15}$/.test(raw) ? Number(raw) : undefined;
  switch (type) {
    case 'boolean':
    case 'enable':
      return asBoolean ?? raw;
    case 'integer':
      return asInteger ?? raw;
    case 'string':
    case 'subdomain':
    case 'enum':
      return raw;
    case undefined:
    default:
      return asBoolean ?? asInteger ?? raw;
  }
}

/**
 * The body of POST /v1/tenants from the flags: the `--file` document as the base, `--domain`,
 * `--org` and `--plan` over its fields, `--provider` and `--location` over those of its
 * `placement`, each `--app` added unless already there, each `--option` set on its app (which must
 * be selected). Typed by the catalog when given.
 */
export function buildCreateTenantBody(
  flags: CreateTenantFlags,
  catalog?: readonly CatalogApp[],
): Record<string, unknown> {
  let body: Record<string, unknown> = {};
  if (flags.file !== undefined) {
    if (typeof flags.file !== 'object' || flags.file === null || Array.isArray(flags.file)) {
      throw new RequestBuildError('--file must hold a JSON object (the POST /v1/tenants body)');
    }
    body = structuredClone(flags.file as Record<string, unknown>);
  }
  if (flags.domain !== undefined) body['domain'] = flags.domain;
  if (flags.org !== undefined) body['org'] = flags.org;
  if (flags.plan !== undefined) body['plan'] = flags.plan;
  if (flags.provider !== undefined || flags.location !== undefined) {
    const placement = body['placement'] ?? {};
    if (typeof placement !== 'object' || placement === null || Array.isArray(placement)) {
      throw new RequestBuildError(
        '"placement" in --file must be an object: {"provider": ..., "location": ...}',
      );
    }
    body['placement'] = {
      ...(placement as Record<string, unknown>),
      ...(flags.provider === undefined ? {} : { provider: flags.provider }),
      ...(flags.location === undefined ? {} : { location: flags.location }),
    };
  }

  const existing = body['apps'];
  if (existing !== undefined && !Array.isArray(existing)) {
    throw new RequestBuildError('"apps" in --file must be an array of {"app": ..., "options": {...}}');
  }
  const apps = ((existing ?? []) as unknown[]).map((a): Record<string, unknown> =>
    typeof a === 'object' && a !== null ? { ...(a as Record<string, unknown>) } : { app: a },
  );
  for (const app of flags.apps) {
    if (!apps.some((a) => a['app'] === app)) apps.push({ app, options: {} });
  }
  for (const text of flags.options) {
    const { app, name, raw } = parseOptionAssignment(text);
    const selection = apps.find((a) => a['app'] === app);
    if (selection === undefined) {
      throw new RequestBuildError(
        `--option ${text}: ${app} is not among the tenant's apps (add --app ${app})`,
      );
    }
    const type = catalog?.find((c) => c.id === app)?.options[name]?.type;
    const options = (
      typeof selection['options'] === 'object' && selection['options'] !== null ? selection['options'] : {}
    ) as Record<string, unknown>;
    selection['options'] = { ...options, [name]: coerceOptionValue(raw, type) };
  }
  if (apps.length > 0 || existing !== undefined) body['apps'] = apps;
  if (body['domain'] === undefined)
    throw new RequestBuildError('a tenant needs --domain (or "domain" in --file)');
  if (apps.length === 0)
    throw new RequestBuildError('a tenant needs at least one --app (or "apps" in --file)');
  return body;
}
