import { criticalPath, DEPLOY_STEP_DEPENDENCIES, type CriticalPath, type DeployStep } from './critical-path';
import { percentile } from './stats';
import { DEPLOY_STEP_NAMES, type TenantOutcome } from './tenant-round';

/** Goal of issue 8: time-to-ready at most this many times the critical path of the tenant's steps. */
export const CRITICAL_PATH_RATIO_GOAL = 1.1;

/** Where one ready tenant's time-to-ready went. */
export interface TenantBreakdown {
  timeToReadyMs: number;
  stepsMs: Record<DeployStep, number>;
  /** Each step's duration / time-to-ready. Backup runs alongside the others, so they add up to more than 1. */
  shares: Record<DeployStep, number>;
  criticalPath: CriticalPath<DeployStep>;
  /** Time-to-ready minus the critical path: API, workflow start, progress reports, status update, polling. */
  otherMs: number;
  /**
   * `otherMs` located along the critical path, from the operation's timestamps: before its first step
   * (POST, workflow start), between its steps (the previous step's end report), after its last step
   * (end report, setTenantStatus, the poll seeing it). They add up to `otherMs`.
   */
  otherParts?: { beforeMs: number; betweenMs: number; afterMs: number };
  /** Time-to-ready / critical path. */
  ratio: number;
}

/** The breakdown of a ready tenant, or undefined when it did not become ready or a step has no duration. */
export function breakdown(outcome: TenantOutcome): TenantBreakdown | undefined {
  const ttr = outcome.timeToReadyMs;
  if (outcome.outcome !== 'ready' || ttr === undefined || !(ttr > 0)) return undefined;
  if (DEPLOY_STEP_NAMES.some((s) => outcome.stepsMs[s] === undefined)) return undefined;
  const stepsMs = Object.fromEntries(DEPLOY_STEP_NAMES.map((s) => [s, outcome.stepsMs[s]!])) as Record<
    DeployStep,
    number
  >;
  const path = criticalPath(stepsMs, DEPLOY_STEP_DEPENDENCIES);
  const otherMs = ttr - path.ms;
  const parts = otherAlongPath(outcome, path, otherMs);
  return {
    timeToReadyMs: ttr,
    stepsMs,
    shares: Object.fromEntries(DEPLOY_STEP_NAMES.map((s) => [s, stepsMs[s] / ttr])) as Record<
      DeployStep,
      number
    >,
    criticalPath: path,
    otherMs,
    ...(parts ? { otherParts: parts } : {}),
    ratio: path.ms > 0 ? ttr / path.ms : Number.POSITIVE_INFINITY,
  };
}

function otherAlongPath(
  outcome: TenantOutcome,
  path: CriticalPath<DeployStep>,
  otherMs: number,
): TenantBreakdown['otherParts'] {
  const spans = path.steps.map((name) => {
    const step = outcome.operation?.steps.find((s) => s.name === name);
    return {
      start: Date.parse(step?.startedAt ?? ''),
      end: Date.parse(step?.finishedAt ?? ''),
    };
  });
  const first = spans[0];
  const posted = Date.parse(outcome.postSentAt);
  if (first === undefined || spans.some((s) => !Number.isFinite(s.start) || !Number.isFinite(s.end)))
    return undefined;
  const beforeMs = first.start - posted;
  let betweenMs = 0;
  for (let i = 1; i < spans.length; i++) betweenMs += spans[i]!.start - spans[i - 1]!.end;
  return { beforeMs, betweenMs, afterMs: otherMs - beforeMs - betweenMs };
}

/** One round: the tenant with the whole catalog and, for comparison, one with Mastodon alone. */
export interface AppsRound {
  round: number;
  /** How many apps `all` has (the catalog's size). */
  appCount: number;
  all: TenantOutcome;
  one: TenantOutcome;
  /** Which of the two went first (they alternate, so a drift of the machine falls on both). */
  first: 'all' | 'one';
  deletionMs: { all: number; one: number };
}

/** A line of the breakdown table: a round, or the median of each column over the rounds. */
export interface BreakdownRow {
  label: string;
  timeToReadyMs: number;
  stepsMs: Record<DeployStep, number>;
  shares: Record<DeployStep, number>;
  otherMs: number;
  otherShare: number;
  criticalPathMs: number;
  path: string;
  ratio: number;
}

/** A line of the one-app / all-apps comparison. */
export interface DeployComparisonRow {
  label: string;
  deployOneMs: number;
  deployAllMs: number;
  /** deploy with every app / deploy with Mastodon alone. */
  ratio: number;
  /** (deploy all - deploy one) / (apps - 1): what each app beyond the first adds to the deploy step. */
  perExtraAppMs: number;
  timeToReadyOneMs: number;
  timeToReadyAllMs: number;
}

export interface AppsSummary {
  breakdown: BreakdownRow[];
  comparison: DeployComparisonRow[];
  /** The median ratio against the goal; undefined when no round had a ready all-apps tenant. */
  goal?: { ratio: number; goal: number; met: boolean };
}

function breakdownRow(label: string, b: TenantBreakdown): BreakdownRow {
  return {
    label,
    timeToReadyMs: b.timeToReadyMs,
    stepsMs: b.stepsMs,
    shares: b.shares,
    otherMs: b.otherMs,
    otherShare: b.otherMs / b.timeToReadyMs,
    criticalPathMs: b.criticalPath.ms,
    path: b.criticalPath.steps.join('>'),
    ratio: b.ratio,
  };
}

