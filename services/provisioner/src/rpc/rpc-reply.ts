import type { RpcReply } from '@fedops/contracts';
import { FedopsError, FedopsErrorCode, describeError } from '@fedops/domain';
import type { ContextLogger } from '@fedops/service-kit';

/**
 * The NATS request/reply transport's mapping of errors: a FedopsError travels as its code, message,
 * fields and extensions (the asker turns it into its own error); anything else is logged here and
 * answered as an internal error without its detail.
 */
export async function rpcReply<T>(
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
      error: { code: FedopsErrorCode.Internal, message: `The provisioner could not ${what}` },
    };
  }
}
