import type { RpcReply } from '@fedops/contracts';
import { FedopsError, FedopsErrorCode, describeError } from '@fedops/domain';
import type { ContextLogger } from '../logging/json-logger';

/**
 * The NATS request/reply transport's mapping of errors, for every service that answers requests: a
 * FedopsError travels as its code, message, fields and extensions (the asker turns it into its own
 * error); anything else is logged here and answered as an internal error without its detail.
 */
export async function rpcReply<T>(
  service: string,
  log: ContextLogger,
  what: string,
  task: () => Promise<T>,
): Promise<RpcReply<T>> {
  try {
    return { ok: true, value: await task() };
  } catch (err) {
    if (err instanceof FedopsError) {
      return {
        ok: false,
        error: {
          code: err.code,
          message: err.message,
          ...(err.details.fields !== undefined ? { fields: err.details.fields } : {}),
          ...(err.details.extensions !== undefined ? { extensions: err.details.extensions } : {}),
        },
      };
    }
    log.error(`${what} failed`, { error: describeError(err) });
    return {
      ok: false,
      error: { code: FedopsErrorCode.Internal, message: `The ${service} could not ${what}` },
    };
  }
}
