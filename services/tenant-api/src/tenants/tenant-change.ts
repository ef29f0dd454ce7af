import type { AppSelection } from '@fedops/contracts';
import { findApp, validateAppSelections } from '@fedops/catalog';
import { FedopsError, FedopsErrorCode, type FieldError } from '@fedops/domain';

type OptionValue = AppSelection['options'][string];

/**
 * PATCH /v1/tenants/{id}: what to do to the tenant's apps. `change` merges options into an app's
 * current ones (RFC 7396 style: a value replaces, `null` goes back to the default).
 */
export interface UpdateTenantCommand {
  add: AppSelection[];
  remove: string[];
  change: Array<{ app: string; options: Record<string, OptionValue | null> }>;
  /** Apps holding data whose removal the operator confirms. */
  confirmRemoval: string[];
}

const KNOWN_FIELDS = new Set(['apps', 'confirmRemoval']);
const KNOWN_APP_FIELDS = new Set(['add', 'remove', 'change']);

/** Validates the body's shape at the edge; what it names is checked against the tenant by `applyTenantChange`. */
export function parseUpdateTenantRequest(body: unknown): UpdateTenantCommand {
  if (!isObject(body)) throw FedopsError.validation([{ field: '(body)', message: 'must be a JSON object' }]);
  const errors: FieldError[] = [];
  for (const key of Object.keys(body)) {
    if (!KNOWN_FIELDS.has(key))
      errors.push({ field: key, message: 'is not a known field (apps, confirmRemoval)' });
  }
  const apps = body['apps'];
  const command: UpdateTenantCommand = { add: [], remove: [], change: [], confirmRemoval: [] };
  if (apps === undefined) {
    errors.push({ field: 'apps', message: 'is required: an object with add, remove and/or change' });
  } else if (!isObject(apps)) {
    errors.push({ field: 'apps', message: 'must be an object with add, remove and/or change' });
  } else {
    for (const key of Object.keys(apps)) {
      if (!KNOWN_APP_FIELDS.has(key))
        errors.push({ field: `apps.${key}`, message: 'is not a known field (add, remove, change)' });
    }
    command.add = parseSelections(apps['add'], 'apps.add', errors, false) as AppSelection[];
    command.change = parseSelections(apps['change'], 'apps.change', errors, true);
    command.remove = parseAppIds(apps['remove'], 'apps.remove', errors);
    if (command.add.length + command.remove.length + command.change.length === 0 && errors.length === 0) {
      errors.push({ field: 'apps', message: 'must add, remove or change at least one app' });
    }
  }
  command.confirmRemoval = parseAppIds(body['confirmRemoval'], 'confirmRemoval', errors);
  const named = new Map<string, string>();
  const claim = (app: string, field: string): void => {
    const first = named.get(app);
    if (first !== undefined)
      errors.push({ field, message: `names ${app} again (${first} names it already)` });
    else named.set(app, field);
  };
  command.add.forEach((a, i) => claim(a.app, `apps.add[${i}].app`));
  command.remove.forEach((app, i) => claim(app, `apps.remove[${i}]`));
  command.change.forEach((c, i) => claim(c.app, `apps.change[${i}].app`));
  if (errors.length > 0) throw FedopsError.validation(errors);
  return command;
}

/** The apps after the change. */
export interface AppliedTenantChange {
  apps: AppSelection[];
}

/**
 * Applies the change to the tenant's current apps: an app added must not be there yet (409), one
 * removed or changed must be (422); the result must pass the catalog (each problem named by the
 * request field it came from); removing an app that holds data needs it in `confirmRemoval`.
 */
