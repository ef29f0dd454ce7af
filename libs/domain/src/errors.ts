/**
 * Coded errors shared by every bounded context. Each transport maps codes exhaustively
 * (HTTP problem+json, Temporal failure type), so a new code without a mapping fails the type check.
 */
export enum FedopsErrorCode {
  ValidationFailed = 'VALIDATION_FAILED',
  NotFound = 'NOT_FOUND',
  Conflict = 'CONFLICT',
  Unauthenticated = 'UNAUTHENTICATED',
  Forbidden = 'FORBIDDEN',
  IdempotencyKeyReused = 'IDEMPOTENCY_KEY_REUSED',
  ProviderFailed = 'PROVIDER_FAILED',
  ConfigurationInvalid = 'CONFIGURATION_INVALID',
  HealthCheckFailed = 'HEALTH_CHECK_FAILED',
  /** An organisation quota would be exceeded; `extensions` say which limit and by how much. */
  QuotaExceeded = 'QUOTA_EXCEEDED',
  /** A conditional request (If-Match) named a version that is no longer current. */
  PreconditionFailed = 'PRECONDITION_FAILED',
  /** A change that must be conditional (If-Match) came without its condition. */
  PreconditionRequired = 'PRECONDITION_REQUIRED',
  /** The request names a resource that does not exist (e.g. the organisation of a new tenant). */
  InvalidReference = 'INVALID_REFERENCE',
  /** What was asked for existed and is no more to be had: a secret that is shown once was shown. */
  Gone = 'GONE',
  Internal = 'INTERNAL',
}

/** One bad field of an input, named by its path (e.g. `apps[0].options.singleUserMode`). */
export interface FieldError {
  field: string;
  message: string;
}

export class FedopsError extends Error {
  constructor(
    readonly code: FedopsErrorCode,
    message: string,
    /**
     * `fields`: every bad field of an input. `extensions`: facts a client can act on, sent as RFC 9457
     * extension members of the HTTP problem (e.g. a quota's limit and usage); never secrets.
     */
    readonly details: { fields?: FieldError[]; cause?: unknown; extensions?: Record<string, unknown> } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'FedopsError';
  }

  static validation(fields: FieldError[]): FedopsError {
    const summary = fields.map((f) => `${f.field}: ${f.message}`).join('; ');
    return new FedopsError(FedopsErrorCode.ValidationFailed, `Invalid input: ${summary}`, { fields });
  }
}

/** Place at the end of an exhaustive switch: compiling fails when a case is missing. */
export function assertUnreachable(value: never, what = 'value'): never {
  throw new Error(`Unhandled ${what}: ${JSON.stringify(value)}`);
}

/** Text of any thrown value, with its causes, for logs and failure messages. */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const cause = err.cause === undefined ? '' : ` (cause: ${describeError(err.cause)})`;
    return `${err.message}${cause}`;
  }
  return String(err);
}
