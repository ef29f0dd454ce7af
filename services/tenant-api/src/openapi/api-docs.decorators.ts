import { applyDecorators } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiExtension,
  ApiQuery,
  ApiResponse,
  type HeaderObject,
} from '@nestjs/swagger';
import { REQUEST_BODY_LIMIT_BYTES } from '@fedops/service-kit';
import type { Role } from '../auth/principal';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, type ListFilterSpec } from '../pagination/list-query';
import { byteSize } from '../problem/problem-details.filter';
import { schemaRef, type SchemaName } from './schemas';

/** Name of the security scheme declared by buildOpenApiDocument. */
export const BEARER_SCHEME = 'bearer';

/** Operation extension listing the roles a route admits (mirrors `@Roles`, checked by openapi.spec.ts). */
export const ROLES_EXTENSION = 'x-fedops-roles';

export const PROBLEM_MEDIA_TYPE = 'application/problem+json';

/** Problem statuses documented on routes, with what they mean in this API. */
const PROBLEM_DESCRIPTIONS = {
  400:
    'The request is invalid: `errors` names every bad field (VALIDATION_FAILED), or the body is not ' +
    'valid JSON or not valid UTF-8 (MALFORMED_JSON).',
  401: 'No valid bearer token (missing, malformed, expired, wrong issuer or audience).',
  403:
    'The token lacks a role or scope this operation requires, the operation is outside its organisation, ' +
    'or (QUOTA_EXCEEDED) it would pass a quota of the organisation: `quota`, `limit`, `used`, `requested`.',
  404: 'No such resource visible to the caller (resources of other organisations are not found either).',
  409: 'Conflicts with the current state (e.g. the domain is used by another live tenant).',
  410: 'What is shown only once was shown already (GONE); `revealedAt` says when.',
  413: `The request body is larger than ${byteSize(REQUEST_BODY_LIMIT_BYTES)} (PAYLOAD_TOO_LARGE).`,
  415:
    'The request body is not JSON (Content-Type `application/json` or `application/*+json`), not UTF-8, ' +
    'or has a Content-Encoding other than gzip, deflate or br (UNSUPPORTED_MEDIA_TYPE).',
  412: 'If-Match names a version that is no longer current (PRECONDITION_FAILED): GET it again.',
  422:
    'The Idempotency-Key was used before for a different request, or the request names something that ' +
    'does not exist (INVALID_REFERENCE, e.g. the organisation of a new tenant).',
  428: 'The change needs If-Match with the ETag of the version it was made against (PRECONDITION_REQUIRED).',
  429: 'Too many requests from this token (RATE_LIMITED): `Retry-After` says when to come back.',
  502: 'A backing service (provider, provisioner) failed or did not answer.',
} as const;

export type ProblemStatus = keyof typeof PROBLEM_DESCRIPTIONS;

/** Error responses with an RFC 9457 problem body. */
export function ApiProblemResponses(...statuses: ProblemStatus[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...statuses.map((status) =>
      ApiResponse({
        status,
        description: PROBLEM_DESCRIPTIONS[status],
        content: { [PROBLEM_MEDIA_TYPE]: { schema: schemaRef('ProblemDetails') } },
      }),
    ),
  );
}

/**
 * The JSON request body of a route, with the problems of reading one (every service reads bodies with
 * acceptJsonBodies: JSON in UTF-8, at most REQUEST_BODY_LIMIT_BYTES, before authentication).
 */
export function ApiJsonBody(schema: SchemaName): MethodDecorator {
  return applyDecorators(
    ApiBody({
      required: true,
      description: `JSON in UTF-8, at most ${byteSize(REQUEST_BODY_LIMIT_BYTES)}.`,
      schema: schemaRef(schema),
    }),
    ApiProblemResponses(400, 413, 415),
  );
}

/** A successful JSON response whose body is one of the named schemas. */
export function ApiJsonResponse(
  status: number,
  schema: SchemaName,
  description: string,
  headers?: Record<string, HeaderObject>,
): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiResponse({
      status,
      description,
      content: { 'application/json': { schema: schemaRef(schema) } },
      ...(headers !== undefined ? { headers } : {}),
    }),
  );
}

/**
 * For a controller behind the global AuthGuard: bearer token required, the roles it admits (repeat the
 * controller's `@Roles`), and the 401/403 problems every such route can answer.
 */
export function ApiAuthenticated(...roles: [Role, ...Role[]]): ClassDecorator {
  return applyDecorators(
    ApiBearerAuth(BEARER_SCHEME),
    ApiExtension(ROLES_EXTENSION, roles),
    ApiProblemResponses(401, 403, 429),
  );
}

/** The query parameters of a paged list: `limit`, `cursor` and the list's filters (as parseListQuery reads them). */
export function ApiListQuery(filters: readonly ListFilterSpec[]): MethodDecorator {
  return applyDecorators(
    ApiQuery({
      name: 'limit',
      required: false,
      description: 'Items per page.',
      schema: { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE },
    }),
    ApiQuery({
      name: 'cursor',
      required: false,
      description: "The previous page's `nextCursor`; absent for the first page.",
      schema: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,400}$' },
    }),
    ...filters.map((f) =>
      ApiQuery({
        name: f.name,
        required: false,
        description: `Only items with this ${f.name} (${f.description}).`,
        schema:
          f.values !== undefined
            ? { type: 'string', enum: [...f.values] }
            : { type: 'string', ...(f.pattern !== undefined ? { pattern: f.pattern.source } : {}) },
      }),
    ),
    ApiProblemResponses(400),
  );
}
