import { randomBytes } from 'node:crypto';
import { BadBodyError, type SimMiddleware, type SimRequest, type SimResponse } from '../common/http-router';
import type { FaultBook } from '../common/faults';
import { errorBody, errorResponse, HetznerApiError } from './hetzner-errors';
import { type RateLimitOptions, type RateLimitState, TokenBucket } from './rate-limit';

/**
 * What every Hetzner answer carries and what is checked before any handler: the Bearer token (401
 * `unauthorized`), the Project's rate limit (429 `rate_limit_exceeded`), `X-Correlation-Id` and the
 * `RateLimit-*` headers, and the injected faults rendered the Hetzner way. The `/_simulator/` control
 * routes are outside all of it.
 */
interface RequestContext {
  correlationId: string;
  rate: RateLimitState;
}

const CONTROL_PREFIX = '/_simulator/';

export class HetznerHttp {
  private readonly contexts = new WeakMap<SimRequest, RequestContext>();
  private readonly project: TokenBucket;
  /** Requests without a valid token are counted apart from the Project's. */
  private readonly anonymous: TokenBucket;

  constructor(
    private readonly token: string,
    private readonly faults: FaultBook,
    rateLimit: RateLimitOptions = {},
  ) {
    this.project = new TokenBucket(rateLimit);
    this.anonymous = new TokenBucket(rateLimit);
  }

  /** Auth and rate limit: answers 401 or 429 itself, else lets the request through. */
  readonly gate: SimMiddleware = (req) => {
    if (req.path.startsWith(CONTROL_PREFIX)) return undefined;
    const header = req.headers['authorization'];
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    const valid = match !== null && match[1] === this.token;
    const rate = (valid ? this.project : this.anonymous).take();
    this.contexts.set(req, { correlationId: correlationId(), rate });
    if (!valid) {
      return this.decorate(
        req,
        errorResponse(new HetznerApiError(401, 'unauthorized', 'unable to authenticate')),
      );
    }
    if (!rate.allowed) {
      return this.decorate(
        req,
        errorResponse(
          new HetznerApiError(429, 'rate_limit_exceeded', `limit of ${rate.limit} requests per hour reached`),
        ),
      );
    }
    return undefined;
  };

  /** The faults that answer instead of the API (5xx, 429, 423) or lose its answer. */
  readonly faultGate: SimMiddleware = (req) => {
    if (req.path.startsWith(CONTROL_PREFIX)) return undefined;
    const fault = this.faults.take(req.method, req.path, [
      'server-error',
      'rate-limit',
      'lock',
      'lost-response',
    ]);
    if (fault === undefined) return undefined;
    switch (fault.kind) {
      case 'lost-response':
        return 'lose';
      case 'lock':
        return this.decorate(req, {
          status: 423,
          body: errorBody('locked', 'the resource is locked because another action is running'),
        });
      case 'rate-limit': {
        const context = this.context(req);
        // Remaining 0 and a reset in the future, as the API says when the Project is out of requests.
        context.rate = {
          ...context.rate,
          allowed: false,
          remaining: 0,
          resetAt: Math.ceil(Date.now() / 1000) + 10,
        };
        return this.decorate(req, {
          status: 429,
          body: errorBody('rate_limit_exceeded', `limit of ${context.rate.limit} requests per hour reached`),
        });
      }
      case 'task-error':
      case 'slow-task':
        // Taken only by the handlers that start actions.
        return undefined;
      case 'server-error': {
        const status = fault.status ?? 500;
        return this.decorate(req, { status, body: errorBody(...serverErrorOf(status)) });
      }
    }
  };

  /** Adds the headers every answer carries. */
  decorate(req: SimRequest, answer: SimResponse): SimResponse {
    if (req.path.startsWith(CONTROL_PREFIX)) return answer;
    const context = this.context(req);
    return {
      ...answer,
      headers: {
        ...TokenBucket.headers(context.rate),
        'x-correlation-id': context.correlationId,
        ...(answer.headers ?? {}),
      },
    };
  }

  notFound = (req: SimRequest): SimResponse =>
    this.decorate(req, { status: 404, body: errorBody('not_found', 'the requested resource was not found') });

  internalError = (req: SimRequest, err: unknown): SimResponse => {
    if (err instanceof HetznerApiError) return this.decorate(req, errorResponse(err));
    if (err instanceof BadBodyError) {
      return this.decorate(req, {
        status: 400,
        body: errorBody('json_error', `invalid JSON: ${err.message}`),
      });
    }
    return this.decorate(req, { status: 500, body: errorBody('server_error', 'internal server error') });
  };

  private context(req: SimRequest): RequestContext {
    let context = this.contexts.get(req);
    if (context === undefined) {
      context = { correlationId: correlationId(), rate: this.project.peek() };
      this.contexts.set(req, context);
    }
    return context;
  }
}

function correlationId(): string {
  return randomBytes(8).toString('hex');
}

/** The code and message the API sends with a 5xx status. */
export function serverErrorOf(status: number): [string, string] {
  switch (status) {
    case 502:
      return ['bad_gateway', 'the request could not be answered by the API backend, please retry'];
    case 503:
      return ['unavailable', 'the service is unavailable, please retry later'];
    case 504:
      return ['timeout', 'the request could not be answered in time, please retry'];
    default:
      return ['server_error', 'an error occurred within the API backend'];
  }
}
