import { ApplicationFailure } from '@temporalio/common';
import { FedopsError, FedopsErrorCode, assertUnreachable } from '@fedops/domain';

/** Whether retrying an activity that failed with this code can help. */
export function isRetryable(code: FedopsErrorCode): boolean {
  switch (code) {
    case FedopsErrorCode.ProviderFailed:
    case FedopsErrorCode.HealthCheckFailed:
    case FedopsErrorCode.Internal:
      return true;
    case FedopsErrorCode.ValidationFailed:
    case FedopsErrorCode.NotFound:
    case FedopsErrorCode.Conflict:
    case FedopsErrorCode.Unauthenticated:
    case FedopsErrorCode.Forbidden:
    case FedopsErrorCode.IdempotencyKeyReused:
    case FedopsErrorCode.ConfigurationInvalid:
    case FedopsErrorCode.QuotaExceeded:
    case FedopsErrorCode.PreconditionFailed:
    case FedopsErrorCode.PreconditionRequired:
    case FedopsErrorCode.InvalidReference:
    case FedopsErrorCode.Gone:
      return false;
    default:
      return assertUnreachable(code, 'error code');
  }
}

/**
 * The Temporal transport's mapping of domain errors: a FedopsError becomes an ApplicationFailure whose
 * type is its code, non-retryable when the code (or the error's own `retryable: false`) says so.
 * Anything else passes through and is retried by the workflow's policy.
 */
export function toActivityFailure(err: unknown): unknown {
  if (!(err instanceof FedopsError)) return err;
  const own = (err as { retryable?: unknown }).retryable;
  const retryable = typeof own === 'boolean' ? own && isRetryable(err.code) : isRetryable(err.code);
  return ApplicationFailure.create({
    message: err.message,
    type: err.code,
    nonRetryable: !retryable,
    cause: err,
    details: err.details.fields !== undefined ? [err.details.fields] : [],
  });
}
