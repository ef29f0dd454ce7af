import type { AppSelection } from '@fedops/contracts';
import type { CatalogApp, UpdateTenantRequest } from './api-types';

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

/** `<app>.<option>=<value>` as given to `flag` (`--option`, `--set`). */
export function parseOptionAssignment(text: string, flag = '--option'): OptionAssignment {
  const match = /^([a-z0-9][a-z0-9-]*)\.([A-Za-z0-9_]+)=(.*)$/s.exec(text);
  if (match === null || match[1] === undefined || match[2] === undefined || match[3] === undefined) {
    throw new RequestBuildError(
      `${flag} must look like <app>.<option>=<value> (e.g. mastodon.singleUserMode=true), not "${text}"`,
    );
  }
  return { app: match[1], name: match[2], raw: match[3] };
}

/** `--unset <app>.<option>`, split. */
export function parseOptionName(text: string, flag = '--unset'): { app: string; name: string } {
  const match = /^([a-z0-9][a-z0-9-]*)\.([A-Za-z0-9_]+)$/.exec(text);
  if (match === null || match[1] === undefined || match[2] === undefined) {
    throw new RequestBuildError(
      `${flag} must look like <app>.<option> (e.g. mastodon.singleUserMode), not "${text}"`,
    );
  }
  return { app: match[1], name: match[2] };
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

export interface UpdateTenantFlags {
  /** `--add`: apps to add. */
  add: readonly string[];
  /** `--option <app>.<name>=<value>`: options of the apps added, as `create` takes them. */
  options: readonly string[];
  /** `--remove`: apps to remove. */
  remove: readonly string[];
  /** `--set <app>.<name>=<value>`: options of the tenant's apps to change. */
  set: readonly string[];
  /** `--unset <app>.<name>`: options of the tenant's apps to put back to their defaults. */
  unset: readonly string[];
  /** `--confirm-removal`: removed apps whose data may go. */
  confirmRemoval: readonly string[];
}

type ChangedOptions = Record<string, AppSelection['options'][string] | null>;

/**
 * The body of PATCH /v1/tenants/{id} from the flags: each `--add` (once) with its `--option`s, each
 * `--remove`, the `--set`s and `--unset`s (null: back to the default) of an app in one `change`
 * entry, `--confirm-removal` as `confirmRemoval`. An app is added, removed or changed, not two of
 * these at once. Values are typed by the catalog when given. Whether the apps exist and are the
 * tenant's is for the server to say.
 */
export function buildUpdateTenantBody(
  flags: UpdateTenantFlags,
  catalog?: readonly CatalogApp[],
): UpdateTenantRequest {
  const typed = (app: string, name: string, raw: string): AppSelection['options'][string] =>
    coerceOptionValue(raw, catalog?.find((c) => c.id === app)?.options[name]?.type);
  // What each app is to undergo and the flag that said so first, so that a contradicting one is reported.
  const named = new Map<string, { what: 'added' | 'removed' | 'changed'; flag: string }>();
  const claim = (app: string, what: 'added' | 'removed' | 'changed', flag: string, given: string): void => {
    const first = named.get(app);
    if (first === undefined) named.set(app, { what, flag });
    else if (first.what !== what) {
      const hint =
        first.what === 'added'
          ? ` (give an app added its options with --option ${app}.<option>=<value>)`
          : '';
      throw new RequestBuildError(
        `${flag} ${given}: ${app} is ${first.what} by ${first.flag} already; an app is added, removed or changed, not two of these${hint}`,
      );
    }
  };

  const add: AppSelection[] = [];
  for (const app of flags.add) {
    claim(app, 'added', '--add', app);
    if (!add.some((a) => a.app === app)) add.push({ app, options: {} });
  }
  for (const text of flags.options) {
    const { app, name, raw } = parseOptionAssignment(text);
    const selection = add.find((a) => a.app === app);
    if (selection === undefined) {
      throw new RequestBuildError(
        `--option ${text}: ${app} is not added by this change (add --add ${app}, or change an app the tenant has with --set)`,
      );
    }
    selection.options = { ...selection.options, [name]: typed(app, name, raw) };
  }
  const remove: string[] = [];
  for (const app of flags.remove) {
    claim(app, 'removed', '--remove', app);
    if (!remove.includes(app)) remove.push(app);
  }
  const change = new Map<string, ChangedOptions>();
  const changeOf = (app: string, flag: string, given: string): ChangedOptions => {
    claim(app, 'changed', flag, given);
    const options = change.get(app) ?? {};
    change.set(app, options);
    return options;
  };
  const setBy = new Set<string>();
  for (const text of flags.set) {
    const { app, name, raw } = parseOptionAssignment(text, '--set');
    changeOf(app, '--set', text)[name] = typed(app, name, raw);
    setBy.add(`${app}.${name}`);
  }
  for (const text of flags.unset) {
    const { app, name } = parseOptionName(text, '--unset');
    if (setBy.has(`${app}.${name}`))
      throw new RequestBuildError(`--unset ${text}: --set gives ${app}.${name} a value already`);
    changeOf(app, '--unset', text)[name] = null;
  }
  for (const app of flags.confirmRemoval) {
    if (!remove.includes(app))
      throw new RequestBuildError(
        `--confirm-removal ${app}: ${app} is not removed by this change (add --remove ${app})`,
      );
  }
  if (add.length + remove.length + change.size === 0)
    throw new RequestBuildError('nothing to change: give --add, --remove, --set or --unset');
  return {
    apps: {
      ...(add.length === 0 ? {} : { add }),
      ...(remove.length === 0 ? {} : { remove }),
      ...(change.size === 0 ? {} : { change: [...change].map(([app, options]) => ({ app, options })) }),
    },
    ...(flags.confirmRemoval.length === 0 ? {} : { confirmRemoval: [...new Set(flags.confirmRemoval)] }),
  };
}
