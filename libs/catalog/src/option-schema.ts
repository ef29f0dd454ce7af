import type { AppDefinition, OptionSpec } from './app-definition';

/**
 * A DNS label: lower-case letters, digits, inner hyphens, at most 63 characters. Written without
 * lookarounds, so that generators of values from the OpenAPI document (fuzzers) can read it.
 */
export const SUBDOMAIN_PATTERN = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const SUBDOMAIN_HINT = 'a DNS label (lower-case letters, digits, inner hyphens)';

/** C0 controls and DEL: never meaningful in an option, and PostgreSQL's jsonb refuses NUL. */
function hasControlCharacter(value: string): boolean {
  return [...value].some((ch) => {
    const code = ch.charCodeAt(0);
    return code < 0x20 || code === 0x7f;
  });
}

/** Why `value` does not fit `spec`, or undefined when it does. */
export function checkOption(spec: OptionSpec, value: unknown): string | undefined {
  switch (spec.type) {
    case 'boolean':
    case 'enable':
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
    case 'subdomain':
      if (typeof value !== 'string') return 'must be a string';
      return SUBDOMAIN_PATTERN.test(value) ? undefined : `must be ${SUBDOMAIN_HINT}`;
    case 'string':
      if (typeof value !== 'string') return 'must be a string';
      if (hasControlCharacter(value)) return 'must not contain control characters';
      // Characters as JSON Schema's maxLength counts them: code points, not UTF-16 units.
      if (spec.maxLength !== undefined && [...value].length > spec.maxLength)
        return `must be at most ${spec.maxLength} characters`;
      if (spec.pattern !== undefined && !new RegExp(spec.pattern).test(value))
        return `must be ${spec.patternHint ?? `like /${spec.pattern}/`}`;
      if (spec.notIn?.includes(value) === true) return `"${value}" is reserved by the app; choose another`;
      return undefined;
  }
}

/** A JSON Schema (2020-12, as OpenAPI 3.1 uses it) object. */
export type JsonSchema = { [key: string]: JsonSchemaValue };
type JsonSchemaValue =
  string | number | boolean | null | JsonSchemaValue[] | { [key: string]: JsonSchemaValue };

/** One option as JSON Schema; fedops' own type (subdomain, enable) and weight as `x-fedops-*` keywords. */
export function optionJsonSchema(spec: OptionSpec): JsonSchema {
  const common: JsonSchema = {
    description: spec.description,
    'x-fedops-type': spec.type,
    'x-fedops-weight': spec.weight,
    ...(spec.default === undefined ? {} : { default: spec.default }),
  };
  switch (spec.type) {
    case 'boolean':
    case 'enable':
      return { type: 'boolean', ...common };
    case 'integer':
      return {
        type: 'integer',
        ...common,
        ...(spec.min === undefined ? {} : { minimum: spec.min }),
        ...(spec.max === undefined ? {} : { maximum: spec.max }),
      };
    case 'enum':
      return { type: 'string', enum: [...spec.values], ...common };
    case 'subdomain':
      return { type: 'string', pattern: SUBDOMAIN_PATTERN.source, maxLength: 63, ...common };
    case 'string':
      return {
        type: 'string',
        // The same rules as checkOption: no C0 control characters or DEL, and the spec's own pattern.
        pattern: '^[^\\u0000-\\u001f\\u007f]*$',
        ...(spec.pattern === undefined ? {} : { allOf: [{ pattern: spec.pattern }] }),
        ...(spec.maxLength === undefined ? {} : { maxLength: spec.maxLength }),
        ...(spec.notIn === undefined ? {} : { not: { enum: [...spec.notIn] } }),
        ...(spec.patternHint === undefined ? {} : { 'x-fedops-pattern-hint': spec.patternHint }),
        ...common,
      };
  }
}

/**
 * The JSON Schema of an app's `options` object, made from the same specs checkOption reads: the
 * OpenAPI document shows it, and a test checks that it accepts exactly what validation accepts.
 */
export function appOptionsJsonSchema(app: AppDefinition): JsonSchema {
  const entries = Object.entries(app.options).sort(([, a], [, b]) => a.weight - b.weight);
  const required = entries.filter(([, s]) => s.required === true).map(([name]) => name);
  return {
    type: 'object',
    description: `Options of ${app.name}; an option left out takes its default (some, like adminEmail, are derived from the tenant).`,
    additionalProperties: false,
    properties: Object.fromEntries(entries.map(([name, spec]) => [name, optionJsonSchema(spec)])),
    ...(required.length === 0 ? {} : { required }),
  };
}
