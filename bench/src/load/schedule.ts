/**
 * The open-model schedule of the load generator: request i is due i / rate seconds after the start,
 * whether or not the earlier ones have been answered, and its latency counts from that instant. A
 * server that stalls cannot slow the generator down and so hide its own delay (no coordinated
 * omission, as in a closed loop of N clients that each wait for their answer). Pure, unit tested.
 */

function checkRate(ratePerSecond: number): void {
  if (!(Number.isFinite(ratePerSecond) && ratePerSecond > 0))
    throw new Error(`request rate must be a positive number, got ${ratePerSecond}`);
}

/** Milliseconds after the start at which request `index` is due. */
export function intendedSendMs(index: number, ratePerSecond: number): number {
  checkRate(ratePerSecond);
  if (!(Number.isInteger(index) && index >= 0))
    throw new Error(`request index must be a non-negative integer, got ${index}`);
  return (index * 1000) / ratePerSecond;
}

/** The index of the first request due at or after `ms` (the first one a window starting there holds). */
export function firstIndexAtOrAfter(ms: number, ratePerSecond: number): number {
  checkRate(ratePerSecond);
  if (!(ms >= 0)) throw new Error(`time must be non-negative, got ${ms}`);
  // Rounded first, so 10 ms at 300/s is index 3 exactly, not 3.0000000000000004 -> 4.
  return Math.ceil(Number(((ms * ratePerSecond) / 1000).toFixed(9)));
}

/** How many requests a schedule of `durationMs` holds: those due before its end. */
export function requestCount(ratePerSecond: number, durationMs: number): number {
  return firstIndexAtOrAfter(durationMs, ratePerSecond);
}

/** How many of the `total` requests are due `elapsedMs` after the start (sent or to be sent now). */
export function dueCount(elapsedMs: number, ratePerSecond: number, total: number): number {
  if (elapsedMs < 0) return 0;
  checkRate(ratePerSecond);
  return Math.min(total, Math.floor(Number(((elapsedMs * ratePerSecond) / 1000).toFixed(9))) + 1);
}