export function applyTenantChange(
  current: AppSelection[],
  command: UpdateTenantCommand,
): AppliedTenantChange {
  const present = new Set(current.map((a) => a.app));
  const already = command.add.filter((a) => present.has(a.app)).map((a) => a.app);
  if (already.length > 0) {
    throw new FedopsError(
      FedopsErrorCode.Conflict,
      `The tenant has ${already.join(', ')} already; change an app's options with apps.change`,
    );
  }
  const errors: FieldError[] = [];
  command.remove.forEach((app, i) => {
    if (!present.has(app)) errors.push({ field: `apps.remove[${i}]`, message: notOnTenant(app, current) });
  });
  command.change.forEach((c, i) => {
    if (!present.has(c.app))
      errors.push({ field: `apps.change[${i}].app`, message: notOnTenant(c.app, current) });
  });
  command.confirmRemoval.forEach((app, i) => {
    if (!command.remove.includes(app))
      errors.push({
        field: `confirmRemoval[${i}]`,
        message: `names ${app}, which this change does not remove`,
      });
  });
  if (errors.length > 0) throw FedopsError.validation(errors);

  // Each app of the result with the request field it came from, so catalog problems name that field.
  const changes = new Map(command.change.map((c, i) => [c.app, { c, field: `apps.change[${i}]` }]));
  const result: Array<{ selection: AppSelection; field: string }> = [];
  current.forEach((selection, i) => {
    if (command.remove.includes(selection.app)) return;
    const changed = changes.get(selection.app);
    if (changed === undefined) {
      result.push({ selection, field: `(current apps[${i}])` });
      return;
    }
    result.push({
      selection: { app: selection.app, options: mergeOptions(selection.options, changed.c.options) },
      field: changed.field,
    });
  });
  command.add.forEach((selection, i) => result.push({ selection, field: `apps.add[${i}]` }));

  const catalogErrors = validateAppSelections(
    result.map((r) => r.selection),
    'apps',
  ).map((e) => ({
    ...e,
    field: e.field.replace(/^apps\[(\d+)\]/, (whole, i: string) => result[Number(i)]?.field ?? whole),
  }));
  if (result.length === 0) {
    catalogErrors.push({
      field: 'apps.remove',
      message: 'would remove every app; delete the tenant instead',
    });
  }
  const unconfirmed = command.remove.filter((app) => holdsData(app) && !command.confirmRemoval.includes(app));
  for (const app of unconfirmed) {
    catalogErrors.push({
      field: 'confirmRemoval',
      message: `must name ${app}: removing it takes away its data (${dataOf(app)}); repeat the request with "confirmRemoval": ["${app}"]`,
    });
  }
  if (catalogErrors.length > 0) throw FedopsError.validation(catalogErrors);
  return { apps: result.map((r) => r.selection) };
}

/** Whether an app keeps data of its users (files or a database) that removing it would take away. */
export function holdsData(app: string): boolean {
  const definition = findApp(app);
  return definition !== undefined && (definition.dataPaths.length > 0 || definition.databases.length > 0);
}

function dataOf(app: string): string {
  const definition = findApp(app);
  if (definition === undefined) return 'its data';
  const what = [
    ...definition.databases.map((d) => `database ${d.name}`),
    ...definition.dataPaths.map((p) => p),
  ];
  return what.join(', ');
}

function mergeOptions(
  current: AppSelection['options'],
  patch: Record<string, OptionValue | null>,
): AppSelection['options'] {
  const merged: AppSelection['options'] = { ...current };
  for (const [name, value] of Object.entries(patch)) {
    if (value === null) delete merged[name];
    else merged[name] = value;
  }
  return merged;
}

function notOnTenant(app: string, current: AppSelection[]): string {
  return `is ${app}, which is not an app of this tenant (it has ${current.map((a) => a.app).join(', ')})`;
}

function parseSelections(
  value: unknown,
  field: string,
  errors: FieldError[],
  nullable: boolean,
): Array<{ app: string; options: Record<string, OptionValue | null> }> {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    errors.push({ field, message: 'must be an array of { app, options }' });
    return [];
  }
  const parsed: Array<{ app: string; options: Record<string, OptionValue | null> }> = [];
  value.forEach((entry: unknown, i) => {
    const path = `${field}[${i}]`;
    if (!isObject(entry)) {
      errors.push({ field: path, message: 'must be an object { app, options }' });
      return;
    }
    for (const key of Object.keys(entry)) {
      if (key !== 'app' && key !== 'options')
        errors.push({ field: `${path}.${key}`, message: 'is not allowed' });
    }
    const { app, options } = entry;
    if (typeof app !== 'string' || app === '') {
      errors.push({ field: `${path}.app`, message: 'must be a string naming a catalog app' });
      return;
    }
    if (options !== undefined && !isObject(options)) {
      errors.push({ field: `${path}.options`, message: 'must be an object of option values' });
      return;
    }
    const values: Record<string, OptionValue | null> = {};
    for (const [name, v] of Object.entries(options ?? {})) {
      if (v === null && nullable) values[name] = null;
      else if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') values[name] = v;
      else
        errors.push({
          field: `${path}.options.${name}`,
          message: nullable
            ? 'must be a string, number, boolean or null (the default)'
            : 'must be a string, number or boolean',
        });
    }
    if (nullable && options === undefined)
      errors.push({ field: `${path}.options`, message: 'is required: the options to change' });
    parsed.push({ app, options: values });
  });
  return parsed;
}

function parseAppIds(value: unknown, field: string, errors: FieldError[]): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((v): v is string => typeof v === 'string' && v !== '')) {
    errors.push({ field, message: 'must be an array of app ids' });
    return [];
  }
  return value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