/** The middle value (nearest rank, so with an even count the lower of the two middle ones). */
function median(xs: readonly number[]): number {
  return percentile(xs, 0.5);
}

function perStep(rows: readonly BreakdownRow[], pick: (r: BreakdownRow) => Record<DeployStep, number>) {
  return Object.fromEntries(DEPLOY_STEP_NAMES.map((s) => [s, median(rows.map((r) => pick(r)[s]))])) as Record<
    DeployStep,
    number
  >;
}

/**
 * Per round and as medians (each column on its own, so the median line need not add up): the
 * all-apps tenant's breakdown, and its deploy step against the Mastodon tenant's.
 */
export function summarizeApps(rounds: readonly AppsRound[]): AppsSummary {
  const rows: BreakdownRow[] = [];
  const comparison: DeployComparisonRow[] = [];
  for (const r of rounds) {
    const all = breakdown(r.all);
    const one = breakdown(r.one);
    if (all) rows.push(breakdownRow(String(r.round), all));
    if (all && one) {
      comparison.push({
        label: String(r.round),
        deployOneMs: one.stepsMs.deploy,
        deployAllMs: all.stepsMs.deploy,
        ratio: all.stepsMs.deploy / one.stepsMs.deploy,
        perExtraAppMs: r.appCount > 1 ? (all.stepsMs.deploy - one.stepsMs.deploy) / (r.appCount - 1) : 0,
        timeToReadyOneMs: one.timeToReadyMs,
        timeToReadyAllMs: all.timeToReadyMs,
      });
    }
  }
  const summary: AppsSummary = { breakdown: rows, comparison };
  if (rows.length > 0) {
    const paths = [...new Set(rows.map((r) => r.path))];
    const med: BreakdownRow = {
      label: 'median',
      timeToReadyMs: median(rows.map((r) => r.timeToReadyMs)),
      stepsMs: perStep(rows, (r) => r.stepsMs),
      shares: perStep(rows, (r) => r.shares),
      otherMs: median(rows.map((r) => r.otherMs)),
      otherShare: median(rows.map((r) => r.otherShare)),
      criticalPathMs: median(rows.map((r) => r.criticalPathMs)),
      path: paths.length === 1 ? paths[0]! : 'mixed',
      ratio: median(rows.map((r) => r.ratio)),
    };
    rows.push(med);
    summary.goal = {
      ratio: med.ratio,
      goal: CRITICAL_PATH_RATIO_GOAL,
      met: med.ratio <= CRITICAL_PATH_RATIO_GOAL,
    };
  }
  if (comparison.length > 0) {
    const col = (pick: (c: DeployComparisonRow) => number): number => median(comparison.map(pick));
    comparison.push({
      label: 'median',
      deployOneMs: col((c) => c.deployOneMs),
      deployAllMs: col((c) => c.deployAllMs),
      ratio: col((c) => c.ratio),
      perExtraAppMs: col((c) => c.perExtraAppMs),
      timeToReadyOneMs: col((c) => c.timeToReadyOneMs),
      timeToReadyAllMs: col((c) => c.timeToReadyAllMs),
    });
  }
  return summary;
}

const ms = (x: number): string => String(Math.round(x));
const pct = (x: number): string => `${Math.round(x * 100)}%`;

/** Columns right-aligned (numbers) except those in `left` (labels); trailing spaces trimmed. */
function table(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  left: readonly number[],
): string {
  const widths = header.map((c, i) => Math.max(c.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (left.includes(i) ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** The all-apps tenant per round and the medians: each step in ms and as a share of time-to-ready. */
export function renderBreakdown(rows: readonly BreakdownRow[]): string {
  const goal = `goal <= ${CRITICAL_PATH_RATIO_GOAL}x`;
  const header = ['round', 'ttr ms', ...DEPLOY_STEP_NAMES, 'other', 'critical path', 'ttr/cp', goal, 'path'];
  return table(
    header,
    rows.map((r) => [
      r.label,
      ms(r.timeToReadyMs),
      ...DEPLOY_STEP_NAMES.map((s) => `${ms(r.stepsMs[s])} ${pct(r.shares[s]).padStart(4)}`),
      `${ms(r.otherMs)} ${pct(r.otherShare).padStart(4)}`,
      ms(r.criticalPathMs),
      `${r.ratio.toFixed(3)}x`,
      r.ratio <= CRITICAL_PATH_RATIO_GOAL ? 'met' : 'missed',
      r.path,
    ]),
    [0, header.length - 2, header.length - 1],
  );
}

/** The deploy step with Mastodon alone against the whole catalog, per round and as medians. */
export function renderComparison(rows: readonly DeployComparisonRow[], appCount: number): string {
  const header = [
    'round',
    'deploy 1 app',
    `deploy ${appCount} apps`,
    'ratio',
    'per extra app',
    'ttr 1 app',
    `ttr ${appCount} apps`,
  ];
  return table(
    header,
    rows.map((r) => [
      r.label,
      ms(r.deployOneMs),
      ms(r.deployAllMs),
      `${r.ratio.toFixed(2)}x`,
      ms(r.perExtraAppMs),
      ms(r.timeToReadyOneMs),
      ms(r.timeToReadyAllMs),
    ]),
    [0],
  );
}
