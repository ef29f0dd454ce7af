import fc from 'fast-check';
import type { JsonSchema } from './api-document';

/** Finds a component schema by reference (`#/components/schemas/<name>`). */
export type SchemaResolver = (ref: string) => JsonSchema;

/**
 * Values that fit `schema` (the subset of JSON Schema the API's document uses): the shapes a client
 * following the document would send. Free-form strings stay free-form, so most of them are still
 * refused by the API's own rules (a domain, an app option), which the document does not spell out.
 */
export function arbitraryOf(schema: JsonSchema, resolve: SchemaResolver, depth = 0): fc.Arbitrary<unknown> {
  if (schema.$ref !== undefined) return arbitraryOf(resolve(schema.$ref), resolve, depth);
  if (schema.oneOf !== undefined)
    return fc.oneof(...schema.oneOf.map((s) => arbitraryOf(s, resolve, depth + 1)));
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum !== undefined) return fc.constantFrom(...schema.enum);
  switch (schema.type) {
    case 'string':
      if (schema.pattern !== undefined) return fc.stringMatching(new RegExp(schema.pattern));
      if (schema.format === 'uuid') return fc.uuid();
      if (schema.format === 'uri') return fc.webUrl();
      if (schema.format === 'date-time') return fc.date({ noInvalidDate: true }).map((d) => d.toISOString());
      // Mostly printable ASCII; now and then any code point (NUL, controls, astral planes).
      return fc.oneof(
        { weight: 3, arbitrary: fc.string({ maxLength: schema.maxLength ?? 40 }) },
        { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: schema.maxLength ?? 40 }) },
      );
    case 'integer':
      return fc.integer({ min: schema.minimum ?? -1_000_000, max: schema.maximum ?? 1_000_000 });
    case 'number':
      return fc.double({ noNaN: true, noDefaultInfinity: true });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return fc.array(
        schema.items === undefined ? fc.jsonValue() : arbitraryOf(schema.items, resolve, depth + 1),
        {
          minLength: schema.minItems ?? 0,
          maxLength: Math.max(schema.minItems ?? 0, depth > 2 ? 1 : 3),
        },
      );
    case 'object': {
      const properties = Object.fromEntries(
        Object.entries(schema.properties ?? {}).map(([name, s]) => [
          name,
          arbitraryOf(s, resolve, depth + 1),
        ]),
      );
      const known = fc.record(properties, { requiredKeys: (schema.required ?? []) as never[] });
      const extra = schema.additionalProperties;
      if (typeof extra !== 'object' || depth > 3) return known;
      return fc
        .tuple(
          known,
          fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), arbitraryOf(extra, resolve, depth + 1), {
            maxKeys: 3,
          }),
        )
        .map(([k, more]) => ({ ...more, ...k }));
    }
    case undefined:
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

/** Values of another JSON type than a field has: what a careless client sends. */
const wrongType = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.string(),
  fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 2 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 2 }),
);

/** A change to a valid value that the document forbids, at a random place inside it. */
export function mutationOf(value: unknown): fc.Arbitrary<unknown> {
  const paths = pathsIn(value);
  return fc.oneof(
    // A field of the wrong type (or the whole body).
    fc.tuple(fc.constantFrom(...paths), wrongType).map(([path, v]) => setAt(value, path, v)),
    // A field the schema does not know, at the top or inside.
    fc
      .tuple(
        fc.constantFrom(...paths),
        fc.string({ minLength: 1, maxLength: 12 }),
        fc.jsonValue({ maxDepth: 1 }),
      )
      .map(([path, key, v]) => setAt(value, [...path, key], v)),
    // A field left out (or the body itself, when it has none).
    fc.constantFrom(...paths.filter((p) => p.length > 0), []).map((path) => deleteAt(value, path)),
    // Names that break naive object handling.
    fc
      .constantFrom('__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString')
      .map((key) => setAt(value, [key], { polluted: true })),
  );
}

/** Every place in a JSON value where a mutation can go: `[]` is the value itself. */
function pathsIn(value: unknown, at: Array<string | number> = []): Array<Array<string | number>> {
  const here = [at];
  if (Array.isArray(value)) return [...here, ...value.flatMap((v, i) => pathsIn(v, [...at, i]))];
  if (typeof value === 'object' && value !== null)
    return [...here, ...Object.entries(value).flatMap(([k, v]) => pathsIn(v, [...at, k]))];
  return here;
}

function setAt(value: unknown, path: ReadonlyArray<string | number>, replacement: unknown): unknown {
  const [head, ...rest] = path;
  if (head === undefined) return replacement;
  const container = (
    Array.isArray(value)
      ? [...(value as unknown[])]
      : typeof value === 'object' && value !== null
        ? { ...value }
        : {}
  ) as Record<string | number, unknown>;
  // defineProperty: `__proto__` becomes an own key, as JSON.parse makes it, not the prototype.
  Object.defineProperty(container, head, {
    value: setAt(container[head], rest, replacement),
    enumerable: true,
    writable: true,
    configurable: true,
  });
  return container;
}

function deleteAt(value: unknown, path: ReadonlyArray<string | number>): unknown {
  const [head, ...rest] = path;
  if (head === undefined || typeof value !== 'object' || value === null) return value;
  if (rest.length === 0) {
    if (Array.isArray(value)) return value.filter((_, i) => i !== head);
    return Object.fromEntries(Object.entries(value).filter(([key]) => key !== String(head)));
  }
  return setAt(value, [head], deleteAt((value as Record<string | number, unknown>)[head], rest));
}
