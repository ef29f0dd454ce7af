/** Summary statistics of a sample of durations (milliseconds). Pure, so it is unit tested. */
export interface Summary {
  count: number;
  p50: number;
  p95: number;
  min: number;
  max: number;
  mean: number;
}

/**
 * The q-quantile (0..1) by the nearest-rank method: the smallest sample with at least q of the
 * samples at or below it. No interpolation, so a reported p95 is a time that really happened.
 */
export function percentile(samples: readonly number[], q: number): number {
  if (samples.length === 0) throw new Error('percentile of an empty sample');
  if (!(q >= 0 && q <= 1)) throw new Error(`quantile must be within 0..1, got ${q}`);
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[rank - 1]!;
}

export function summarize(samples: readonly number[]): Summary | undefined {
  if (samples.length === 0) return undefined;
  return {
    count: samples.length,
    p50: percentile(samples, 0.5),
    p95: percentile(samples, 0.95),
    min: Math.min(...samples),
    max: Math.max(...samples),
    mean: samples.reduce((sum, x) => sum + x, 0) / samples.length,
  };
}

export interface Overhead {
  /** time-to-ready p50 / baseline p50: how many times a bare Temporal workflow of the same shape. */
  ratio: number;
  /** time-to-ready p50 - baseline p50 (ms): what fedops itself adds on top of Temporal's orchestration. */
  fedopsMs: number;
  /** fedopsMs / time-to-ready p50: the share of time-to-ready that is not Temporal's orchestration. */
  fedopsShare: number;
}

export function overhead(timeToReadyP50: number, baselineP50: number): Overhead {
  if (!(baselineP50 > 0)) throw new Error(`baseline p50 must be positive, got ${baselineP50}`);
  const fedopsMs = timeToReadyP50 - baselineP50;
  return {
    ratio: timeToReadyP50 / baselineP50,
    fedopsMs,
    fedopsShare: timeToReadyP50 > 0 ? fedopsMs / timeToReadyP50 : 0,
  };
}

/** Milliseconds between two ISO timestamps, or undefined when one is missing or unparsable. */
export function spanMs(startedAt: string | undefined, finishedAt: string | undefined): number | undefined {
  if (startedAt === undefined || finishedAt === undefined) return undefined;
  const ms = Date.parse(finishedAt) - Date.parse(startedAt);
  return Number.isFinite(ms) ? ms : undefined;
}

/** Parses the tenant counts of the command line ("1 10 50"); defaults when none are given. */
export function parseCounts(args: readonly string[], defaults: readonly number[]): number[] {
  const counts = args
    .filter((a) => a !== '--')
    .map((a) => {
      if (!/^\d+$/.test(a)) throw new Error(`tenant count must be a positive integer, got "${a}"`);
      const n = Number(a);
      if (n < 1 || n > 200) throw new Error(`tenant count must be within 1..200, got ${n}`);
      return n;
    });
  return counts.length > 0 ? counts : [...defaults];
}
