import { Catch, HttpException, HttpStatus, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import {
  FedopsError,
  FedopsErrorCode,
  assertUnreachable,
  describeError,
  type FieldError,
} from '@fedops/domain';
import type { JsonLogger } from '@fedops/service-kit';

/** RFC 9457 problem details, with `errors` naming every bad field of the request. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  code: string;
  errors?: FieldError[];
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
  413: 'Request too large',
  415: 'Unsupported media type',
  422: 'Unprocessable request',
  500: 'Internal error',
  502: 'Upstream failure',
  503: 'Service unavailable',
};

export function problemType(code: string): string {
  return `https://fedops.dev/problems/${code.toLowerCase().replace(/_/g, '-')}`;
}

export function toProblem(exception: unknown, instance?: string): ProblemDetails {
  if (exception instanceof FedopsError) {
    const status = httpStatusOf(exception.code);
    return {
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
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const response = exception.getResponse();
    const message =
      typeof response === 'object' && response !== null && 'message' in response
        ? String((response as { message: unknown }).message)
        : exception.message;
    const code =
      status === 404 ? FedopsErrorCode.NotFound : status < 500 ? 'HTTP_' + status : FedopsErrorCode.Internal;
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
