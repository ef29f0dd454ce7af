import type { AppHostname, AppSelection } from '@fedops/contracts';
import type { FieldError } from '@fedops/domain';
import type { AppDefinition, OptionSpec, OptionValue } from './app-definition';
import { APPS } from './apps';

const SUBDOMAIN = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const SUBDOMAIN_SPEC: Extract<OptionSpec, { type: 'string' }> = {
  type: 'string',
  description: 'Label under the tenant domain the app answers on.',
  pattern: SUBDOMAIN.source,
  patternHint: 'a DNS label (lower-case letters, digits, inner hyphens)',
};

export function findApp(id: string): AppDefinition | undefined {
  return APPS.find((a) => a.id === id);
}

export function listApps(): readonly AppDefinition[] {
  return APPS;
}

/** All options of an app, `subdomain` included, as one schema. */
export function optionSchema(app: AppDefinition): Record<string, OptionSpec> {
  return { subdomain: { ...SUBDOMAIN_SPEC, default: app.defaultSubdomain }, ...app.options };
}

/** C0 controls and DEL: never meaningful in an option, and PostgreSQL's jsonb refuses NUL. */
function isControlCharacter(ch: string): boolean {
  const code = ch.charCodeAt(0);
  return code < 0x20 || code === 0x7f;
}

function checkOption(spec: OptionSpec, value: unknown): string | undefined {
  switch (spec.type) {
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'must be a boolean';
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) return 'must be an integer';
      if (spec.min !== undefined && value < spec.min) return `must be at least ${spec.min}`;
      if (spec.max !== undefined && value > spec.max) return `must be at most ${spec.max}`;
      return undefined;
    case 'enum':
      return typeof value === 'string' && spec.values.includes(value)
        ? undefined
        : `must be one of ${spec.values.join(', ')}`;
    case 'string':
      if (typeof value !== 'string') return 'must be a string';
      if ([...value].some(isControlCharacter)) return 'must not contain control characters';
      if (spec.maxLength !== undefined && value.length > spec.maxLength)
        return `must be at most ${spec.maxLength} characters`;
      if (spec.pattern !== undefined && !new RegExp(spec.pattern).test(value))
        return `must be ${spec.patternHint ?? `like /${spec.pattern}/`}`;
      return undefined;
  }
}

/**
 * Validates the `apps` field of a tenant request: known apps, each at most once, known options with
 * values of the right type, required options present, and subdomains that do not collide.
 * Returns every problem found, each named by its path.
 */
export function validateAppSelections(apps: unknown, field = 'apps'): FieldError[] {
  if (!Array.isArray(apps)) return [{ field, message: 'must be an array of { app, options }' }];
  if (apps.length === 0) return [{ field, message: 'must name at least one app' }];
  const errors: FieldError[] = [];
  const seenApps = new Set<string>();
  const seenSubdomains = new Map<string, string>();
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
    const schema = optionSchema(app);
    const given = options ?? {};
    if (typeof given !== 'object' || given === null || Array.isArray(given)) {
      errors.push({ field: `${path}.options`, message: 'must be an object' });
      return;
    }
    const values = given as Record<string, unknown>;
    for (const [name, value] of Object.entries(values)) {
      const spec = Object.hasOwn(schema, name) ? schema[name] : undefined;
      if (spec === undefined) {
        errors.push({
          field: `${path}.options.${name}`,
          message: `unknown option for ${app.id}; known options: ${Object.keys(schema).join(', ')}`,
        });
        continue;
      }
      const problem = checkOption(spec, value);
      if (problem !== undefined) errors.push({ field: `${path}.options.${name}`, message: problem });
    }
    for (const [name, spec] of Object.entries(schema)) {
      if (spec.required === true && values[name] === undefined)
        errors.push({ field: `${path}.options.${name}`, message: 'is required' });
    }
    const sub = typeof values['subdomain'] === 'string' ? values['subdomain'] : app.defaultSubdomain;
    const clash = seenSubdomains.get(sub);
    if (clash !== undefined)
      errors.push({ field: `${path}.options.subdomain`, message: `"${sub}" is already used by ${clash}` });
    seenSubdomains.set(sub, app.id);
  });
  return errors;
}

/** Fills in defaults; call only on selections that passed validateAppSelections. */
export function resolveOptions(selection: AppSelection): Record<string, OptionValue> {
  const app = requireApp(selection.app);
  const resolved: Record<string, OptionValue> = {};
  for (const [name, spec] of Object.entries(optionSchema(app))) {
    const value = selection.options[name] ?? spec.default;
    if (value !== undefined) resolved[name] = value;
  }
  return resolved;
}

export function requireApp(id: string): AppDefinition {
  const app = findApp(id);
  if (app === undefined) throw new Error(`App "${id}" is not in the catalog`);
  return app;
}

/** The hostnames a tenant's apps answer on, e.g. `social.example.org` for Mastodon. */
export function appHostnames(domain: string, apps: AppSelection[]): AppHostname[] {
  return apps.map((selection) => {
    const app = requireApp(selection.app);
    const sub = resolveOptions(selection)['subdomain'];
    return { app: app.id, fqdn: `${String(sub)}.${domain}`, port: app.port };
  });
}
