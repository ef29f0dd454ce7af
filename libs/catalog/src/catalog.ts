import type { AppHostname, AppSelection } from '@fedops/contracts';
import type { FieldError } from '@fedops/domain';
import type { AppDefinition, AppEndpoint, AppPort, AppSecret, OptionValue } from './app-definition';
import { APPS } from './apps';
import { checkOption } from './option-schema';

export function findApp(id: string): AppDefinition | undefined {
  return APPS.find((a) => a.id === id);
}

export function listApps(): readonly AppDefinition[] {
  return APPS;
}

export function requireApp(id: string): AppDefinition {
  const app = findApp(id);
  if (app === undefined) throw new Error(`App "${id}" is not in the catalog`);
  return app;
}

/** Words that mark a value no operator should type in: fedops generates those and delivers them as files. */
const SECRET_LIKE_NAME = /(password|passwd|secret|token|private[-_]?key|api[-_]?key)$/i;

function secretOptionMessage(app: AppDefinition, name: string): string | undefined {
  const camel = (s: string): string => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
  const secret = app.secrets.find((s) => s.name === name || camel(s.name) === name);
  if (secret === undefined && !SECRET_LIKE_NAME.test(name)) return undefined;
  return (
    `is a secret: fedops generates ${secret === undefined ? "an app's secrets" : `${app.id}'s ${secret.name}`} per tenant ` +
    'and delivers it to the machine as a file; it cannot be passed as an option'
  );
}

/**
 * Validates the `apps` field of a tenant request: known apps, each at most once, known options with
 * values of the right type, required options present, no secrets passed as options, and hostnames
 * (every enabled subdomain of every app) that do not collide. Returns every problem found, each
 * named by its path.
 */
