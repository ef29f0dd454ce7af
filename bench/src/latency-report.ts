/**
 * The api benchmark's arithmetic: latency percentiles of each endpoint at each request rate (all
 * rounds of that endpoint and rate pooled), the ratio of its p50 and p99 to the bare NestJS endpoint's
 * at the same rate, whether the p99 goal is met, and the table. Pure, so it is unit tested.
 */
import { percentile } from './stats';

/** tenant-api's p99 may be at most this many times the bare endpoint's at the same rate. */
export const P99_RATIO_GOAL = 1.5;

export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentiles (a latency that really happened), ms. */
export function summarizeLatency(samples: readonly number[]): LatencySummary | undefined {
  if (samples.length === 0) return undefined;
  let max = -Infinity;
  let sum = 0;
  for (const x of samples) {
    if (x > max) max = x;
    sum += x;
  }
  return {
    count: samples.length,
    p50: percentile(samples, 0.5),
    p90: percentile(samples, 0.9),
    p99: percentile(samples, 0.99),
    max,
    mean: sum / samples.length,
  };
}

/** One measured round: one endpoint at one rate for the window's duration. */
export interface RoundSample {
  scenario: string;
  ratePerSecond: number;
  repeat: number;
  sent: number;
  ok: number;
  errors: Record<string, number>;
  latenciesMs: number[];
  achievedPerSecond: number;
  /** CPU time each process used during the window (ms), by name (`tenant-api`, `postgres`, ...). */
  cpuMs: Record<string, number>;
}

export type GoalVerdict = 'met' | 'missed' | 'errors';

/** Met when the p99 ratio is within the goal and no request failed; a failed request misses it. */
export function evaluateGoal(p99Ratio: number, errorCount: number, goal = P99_RATIO_GOAL): GoalVerdict {
  if (!(goal > 0)) throw new Error(`goal must be positive, got ${goal}`);
  if (errorCount > 0) return 'errors';
  return p99Ratio <= goal ? 'met' : 'missed';
}

/** `value / baseline`; the baseline must be positive. */
export function latencyRatio(value: number, baseline: number): number {
  if (!(baseline > 0)) throw new Error(`baseline latency must be positive, got ${baseline}`);
  return value / baseline;
}

export interface EndpointAtRate {
  scenario: string;
  ratePerSecond: number;
  rounds: number;
  sent: number;
  ok: number;
  errorCount: number;
  errors: Record<string, number>;
  /** Mean of the rounds' achieved throughput (ok per second). */
  achievedPerSecond: number;
  latency?: LatencySummary;
  /** p50 and p99 divided by the baseline's at the same rate. */
  ratio?: { p50: number; p99: number };
  /** Only for the endpoints the goal is about. */
  goal?: GoalVerdict;
  /** CPU ms per answered request, by process. */
  cpuMsPerRequest: Record<string, number>;
}

export interface PoolOptions {
  /** The scenario every other is divided by. */
  baseline: string;
  /** The scenarios the p99 goal applies to. */
  goalScenarios: readonly string[];
  goal?: number;
}

/**
 * Pools the rounds of each scenario at each rate (in the order first seen) and compares each with
 * the baseline scenario at the same rate.
 */
