import { Inject, Injectable } from '@nestjs/common';
import { ClientProxy } from '@nestjs/microservices';
import {
  TimeoutError,
  defer,
  firstValueFrom,
  merge,
  mergeMap,
  retry,
  take,
  throwError,
  timeout,
  timer,
} from 'rxjs';
import {
  BACKUP_SNAPSHOTS_GET_SUBJECT,
  BACKUP_SNAPSHOTS_LIST_SUBJECT,
  CONFIGURATION_PREVIEW_SUBJECT,
  FLEET_MACHINES_LIST_SUBJECT,
  MACHINES_RECONCILIATION_SUBJECT,
  PLACEMENT_CHOOSE_SUBJECT,
  PROVIDERS_GET_SUBJECT,
  PROVIDERS_LIST_SUBJECT,
} from '@fedops/contracts';
import { FedopsError, FedopsErrorCode, describeError, type FieldError } from '@fedops/domain';

/** The NATS client tenant-api asks the provisioner (and the deployer: DeployerRpc) through (request/reply). */
export const PROVISIONER_RPC = Symbol('PROVISIONER_RPC');

/** How long a quick question (a list, a read, a removal) may take. */
export const RPC_TIMEOUT_MS = 5_000;
/** Placement asks every provider for its capacity, each within 10 s, in parallel. */
export const PLACEMENT_TIMEOUT_MS = 15_000;
/** A connection test (registration, test) may take the provisioner 30 s, then it stores the outcome. */
export const CONNECTION_TEST_TIMEOUT_MS = 40_000;
/** Cleaning up orphans confirms and deletes each at its provider: the provisioner allows itself 120 s. */
export const CLEANUP_TIMEOUT_MS = 130_000;

const ERROR_CODES = new Set<string>(Object.values(FedopsErrorCode));

/**
 * Questions that change nothing, sent again while no answer has come: core NATS is at-most-once, and a
 * request published in the moment after a NATS restart, when tenant-api has reconnected and the
 * provisioner not yet, is lost. Earlier sends stay open: whichever answer comes first is taken.
 */
const RESENDABLE_SUBJECTS = new Set([
  FLEET_MACHINES_LIST_SUBJECT,
  MACHINES_RECONCILIATION_SUBJECT,
  PROVIDERS_LIST_SUBJECT,
  PROVIDERS_GET_SUBJECT,
  PLACEMENT_CHOOSE_SUBJECT,
  CONFIGURATION_PREVIEW_SUBJECT,
  BACKUP_SNAPSHOTS_LIST_SUBJECT,
  BACKUP_SNAPSHOTS_GET_SUBJECT,
]);
export const RESEND_AFTER_MS = 3_000;
const RECONNECT_POLL_MS = 250;

/** Nest's NATS client while it reconnects (`client-nats.js`: the connection promise is rejected with this text). */
function isReconnecting(err: unknown): boolean {
  return describeRemote(err).includes('Connection lost. Trying to reconnect');
}

/**
 * Asks another service (`peer`, as errors name it) over NATS request/reply. `call` is for subjects
 * answered with an RpcReply: the value, or the peer's coded error as a FedopsError with the same
 * code, message, fields and extensions, so the problem+json mapping renders it as if tenant-api had
 * raised it. No answer in time, or an answer that is no reply, is a ProviderFailed (502).
 */
export class NatsRpc {
  constructor(
    private readonly client: ClientProxy,
    private readonly peer: string,
  ) {}

  async call<T>(subject: string, payload: unknown, timeoutMs: number = RPC_TIMEOUT_MS): Promise<T> {
    return unwrapRpcReply<T>(await this.send<unknown>(subject, payload, timeoutMs), this.peer);
  }

  /** The answer as it came, for subjects that answer a bare value (the fleet's machine list). */
  async send<R>(subject: string, payload: unknown, timeoutMs: number = RPC_TIMEOUT_MS): Promise<R> {
    const sends = RESENDABLE_SUBJECTS.has(subject) ? Math.max(1, Math.ceil(timeoutMs / RESEND_AFTER_MS)) : 1;
    // While its NATS connection is re-established, Nest's client refuses at once, before publishing:
    // wait for the connection (within the time limit) instead of failing the request.
    const sendOnce = defer(() => this.client.send<R>(subject, payload)).pipe(
      retry({
        delay: (err: unknown) => (isReconnecting(err) ? timer(RECONNECT_POLL_MS) : throwError(() => err)),
      }),
    );
    const attempts = Array.from({ length: sends }, (_, i) =>
      timer(i * RESEND_AFTER_MS).pipe(mergeMap(() => sendOnce)),
    );
    try {
      return await firstValueFrom(merge(...attempts).pipe(take(1), timeout(timeoutMs)));
    } catch (err) {
      throw transportError(err, timeoutMs, this.peer);
    }
  }
}

/** The provisioner's questions: machines, providers, placement. */
@Injectable()
export class ProvisionerRpc extends NatsRpc {
  constructor(@Inject(PROVISIONER_RPC) client: ClientProxy) {
    super(client, 'provisioner');
  }
}

/** The error of a request that got no usable answer: none in time, or Nest's error packet. */
export function transportError(err: unknown, timeoutMs: number, peer = 'provisioner'): FedopsError {
  const what =
    err instanceof TimeoutError
      ? `did not answer within ${formatSeconds(timeoutMs)}`
      : `answered with an error: ${describeRemote(err)}`;
  return new FedopsError(FedopsErrorCode.ProviderFailed, `The ${peer} ${what}`, { cause: err });
}

/** The value of a reply, or its error as a FedopsError (a malformed reply is a ProviderFailed). */
export function unwrapRpcReply<T>(reply: unknown, peer = 'provisioner'): T {
  if (!isRecord(reply) || typeof reply['ok'] !== 'boolean') {
    throw new FedopsError(
      FedopsErrorCode.ProviderFailed,
      `The ${peer} answered with something that is not a reply`,
    );
  }
  if (reply['ok']) return reply['value'] as T;
  const error = reply['error'];
  if (!isRecord(error) || typeof error['code'] !== 'string' || typeof error['message'] !== 'string') {
    throw new FedopsError(
      FedopsErrorCode.ProviderFailed,
      `The ${peer} answered with an error that has no code`,
    );
  }
  const { code, message } = error;
  if (!ERROR_CODES.has(code)) {
    throw new FedopsError(
      FedopsErrorCode.ProviderFailed,
      `The ${peer} answered with error ${code}: ${message}`,
    );
  }
  const fields = fieldErrorsOf(error['fields']);
  const extensions = isRecord(error['extensions']) ? error['extensions'] : undefined;
  throw new FedopsError(code as FedopsErrorCode, message, {
    ...(fields !== undefined ? { fields } : {}),
    ...(extensions !== undefined ? { extensions } : {}),
  });
}

/** A reply's `fields`, kept only when each names a field and says what is wrong with it. */
function fieldErrorsOf(value: unknown): FieldError[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const fields = value.filter(
    (f): f is FieldError => isRecord(f) && typeof f['field'] === 'string' && typeof f['message'] === 'string',
  );
  return fields.map((f) => ({ field: f.field, message: f.message }));
}

/** Nest's error packet (`{ status: 'error', message }`) or any thrown value, in words. */
function describeRemote(err: unknown): string {
  if (isRecord(err) && typeof err['message'] === 'string') return err['message'];
  return describeError(err);
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
