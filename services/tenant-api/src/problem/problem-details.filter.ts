import { Catch, HttpException, HttpStatus, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import {
  FedopsError,
  FedopsErrorCode,
  assertUnreachable,
  describeError,
  type FieldError,
} from '@fedops/domain';
import {
  REQUEST_BODY_LIMIT_BYTES,
  isRequestBodyError,
  type JsonLogger,
  type RequestBodyError,
} from '@fedops/service-kit';
import { RateLimitedError } from '../rate-limit/rate-limiter';

/** RFC 9457 problem details, with `errors` naming every bad field of the request. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  code: string;
  errors?: FieldError[];
  /** RFC 9457 extension members of some codes (e.g. QUOTA_EXCEEDED: `quota`, `limit`, `used`, `requested`). */
  [extension: string]: unknown;
}

export function httpStatusOf(code: FedopsErrorCode): number {
  switch (code) {
    case FedopsErrorCode.ValidationFailed:
      return HttpStatus.BAD_REQUEST;
    case FedopsErrorCode.NotFound:
      return HttpStatus.NOT_FOUND;
    case FedopsErrorCode.Conflict:
      return HttpStatus.CONFLICT;
    case FedopsErrorCode.Unauthenticated:
      return HttpStatus.UNAUTHORIZED;
    case FedopsErrorCode.Forbidden:
      return HttpStatus.FORBIDDEN;
    case FedopsErrorCode.IdempotencyKeyReused:
      return HttpStatus.UNPROCESSABLE_ENTITY;
    case FedopsErrorCode.ProviderFailed:
      return HttpStatus.BAD_GATEWAY;
    case FedopsErrorCode.HealthCheckFailed:
      return HttpStatus.BAD_GATEWAY;
    // 403, not 422: the request is well-formed and would succeed under a larger quota; the server
    // refuses it by policy on the caller's organisation (RFC 9110 section 15.5.4), as RFC 9457's own
    // "out of credit" example does. 422 means the content itself cannot be processed. Clients tell it
    // from a role refusal by `code`.
    case FedopsErrorCode.QuotaExceeded:
      return HttpStatus.FORBIDDEN;
    case FedopsErrorCode.PreconditionFailed:
      return HttpStatus.PRECONDITION_FAILED;
    case FedopsErrorCode.PreconditionRequired:
      return HttpStatus.PRECONDITION_REQUIRED;
    // The target resource exists (404 would say it does not); what the body names does not.
    case FedopsErrorCode.InvalidReference:
      return HttpStatus.UNPROCESSABLE_ENTITY;
    case FedopsErrorCode.Gone:
      return HttpStatus.GONE;
    case FedopsErrorCode.ConfigurationInvalid:
    case FedopsErrorCode.Internal:
      return HttpStatus.INTERNAL_SERVER_ERROR;
    default:
      return assertUnreachable(code, 'error code');
  }
}

const TITLES: Record<number, string> = {
  400: 'Invalid request',
  401: 'Authentication required',
  403: 'Forbidden',
  404: 'Not found',
  409: 'Conflict',
  410: 'Gone',
  412: 'Precondition failed',
  413: 'Request too large',
  415: 'Unsupported media type',
  422: 'Unprocessable request',
  428: 'Precondition required',
  429: 'Too many requests',
  500: 'Internal error',
  502: 'Upstream failure',
  503: 'Service unavailable',
};

export function problemType(code: string): string {
  return `https://fedops.dev/problems/${code.toLowerCase().replace(/_/g, '-')}`;
}

/**
 * Codes of problems the HTTP layer finds before a route runs. Not FedopsErrorCodes: no other transport
 * has them. Other framework errors (e.g. a malformed path) keep the code HTTP_<status>.
 */
export enum HttpProblemCode {
  PayloadTooLarge = 'PAYLOAD_TOO_LARGE',
  UnsupportedMediaType = 'UNSUPPORTED_MEDIA_TYPE',
  MalformedJson = 'MALFORMED_JSON',
  MalformedRequest = 'MALFORMED_REQUEST',
  RateLimited = 'RATE_LIMITED',
}