export function poolRounds(rounds: readonly RoundSample[], options: PoolOptions): EndpointAtRate[] {
  const groups = new Map<string, RoundSample[]>();
  for (const r of rounds) {
    const key = `${r.ratePerSecond}\u0000${r.scenario}`;
    const group = groups.get(key);
    if (group) group.push(r);
    else groups.set(key, [r]);
  }
  const pooled = [...groups.values()].map((group): EndpointAtRate => {
    const first = group[0]!;
    const errors: Record<string, number> = {};
    const cpuMs: Record<string, number> = {};
    for (const r of group) {
      for (const [k, n] of Object.entries(r.errors)) errors[k] = (errors[k] ?? 0) + n;
      for (const [k, ms] of Object.entries(r.cpuMs)) cpuMs[k] = (cpuMs[k] ?? 0) + ms;
    }
    const ok = sum(group.map((r) => r.ok));
    const latency = summarizeLatency(group.flatMap((r) => r.latenciesMs));
    return {
      scenario: first.scenario,
      ratePerSecond: first.ratePerSecond,
      rounds: group.length,
      sent: sum(group.map((r) => r.sent)),
      ok,
      errorCount: sum(Object.values(errors)),
      errors,
      achievedPerSecond: sum(group.map((r) => r.achievedPerSecond)) / group.length,
      ...(latency ? { latency } : {}),
      cpuMsPerRequest: Object.fromEntries(Object.entries(cpuMs).map(([k, ms]) => [k, ok > 0 ? ms / ok : 0])),
    };
  });
  for (const row of pooled) {
    const base = pooled.find(
      (b) => b.scenario === options.baseline && b.ratePerSecond === row.ratePerSecond,
    )?.latency;
    if (base === undefined || row.latency === undefined) continue;
    row.ratio = {
      p50: latencyRatio(row.latency.p50, base.p50),
      p99: latencyRatio(row.latency.p99, base.p99),
    };
    if (options.goalScenarios.includes(row.scenario))
      row.goal = evaluateGoal(row.ratio.p99, row.errorCount, options.goal);
  }
  return pooled;
}

/** Met when every goal row is met; `undefined` when no row was measured against the goal. */
export function overallGoal(rows: readonly EndpointAtRate[]): GoalVerdict | undefined {
  const verdicts = rows.flatMap((r) => (r.goal === undefined ? [] : [r.goal]));
  if (verdicts.length === 0) return undefined;
  if (verdicts.includes('errors')) return 'errors';
  return verdicts.every((v) => v === 'met') ? 'met' : 'missed';
}

const COLUMNS = [
  'rate/s',
  'endpoint',
  'ok/sent',
  'errors',
  'got/s',
  'p50 ms',
  'p99 ms',
  'max ms',
  'p50 x',
  'p99 x',
  'goal',
  'server cpu/req',
  'pg cpu/req',
] as const;

/**
 * A fixed-width table, one line per endpoint and rate. `server cpu/req` is the CPU time of the
 * process that answered (tenant-api or the bare app), `pg cpu/req` that of PostgreSQL, per request (ms).
 */
export function renderLatencyTable(
  rows: readonly EndpointAtRate[],
  serverOf: (scenario: string) => string,
): string {
  const ms = (x: number | undefined, digits = 2): string => (x === undefined ? '-' : x.toFixed(digits));
  const times = (x: number | undefined): string => (x === undefined ? '-' : `${x.toFixed(2)}x`);
  const body = rows.map((r) => [
    String(r.ratePerSecond),
    r.scenario,
    `${r.ok}/${r.sent}`,
    String(r.errorCount),
    r.achievedPerSecond.toFixed(0),
    ms(r.latency?.p50),
    ms(r.latency?.p99),
    ms(r.latency?.max, 1),
    times(r.ratio?.p50),
    times(r.ratio?.p99),
    r.goal ?? '',
    ms(r.cpuMsPerRequest[serverOf(r.scenario)], 3),
    ms(r.cpuMsPerRequest['postgres'], 3),
  ]);
  const widths = COLUMNS.map((c, i) => Math.max(c.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (i === 1 || i === 10 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(COLUMNS), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

/** Request rates from the command line (`api` itself is taken off by scripts/bench.sh), else the defaults. */
export function parseRates(args: readonly string[], defaults: readonly number[]): number[] {
  const rates = args
    .filter((a) => a !== '--')
    .map((a) => {
      if (!/^\d+$/.test(a)) throw new Error(`request rate must be a positive integer, got "${a}"`);
      const n = Number(a);
      if (n < 1 || n > 5000) throw new Error(`request rate must be within 1..5000 per second, got ${n}`);
      return n;
    });
  return rates.length > 0 ? rates : [...defaults];
}

function sum(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}
