import Ajv2020 from 'ajv/dist/2020';
import { APPS } from '.';
import type { AppDefinition, OptionSpec } from '../app-definition';
import { validateAppSelections } from '../catalog';
import { appOptionsJsonSchema, checkOption } from '../option-schema';

const optionsOfType = (app: AppDefinition, type: OptionSpec['type']): string[] =>
  Object.entries(app.options)
    .filter(([, s]) => s.type === type)
    .map(([name]) => name);

describe.each(APPS.map((a) => [a.id, a] as const))('catalog app %s', (_id, app) => {
  it('has an http endpoint first, and every endpoint names a subdomain option and an enable option that exist', () => {
    expect(app.endpoints[0]?.kind).toBe('http');
    const subdomains = optionsOfType(app, 'subdomain');
    const enables = optionsOfType(app, 'enable');
    for (const e of app.endpoints) {
      if (e.kind !== 'apex-path') expect(subdomains).toContain(e.subdomainOption);
      if (e.enabledBy !== undefined) expect(enables).toContain(e.enabledBy);
    }
    for (const item of [...app.ports, ...app.secrets])
      if (item.enabledBy !== undefined) expect(enables).toContain(item.enabledBy);
    expect(new Set(app.endpoints.map((e) => e.id)).size).toBe(app.endpoints.length);
  });

  it('declares each secret once, with a file name, and its admin password and options among them', () => {
    const names = app.secrets.map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
    if (app.admin !== undefined) {
      expect(names).toContain(app.admin.passwordSecret);
      if ('option' in app.admin.username)
        expect(Object.keys(app.options)).toContain(app.admin.username.option);
      if (app.admin.emailOption !== undefined)
        expect(Object.keys(app.options)).toContain(app.admin.emailOption);
    }
  });

  it('has defaults that pass its own validation, distinct weights, and valid port numbers', () => {
    for (const [name, spec] of Object.entries(app.options)) {
      if (spec.default !== undefined)
        expect([name, checkOption(spec, spec.default)]).toEqual([name, undefined]);
    }
    const weights = Object.values(app.options).map((s) => s.weight);
    expect(new Set(weights).size).toBe(weights.length);
    for (const p of app.ports) {
      expect(p.port).toBeGreaterThan(0);
      expect(p.to ?? p.port).toBeLessThanOrEqual(65535);
      expect(p.to ?? p.port).toBeGreaterThanOrEqual(p.port);
    }
    expect(validateAppSelections([{ app: app.id }])).toEqual([]);
  });
});

describe('appOptionsJsonSchema', () => {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  /** Values around each option's rules: valid ones, wrong types, out-of-range, patterns, reserved words. */
  function samples(spec: OptionSpec): unknown[] {
    const common = [true, false, 0, 1, 1.5, -1, '', 'x', null, [], {}, 'a\u0001b', 'owner', 'admin', 'ünï'];
    switch (spec.type) {
      case 'integer':
        return [...common, spec.min, spec.max, (spec.min ?? 0) - 1, (spec.max ?? 0) + 1, spec.default];
      case 'enum':
        return [...common, ...spec.values, spec.values.join('')];
      case 'subdomain':
        return [...common, 'social', '-a', 'a-', 'a'.repeat(63), 'a'.repeat(64), 'A', 'a.b'];
      case 'string':
        return [
          ...common,
          spec.default,
          'a@b.org',
          'x'.repeat((spec.maxLength ?? 10) + 1),
          'x'.repeat(spec.maxLength ?? 10),
          '😀'.repeat(spec.maxLength ?? 10),
          'o.k-name',
          ...(spec.notIn ?? []),
        ];
      case 'boolean':
      case 'enable':
        return common;
    }
  }

  it.each(APPS.map((a) => [a.id, a] as const))(
    'of %s accepts exactly the option values validateAppSelections accepts',
    (_id, app) => {
      const validate = ajv.compile(appOptionsJsonSchema(app));
      let compared = 0;
      for (const [name, spec] of Object.entries(app.options)) {
        for (const value of samples(spec)) {
          if (value === undefined) continue;
          const bySchema = validate({ [name]: value });
          const byCatalog = validateAppSelections([{ app: app.id, options: { [name]: value } }]).length === 0;
          expect({ name, value, bySchema }).toEqual({ name, value, bySchema: byCatalog });
          compared++;
        }
      }
      expect(validate({ notAnOption: 1 })).toBe(false);
      expect(compared).toBeGreaterThan(10);
    },
  );
});