/** A size for people: `64 KiB`, `1 MiB`, `1500 bytes`. */
export function byteSize(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

const JSON_MEDIA_TYPES = 'application/json (or an application/*+json type)';

/**
 * The problem with a request body, as body-parser or acceptJsonBodies found it. Every kind is the
 * client's doing except the two stream errors, which only fedops code misusing the request stream causes.
 */
export function requestBodyProblem(err: RequestBodyError): { status: number; code: string; detail: string } {
  switch (err.type) {
    case 'entity.too.large':
      return {
        status: HttpStatus.PAYLOAD_TOO_LARGE,
        code: HttpProblemCode.PayloadTooLarge,
        detail: `The request body is larger than the limit of ${byteSize(err.limit ?? REQUEST_BODY_LIMIT_BYTES)}`,
      };
    case 'content-type.unsupported':
      return {
        status: HttpStatus.UNSUPPORTED_MEDIA_TYPE,
        code: HttpProblemCode.UnsupportedMediaType,
        detail:
          err.mediaType === undefined || err.mediaType === ''
            ? `The request body has no Content-Type; send JSON as ${JSON_MEDIA_TYPES}`
            : `The request body is ${err.mediaType}; send JSON as ${JSON_MEDIA_TYPES}`,
      };
    case 'charset.unsupported':
      return {
        status: HttpStatus.UNSUPPORTED_MEDIA_TYPE,
        code: HttpProblemCode.UnsupportedMediaType,
        detail: `The request body is in charset ${err.charset ?? '(unknown)'}; JSON must be UTF-8 (send charset=utf-8 or no charset)`,
      };
    case 'encoding.unsupported':
      return {
        status: HttpStatus.UNSUPPORTED_MEDIA_TYPE,
        code: HttpProblemCode.UnsupportedMediaType,
        detail: `Content-Encoding ${err.encoding ?? '(unknown)'} is not supported; send the body uncompressed or as gzip, deflate or br`,
      };
    case 'entity.utf8.invalid':
      return {
        status: HttpStatus.BAD_REQUEST,
        code: HttpProblemCode.MalformedJson,
        detail: 'The request body is not valid UTF-8',
      };
    case 'entity.parse.failed':
      return {
        status: HttpStatus.BAD_REQUEST,
        code: HttpProblemCode.MalformedJson,
        detail: `The request body is not valid JSON: ${err.message}`,
      };
    case 'encoding.invalid':
      return {
        status: HttpStatus.BAD_REQUEST,
        code: HttpProblemCode.MalformedRequest,
        detail: 'The request body does not decode as its Content-Encoding says',
      };
    case 'request.aborted':
      return {
        status: HttpStatus.BAD_REQUEST,
        code: HttpProblemCode.MalformedRequest,
        detail: 'The request body ended before it was complete',
      };
    case 'request.size.invalid':
      return {
        status: HttpStatus.BAD_REQUEST,
        code: HttpProblemCode.MalformedRequest,
        detail: 'The request body does not have the length its Content-Length header says',
      };
    case 'stream.encoding.set':
    case 'stream.not.readable':
      return {
        status: HttpStatus.INTERNAL_SERVER_ERROR,
        code: FedopsErrorCode.Internal,
        detail: 'Internal error',
      };
    default:
      return assertUnreachable(err.type, 'request body error');
  }
}

/** The code of an error Nest or express raised with an HTTP status (no route, malformed path, ...). */
function frameworkCode(status: number): string {
  if (status === 404) return FedopsErrorCode.NotFound;
  if (status === 413) return HttpProblemCode.PayloadTooLarge;
  if (status === 415) return HttpProblemCode.UnsupportedMediaType;
  return status < 500 ? 'HTTP_' + status : FedopsErrorCode.Internal;
}

export function toProblem(exception: unknown, instance?: string): ProblemDetails {
  if (exception instanceof FedopsError) {
    const status = httpStatusOf(exception.code);
    const problem: ProblemDetails = {
      type: problemType(exception.code),
      title: TITLES[status] ?? 'Error',
      status,
      // Internal errors do not leak their message to clients.
      detail:
        status >= 500 && exception.code !== FedopsErrorCode.ProviderFailed
          ? 'Internal error'
          : exception.message,
      code: exception.code,
      ...(instance !== undefined ? { instance } : {}),
      ...(exception.details.fields !== undefined ? { errors: exception.details.fields } : {}),
    };
    return status < 500 ? withExtensions(problem, exception.details.extensions) : problem;
  }
  if (exception instanceof RateLimitedError) {
    return {
      type: problemType(HttpProblemCode.RateLimited),
      title: TITLES[429] ?? 'Too many requests',
      status: HttpStatus.TOO_MANY_REQUESTS,
      detail: exception.message,
      code: HttpProblemCode.RateLimited,
      ...(instance !== undefined ? { instance } : {}),
    };
  }
  if (isRequestBodyError(exception)) {
    const { status, code, detail } = requestBodyProblem(exception);
    return {
      type: problemType(code),
      title: TITLES[status] ?? 'Error',
      status,
      detail,
      code,
      ...(instance !== undefined ? { instance } : {}),
    };
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const response = exception.getResponse();
    const message =
      typeof response === 'object' && response !== null && 'message' in response
        ? String((response as { message: unknown }).message)
        : exception.message;
    const code = frameworkCode(status);
    return {
      type: problemType(code),
      title: TITLES[status] ?? 'Error',
      status,
      detail: message,
      code,
      ...(instance !== undefined ? { instance } : {}),
    };
  }
  return {
    type: problemType(FedopsErrorCode.Internal),
    title: TITLES[500] ?? 'Internal error',
    status: 500,
    detail: 'Internal error',
    code: FedopsErrorCode.Internal,
    ...(instance !== undefined ? { instance } : {}),
  };
}

const STANDARD_MEMBERS = new Set(['type', 'title', 'status', 'detail', 'instance', 'code', 'errors']);

/** The problem with the error's extension members after its own; an extension never replaces a standard member. */
function withExtensions(
  problem: ProblemDetails,
  extensions: Record<string, unknown> | undefined,
): ProblemDetails {
  if (extensions === undefined) return problem;
  const own = Object.entries(extensions).filter(([member]) => !STANDARD_MEMBERS.has(member));
  return { ...problem, ...Object.fromEntries(own) };
}

@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  constructor(private readonly logger: JsonLogger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<Request>();
    const res = http.getResponse<Response>();
    const problem = toProblem(exception, req.originalUrl);
    if (problem.status >= 500) {
      this.logger.emit('error', 'request failed', {
        method: req.method,
        path: req.originalUrl,
        error: describeError(exception),
      });
    }
    if (res.headersSent) return;
    if (problem.status === 401 && !res.hasHeader('WWW-Authenticate'))
      res.setHeader('WWW-Authenticate', 'Bearer realm="fedops"');
    res.status(problem.status).type('application/problem+json').send(JSON.stringify(problem));
  }
}