export function validateAppSelections(apps: unknown, field = 'apps'): FieldError[] {
  if (!Array.isArray(apps)) return [{ field, message: 'must be an array of { app, options }' }];
  if (apps.length === 0) return [{ field, message: 'must name at least one app' }];
  const errors: FieldError[] = [];
  const seenApps = new Set<string>();
  const seenLabels = new Map<string, string>();
  apps.forEach((entry: unknown, i) => {
    const path = `${field}[${i}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      errors.push({ field: path, message: 'must be an object { app, options }' });
      return;
    }
    const { app: appId, options, ...rest } = entry as Record<string, unknown>;
    for (const extra of Object.keys(rest))
      errors.push({ field: `${path}.${extra}`, message: 'is not allowed' });
    if (typeof appId !== 'string') {
      errors.push({ field: `${path}.app`, message: 'must be a string naming a catalog app' });
      return;
    }
    const app = findApp(appId);
    if (app === undefined) {
      errors.push({
        field: `${path}.app`,
        message: `unknown app "${appId}"; known apps: ${APPS.map((a) => a.id).join(', ')}`,
      });
      return;
    }
    if (seenApps.has(app.id))
      errors.push({ field: `${path}.app`, message: `app "${app.id}" is listed twice` });
    seenApps.add(app.id);
    const given = options ?? {};
    if (typeof given !== 'object' || given === null || Array.isArray(given)) {
      errors.push({ field: `${path}.options`, message: 'must be an object' });
      return;
    }
    const values = given as Record<string, unknown>;
    // Hostnames are checked with the options that passed (defaults in place of the others).
    const valid: AppSelection['options'] = {};
    for (const [name, value] of Object.entries(values)) {
      const spec = Object.hasOwn(app.options, name) ? app.options[name] : undefined;
      if (spec === undefined) {
        errors.push({
          field: `${path}.options.${name}`,
          message:
            secretOptionMessage(app, name) ??
            `unknown option for ${app.id}; known options: ${Object.keys(app.options).join(', ')}`,
        });
        continue;
      }
      const problem = checkOption(spec, value);
      if (problem === undefined) valid[name] = value as OptionValue;
      else errors.push({ field: `${path}.options.${name}`, message: problem });
    }
    for (const [name, spec] of Object.entries(app.options)) {
      if (spec.required === true && values[name] === undefined)
        errors.push({ field: `${path}.options.${name}`, message: 'is required' });
    }
    const resolved = resolveOptions({ app: app.id, options: valid });
    for (const endpoint of enabledEndpoints(app, resolved)) {
      if (endpoint.kind === 'apex-path') continue;
      const label = String(resolved[endpoint.subdomainOption]);
      const owner = `${app.id} (${endpoint.subdomainOption})`;
      const clash = seenLabels.get(label);
      if (clash !== undefined)
        errors.push({
          field: `${path}.options.${endpoint.subdomainOption}`,
          message: `"${label}" is already used by ${clash}`,
        });
      else seenLabels.set(label, owner);
    }
  });
  return errors;
}

/** Fills in defaults; call only on selections that passed validateAppSelections. */
export function resolveOptions(selection: AppSelection): Record<string, OptionValue> {
  const app = requireApp(selection.app);
  const resolved: Record<string, OptionValue> = {};
  for (const [name, spec] of Object.entries(app.options)) {
    const value = selection.options[name] ?? spec.default;
    if (value !== undefined) resolved[name] = value;
  }
  return resolved;
}

function enabled(item: { enabledBy?: string }, options: Readonly<Record<string, OptionValue>>): boolean {
  return item.enabledBy === undefined || options[item.enabledBy] === true;
}

/** The app's endpoints that its resolved options switch on. */
export function enabledEndpoints(
  app: AppDefinition,
  options: Readonly<Record<string, OptionValue>>,
): AppEndpoint[] {
  return app.endpoints.filter((e) => enabled(e, options));
}

export function enabledPorts(app: AppDefinition, options: Readonly<Record<string, OptionValue>>): AppPort[] {
  return app.ports.filter((p) => enabled(p, options));
}

export function enabledSecrets(
  app: AppDefinition,
  options: Readonly<Record<string, OptionValue>>,
): AppSecret[] {
  return app.secrets.filter((s) => enabled(s, options));
}

/** Where the machine keeps the tenant's generated secrets, outside the Nix store. */
export const SECRETS_DIR = '/var/lib/fedops/secrets';

/**
 * Path of one copy of a secret on the machine: `<SECRETS_DIR>/<app>/<name>` for root, or
 * `<SECRETS_DIR>/<app>/<owner>/<name>` for the copy a service user reads.
 */
export function secretPath(appId: string, secret: AppSecret, owner?: string): string {
  if (owner !== undefined && !(secret.owners ?? []).includes(owner))
    throw new Error(`Secret ${appId}/${secret.name} has no copy for ${owner}`);
  return owner === undefined
    ? `${SECRETS_DIR}/${appId}/${secret.name}`
    : `${SECRETS_DIR}/${appId}/${owner}/${secret.name}`;
}

/** The secret of an app by name; throws when the catalog has none (a renderer bug, not input). */
export function requireSecret(app: AppDefinition, name: string): AppSecret {
  const secret = app.secrets.find((s) => s.name === name);
  if (secret === undefined) throw new Error(`App "${app.id}" declares no secret "${name}"`);
  return secret;
}

/**
 * The hostnames a tenant's apps answer on, one per enabled endpoint: `social.example.org` for
 * Mastodon's web endpoint, the tenant domain itself for Matrix's `.well-known` paths. An app's
 * first endpoint comes first (its URL in tenant views).
 */
export function appHostnames(domain: string, apps: AppSelection[]): AppHostname[] {
  return apps.flatMap((selection) => {
    const app = requireApp(selection.app);
    const options = resolveOptions(selection);
    return enabledEndpoints(app, options).map((endpoint): AppHostname => {
      switch (endpoint.kind) {
        case 'http':
          return {
            app: app.id,
            endpoint: endpoint.id,
            fqdn: `${String(options[endpoint.subdomainOption])}.${domain}`,
            port: endpoint.port,
          };
        case 'host':
          return {
            app: app.id,
            endpoint: endpoint.id,
            fqdn: `${String(options[endpoint.subdomainOption])}.${domain}`,
            port: 443,
          };
        case 'apex-path':
          return { app: app.id, endpoint: endpoint.id, fqdn: domain, port: 443 };
      }
    });
  });
}

/**
 * The first admin's e-mail address, for apps whose admin has one: the app's e-mail option, or
 * `owner@<tenant domain>`. The deployer creates the account with it; the API shows it.
 */
export function adminEmail(
  app: AppDefinition,
  options: Readonly<Record<string, OptionValue>>,
  domain: string,
): string | undefined {
  const option = app.admin?.emailOption;
  if (option === undefined) return undefined;
  const value = options[option];
  return typeof value === 'string' && value.length > 0 ? value : `owner@${domain}`;
}
