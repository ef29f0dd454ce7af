import { criticalPath, DEPLOY_STEP_DEPENDENCIES } from './critical-path';
import { overhead, summarize, type Overhead, type Summary } from './stats';
import { DEPLOY_STEP_NAMES, type TenantOutcome } from './tenant-round';

export interface RoundResult {
  tenants: number;
  ready: number;
  failed: number;
  errors: number;
  /** Wall time from the first POST to the last tenant ready (ms). */
  roundMs: number;
  timeToReady?: Summary;
  baseline?: Summary;
  overhead?: Overhead;
  /** p50 of each deployTenant step, and of what lies outside their critical path (API, workflow start, status, polling). */
  stepsP50: Partial<Record<string, number>>;
  /** tenant-api requests per second the benchmark's own polling caused during the round. */
  pollRequestsPerSecond: number;
  outcomes: TenantOutcome[];
  baselineSamplesMs: number[];
  deletion: { allDeleted: boolean; ms: number; errors: string[] };
}

export function summarizeRound(
  outcomes: TenantOutcome[],
  baselineSamplesMs: number[],
  extra: { roundMs: number; requests: number; deletion: RoundResult['deletion'] },
): RoundResult {
  const ready = outcomes.filter((o) => o.outcome === 'ready');
  const timeToReady = summarize(
    ready.flatMap((o) => (o.timeToReadyMs === undefined ? [] : [o.timeToReadyMs])),
  );
  const baseline = summarize(baselineSamplesMs);
  const stepsP50: Partial<Record<string, number>> = {};
  for (const step of DEPLOY_STEP_NAMES) {
    const s = summarize(ready.flatMap((o) => (o.stepsMs[step] === undefined ? [] : [o.stepsMs[step]])));
    if (s) stepsP50[step] = s.p50;
  }
  // Backup runs alongside provision -> dns -> deploy: what lies outside the steps is time-to-ready
  // minus their critical path, not minus their sum.
  const other = summarize(
    ready.flatMap((o) => {
      if (o.timeToReadyMs === undefined || DEPLOY_STEP_NAMES.some((s) => o.stepsMs[s] === undefined))
        return [];
      return [o.timeToReadyMs - criticalPath(o.stepsMs, DEPLOY_STEP_DEPENDENCIES).ms];
    }),
  );
  if (other) stepsP50['other'] = other.p50;
  return {
    tenants: outcomes.length,
    ready: ready.length,
    failed: outcomes.filter((o) => o.outcome === 'failed').length,
    errors: outcomes.filter((o) => o.outcome === 'error').length,
    roundMs: extra.roundMs,
    ...(timeToReady ? { timeToReady } : {}),
    ...(baseline ? { baseline } : {}),
    ...(timeToReady && baseline ? { overhead: overhead(timeToReady.p50, baseline.p50) } : {}),
    stepsP50,
    pollRequestsPerSecond: extra.roundMs > 0 ? extra.requests / (extra.roundMs / 1000) : 0,
    outcomes,
    baselineSamplesMs,
    deletion: extra.deletion,
  };
}

const COLUMNS = [
  'N',
  'ready',
  'ttr p50',
  'ttr p95',
  'base p50',
  'base p95',
  'ratio',
  'fedops share',
  'provision',
  'dns',
  'deploy',
  'backup',
  'other',
] as const;

/** A fixed-width table, one line per round; times in ms, steps as p50. */
export function renderTable(rounds: readonly RoundResult[]): string {
  const ms = (x: number | undefined): string => (x === undefined ? '-' : String(Math.round(x)));
  const rows = rounds.map((r) => [
    String(r.tenants),
    `${r.ready}/${r.tenants}`,
    ms(r.timeToReady?.p50),
    ms(r.timeToReady?.p95),
    ms(r.baseline?.p50),
    ms(r.baseline?.p95),
    r.overhead ? `${r.overhead.ratio.toFixed(1)}x` : '-',
    r.overhead ? `${(r.overhead.fedopsShare * 100).toFixed(1)}%` : '-',
    ms(r.stepsP50['provision']),
    ms(r.stepsP50['dns']),
    ms(r.stepsP50['deploy']),
    ms(r.stepsP50['backup']),
    ms(r.stepsP50['other']),
  ]);
  const widths = COLUMNS.map((c, i) => Math.max(c.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => c.padStart(widths[i]!)).join('  ');
  return [line(COLUMNS), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
