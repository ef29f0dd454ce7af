/**
 * When to restart a component that exited, and when to stop trying. Pure: the supervisor feeds it
 * the clock and what happened.
 */
export interface RestartPolicy {
  /** Delay before the first restart. */
  readonly initialDelayMs: number;
  /** Each further consecutive restart waits this many times longer ... */
  readonly multiplier: number;
  /** ... up to this. */
  readonly maxDelayMs: number;
  /** A component that stayed up this long counts as healthy again: the delay starts over. */
  readonly stableAfterMs: number;
  /** Give up when a component needed this many restarts ... */
  readonly maxRestarts: number;
  /** ... within this window. */
  readonly windowMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  initialDelayMs: 500,
  multiplier: 2,
  maxDelayMs: 30_000,
  stableAfterMs: 60_000,
  maxRestarts: 5,
  windowMs: 5 * 60_000,
};

export interface RestartHistory {
  /** When each restart within the window was scheduled (oldest first). */
  readonly recent: readonly number[];
  /** Restarts since the component last stayed up `stableAfterMs`. */
  readonly consecutive: number;
}

export const NO_RESTARTS: RestartHistory = { recent: [], consecutive: 0 };

export type RestartDecision =
  | { readonly kind: 'restart'; readonly delayMs: number; readonly history: RestartHistory }
  | { readonly kind: 'give-up'; readonly reason: string };

/**
 * After an exit (or a failed start, `upMs` = 0): restart after an exponential, capped delay that
 * starts over once the component had stayed up a while, unless it already needed `maxRestarts`
 * restarts within `windowMs`.
 */
export function decideRestart(
  policy: RestartPolicy,
  history: RestartHistory,
  now: number,
  upMs: number,
): RestartDecision {
  const recent = history.recent.filter((at) => at > now - policy.windowMs);
  if (recent.length >= policy.maxRestarts) {
    return {
      kind: 'give-up',
      reason: `it needed ${recent.length} restarts within ${formatDuration(policy.windowMs)} and exited again`,
    };
  }
  const consecutive = upMs >= policy.stableAfterMs ? 0 : history.consecutive;
  const delayMs = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.multiplier ** consecutive);
  return { kind: 'restart', delayMs, history: { recent: [...recent, now], consecutive: consecutive + 1 } };
}

/** `750 ms`, `12 s`, `3 min 5 s`, `2 h 1 min`. */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  const seconds = Math.floor(ms / 1_000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return seconds % 60 === 0 ? `${minutes} min` : `${minutes} min ${seconds % 60} s`;
  const hours = Math.floor(minutes / 60);
  return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`;
}
