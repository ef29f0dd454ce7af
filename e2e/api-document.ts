import { openApiSchemaValidator, type OpenApiSchemaValidator } from '@fedops/testing';
import type { ApiResponse } from './api-client';

/** A parameter of an operation, as the served OpenAPI document describes it. */
export interface DocumentedParameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: JsonSchema;
}

/** The JSON Schema keywords the security tests read (the document is JSON Schema 2020-12). */
export interface JsonSchema {
  $ref?: string;
  type?: string;
  const?: unknown;
  enum?: unknown[];
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  minItems?: number;
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  oneOf?: JsonSchema[];
}

export interface DocumentedOperation {
  operationId: string;
  /** Upper case: GET, POST, ... */
  method: string;
  /** Templated: /v1/tenants/{id} */
  path: string;
  parameters: DocumentedParameter[];
  requestBody?: { required?: boolean; content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, { content?: Record<string, { schema: JsonSchema }> }>;
  /** x-fedops-roles and x-fedops-scopes (absent: the route takes only the identity provider's tokens). */
  roles: string[];
  scopes?: string[];
}

/** Statuses any operation may answer though none documents them: the HTTP layer's, before routing. */
export interface UndocumentedAllowance {
  statuses: readonly number[];
  why: string;
}

/** The API's served OpenAPI document: its operations, and checks of answers against it. */
export class ApiDocument {
  readonly operations: DocumentedOperation[];
  readonly schemas: OpenApiSchemaValidator;

  constructor(readonly raw: { paths: Record<string, Record<string, unknown>>; components?: object }) {
    this.schemas = openApiSchemaValidator(raw as Parameters<typeof openApiSchemaValidator>[0]);
    this.operations = Object.entries(raw.paths).flatMap(([path, item]) =>
      Object.entries(item)
        .filter(([method]) => ['get', 'put', 'post', 'delete', 'patch'].includes(method))
        .map(([method, value]) => {
          const op = value as Record<string, unknown>;
          const scopes = op['x-fedops-scopes'] as string[] | undefined;
          return {
            operationId: String(op['operationId']),
            method: method.toUpperCase(),
            path,
            parameters: (op['parameters'] as DocumentedParameter[] | undefined) ?? [],
            ...(op['requestBody'] !== undefined
              ? { requestBody: op['requestBody'] as DocumentedOperation['requestBody'] & object }
              : {}),
            responses: op['responses'] as DocumentedOperation['responses'],
            roles: (op['x-fedops-roles'] as string[] | undefined) ?? [],
            ...(scopes !== undefined ? { scopes } : {}),
          };
        }),
    );
  }

  static async fetch(apiUrl: string): Promise<ApiDocument> {
    const res = await fetch(`${apiUrl}/openapi.json`);
    if (res.status !== 200) throw new Error(`GET /openapi.json answered ${res.status}`);
    return new ApiDocument((await res.json()) as ApiDocument['raw']);
  }

  operation(operationId: string): DocumentedOperation {
    const op = this.operations.find((o) => o.operationId === operationId);
    if (op === undefined) throw new Error(`The document has no operation ${operationId}`);
    return op;
  }

  /**
   * Where the answer departs from the document: a status the operation does not document (unless
   * allowed), a content type it does not document for that status, a body that does not validate
   * against the schema, a problem whose `status` is not the answer's, or a stack trace in an error.
   * Empty when the answer matches.
   */
  answerViolations(
    op: DocumentedOperation,
    res: ApiResponse<unknown>,
    allowed: UndocumentedAllowance | undefined = undefined,
  ): string[] {
    const status = String(res.status);
    const contentType = (res.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? '';
    const documented = op.responses[status];
    if (res.status >= 500) return [`answered ${status}, a server error`];
    if (documented === undefined) {
      if (allowed?.statuses.includes(res.status) !== true)
        return [`answered ${status}, which ${op.operationId} does not document`];
      // An allowed status the HTTP layer answers for any route: it must still be a problem.
      return res.status >= 400 ? this.problemViolations(res, contentType) : [];
    }
    const media = documented.content?.[contentType];
    if (media === undefined)
      return [
        `answered ${status} as ${contentType || '(no content type)'}; documented: ` +
          `${Object.keys(documented.content ?? {}).join(', ') || '(no body)'}`,
      ];
    if (res.status >= 400) return this.problemViolations(res, contentType);
    if (contentType === 'text/event-stream') return [];
    return this.schemas.violationsOf(media.schema, res.body).map((v) => `answered ${status}: ${v}`);
  }

  private problemViolations(res: ApiResponse<unknown>, contentType: string): string[] {
    if (contentType !== 'application/problem+json')
      return [
        `answered ${res.status} as ${contentType || '(no content type)'}, not application/problem+json`,
      ];
    const problems = this.schemas.violations('ProblemDetails', res.body).map((v) => `problem: ${v}`);
    const body = res.body as { status?: unknown };
    if (body.status !== res.status)
      problems.push(`problem: status ${String(body.status)} in a ${res.status}`);
    if (/\bat \S+ \(|node_modules|\.[jt]s:\d+/.test(JSON.stringify(res.body)))
      problems.push('problem: looks like it carries a stack trace');
    return problems;
  }
}
