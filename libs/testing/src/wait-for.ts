/**
 * Poll a condition until it yields a value, with a deadline. Use this instead of fixed sleeps.
 *
 * The condition "holds" when it returns (or resolves to) anything other than `undefined`, `null` or
 * `false`; that value is returned. A condition that throws counts as "not yet": the last error is
 * reported (and attached as `cause`) if the deadline passes.
 */
export type WaitCondition<T> = () => T | undefined | null | false | Promise<T | undefined | null | false>;

export interface WaitForOptions {
  /** What is awaited, for the error message: "PostgreSQL to accept connections". */
  readonly description: string;
  /** Deadline for the whole wait. Default 10 000 ms. */
  readonly timeoutMs?: number;
  /** Pause between attempts. Default 100 ms. */
  readonly intervalMs?: number;
  /** Stop waiting early (e.g. the awaited process exited); the reason is part of the error. */
  readonly signal?: AbortSignal;
}

export class WaitForTimeoutError extends Error {
  override readonly name = 'WaitForTimeoutError';
  constructor(
    message: string,
    readonly attempts: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export class WaitForAbortedError extends Error {
  override readonly name = 'WaitForAbortedError';
}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_INTERVAL_MS = 100;

export async function waitFor<T>(condition: WaitCondition<T>, options: WaitForOptions): Promise<T> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const intervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS;
  const deadline = Date.now() + timeoutMs;
  let attempts = 0;
  let lastError: unknown;

  for (;;) {
    throwIfAborted(options, lastError);
    attempts += 1;
    const remaining = deadline - Date.now();
    const outcome = await attemptWithin(condition, Math.max(remaining, 1));
    if (outcome.kind === 'value') {
      if (outcome.value !== undefined && outcome.value !== null && outcome.value !== false) {
        return outcome.value;
      }
      lastError = undefined;
    } else if (outcome.kind === 'error') {
      lastError = outcome.error;
    }
    throwIfAborted(options, lastError);
    const left = deadline - Date.now();
    if (left <= 0) {
      const detail = lastError === undefined ? '' : `; last error: ${errorText(lastError)}`;
      throw new WaitForTimeoutError(
        `Timed out after ${timeoutMs} ms waiting for ${options.description} (${attempts} attempts${detail})`,
        attempts,
        { cause: lastError },
      );
    }
    await delay(Math.min(intervalMs, left), options.signal);
  }
}

type Attempt<T> =
  | { kind: 'value'; value: T | undefined | null | false }
  | { kind: 'error'; error: unknown }
  | { kind: 'timeout' };

/** Runs one attempt, giving up on it (not cancelling it) when the overall deadline passes. */
async function attemptWithin<T>(condition: WaitCondition<T>, ms: number): Promise<Attempt<T>> {
  let timer: NodeJS.Timeout | undefined;
  const attempt: Promise<Attempt<T>> = (async () => {
    try {
      return { kind: 'value', value: await condition() } as const;
    } catch (error: unknown) {
      return { kind: 'error', error } as const;
    }
  })();
  const timeout = new Promise<Attempt<T>>((resolve) => {
    timer = setTimeout(() => resolve({ kind: 'timeout' }), ms);
  });
  try {
    return await Promise.race([attempt, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function throwIfAborted(options: WaitForOptions, lastError: unknown): void {
  const signal = options.signal;
  if (signal?.aborted) {
    const reason = signal.reason instanceof Error ? signal.reason.message : String(signal.reason);
    throw new WaitForAbortedError(`Stopped waiting for ${options.description}: ${reason}`, {
      cause: lastError ?? signal.reason,
    });
  }
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
