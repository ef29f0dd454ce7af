import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

/** The part of an OpenAPI 3.1 document the validator reads. */
export interface OpenApiComponents {
  components?: { schemas?: Record<string, unknown> };
}

/**
 * Checks JSON values against the schemas of an OpenAPI 3.1 document (JSON Schema 2020-12, with
 * formats). Every answer is a list of violations, each `<path>: <what is wrong>` (`$` is the value
 * itself, `$.apps[0].app` a field inside it); an empty list means the value conforms.
 */
export interface OpenApiSchemaValidator {
  /** The violations of the component schema `name` (components.schemas.<name>). */
  violations(name: string, value: unknown): string[];
  /** The violations of a schema of the document (inline, or `{ $ref: '#/components/schemas/...' }`). */
  violationsOf(schema: object, value: unknown): string[];
}

const COMPONENT_REF = '#/components/schemas/';
const DOCUMENT_ID = 'https://fedops.dev/openapi.json';

/**
 * Keywords of OpenAPI 3.1's Schema Object beyond JSON Schema 2020-12 (annotations only), besides its
 * specification extensions (`x-…`, see extensionKeywords). Anything else unknown fails the compile:
 * ajv runs in strict mode, so a misspelt keyword is an error, not ignored.
 */
const OPENAPI_KEYWORDS = ['example', 'discriminator', 'xml', 'externalDocs'];

/** The `x-…` keywords the schemas use (OpenAPI 3.1 lets a Schema Object carry extensions: annotations). */
function extensionKeywords(schemas: unknown): string[] {
  const found = new Set<string>();
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (typeof value === 'object' && value !== null)
      for (const [key, v] of Object.entries(value)) {
        if (key.startsWith('x-')) found.add(key);
        visit(v);
      }
  };
  visit(schemas);
  return [...found];
}

/**
 * Compiles the document's component schemas once (ajv, JSON Schema 2020-12). The unit test of the
 * schemas and the e2e fuzzing of the API share it, so both read the document the same way. Throws
 * when a schema does not compile (an unknown keyword, a dangling reference).
 */
export function openApiSchemaValidator(document: OpenApiComponents): OpenApiSchemaValidator {
  const ajv = new Ajv2020({ strict: true, allErrors: true, verbose: true });
  addFormats(ajv);
  for (const keyword of [...OPENAPI_KEYWORDS, ...extensionKeywords(document.components?.schemas)])
    ajv.addKeyword({ keyword });
  // References inside the document point at #/components/schemas/<name>: as $defs of one schema
  // resource they resolve without the rest of the document (paths are not a schema).
  ajv.addSchema({ $id: DOCUMENT_ID, $defs: toDefs(document.components?.schemas ?? {}) });
  const compiled = new Map<string, ValidateFunction>();
  const named = (name: string): ValidateFunction => {
    let validate = compiled.get(name);
    if (validate === undefined) {
      if (document.components?.schemas?.[name] === undefined)
        throw new Error(`The document has no schema ${name} (components.schemas)`);
      validate = ajv.compile({ $ref: `${DOCUMENT_ID}#/$defs/${name}` });
      compiled.set(name, validate);
    }
    return validate;
  };
  const inline = new WeakMap<object, ValidateFunction>();
  const ofSchema = (schema: object): ValidateFunction => {
    const ref = (schema as { $ref?: unknown }).$ref;
    if (typeof ref === 'string' && ref.startsWith(COMPONENT_REF) && Object.keys(schema).length === 1)
      return named(ref.slice(COMPONENT_REF.length));
    let validate = inline.get(schema);
    if (validate === undefined) {
      validate = ajv.compile(toDefs({ inline: schema })['inline'] as object);
      inline.set(schema, validate);
    }
    return validate;
  };
  const check = (validate: ValidateFunction, value: unknown): string[] =>
    validate(value) ? [] : (validate.errors ?? []).map(describe);
  return {
    violations: (name, value) => check(named(name), value),
    violationsOf: (schema, value) => check(ofSchema(schema), value),
  };
}

/** A copy of the schemas whose references name `$defs` of DOCUMENT_ID instead of the document's components. */
function toDefs(schemas: Record<string, unknown>): Record<string, unknown> {
  const rewrite = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(rewrite);
    if (typeof value !== 'object' || value === null) return value;
    return Object.fromEntries(
      Object.entries(value).map(([key, v]) => [
        key,
        key === '$ref' && typeof v === 'string' && v.startsWith(COMPONENT_REF)
          ? `${DOCUMENT_ID}#/$defs/${v.slice(COMPONENT_REF.length)}`
          : rewrite(v),
      ]),
    );
  };
  return rewrite(schemas) as Record<string, unknown>;
}

/** `$.apps[0].app: ...` from ajv's JSON pointer and message, with the field named for required and unknown ones. */
function describe(error: ErrorObject): string {
  const at =
    '$' +
    error.instancePath
      .split('/')
      .slice(1)
      .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'))
      .map((segment) => (/^\d+$/.test(segment) ? `[${segment}]` : `.${segment}`))
      .join('');
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return `${at}.${String(params['missingProperty'])}: missing`;
    case 'additionalProperties':
      return `${at}.${String(params['additionalProperty'])}: not in the schema`;
    case 'enum':
      return `${at}: ${JSON.stringify(error.data)} is not in the enum`;
    default:
      return `${at}: ${error.message ?? error.keyword}`;
  }
}
