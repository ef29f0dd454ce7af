/**
 * The providers benchmark's arithmetic: duplicates among the VMs a simulator holds, the medians of
 * the runs with and without faults, the ratio and its verdict, and the tables. Pure, so it is unit tested.
 */
import { percentile } from '../stats';

/** The run with faults may take at most this many times the run without. */
export const FAULT_RATIO_GOAL = 1.3;

/** One create-all-then-delete-all run on one provider. */
export interface ProviderRun {
  kind: string;
  faults: boolean;
  machines: number;
  /** Workflows whose create activity succeeded. */
  created: number;
  /** Workflows that ended with their machine deleted. */
  deleted: number;
  /** From the first workflow start to the last create done (or its workflow failed), ms. */
  createMs: number;
  /** From the first delete signal to the last workflow result, ms. */
  deleteMs: number;
  /** Each created machine's time from the run's start to its create done, ms. */
  machineCreateMs: number[];
  /** Each created machine's successful create attempt (1: no retry). */
  createAttempts: number[];
  /** HTTP requests the drivers sent to the simulator during the run. */
  calls: number;
  /** Requests answered 5xx / 429, as the drivers saw them. */
  answered5xx: number;
  answered429: number;
  /** FaultBook.fired during the run: calls that failed because a fault was injected. */
  injected: { serverError: number; rateLimit: number };
  /** Activity attempts and the attempts that threw (each one retried by Temporal or final). */
  attempts: { create: number; delete: number };
  failedAttempts: { create: number; delete: number };
  /** Most VMs sharing a machine id beyond the first, over every look during the create phase. */
  duplicates: number;
  /** VMs with no machine id at the end of the create phase. */
  unlabelled: number;
  /** VMs the simulator still held after every delete had ended. */
  orphans: number;
  /** Failed activity attempts by message (digits masked). */
  failureKinds: Record<string, number>;
  /** Workflows that failed, with why. */
  errors: string[];
  /** The orphans as the simulator showed them (id, name, status, labels), and any left undeleted. */
  orphanDetails: string[];
}

export function totalMs(run: Pick<ProviderRun, 'createMs' | 'deleteMs'>): number {
  return run.createMs + run.deleteMs;
}

export function injectedCalls(run: Pick<ProviderRun, 'injected'>): number {
  return run.injected.serverError + run.injected.rateLimit;
}

/**
 * Duplicates among VMs given by their machine id (undefined: the VM carries none): every VM beyond
 * the first with the same id counts once; `unlabelled` counts the VMs carrying no id.
 */
export function countDuplicates(machineIds: ReadonlyArray<string | undefined>): {
  duplicates: number;
  unlabelled: number;
  distinct: number;
} {
  const seen = new Map<string, number>();
  let unlabelled = 0;
  for (const id of machineIds) {
    if (id === undefined) unlabelled += 1;
    else seen.set(id, (seen.get(id) ?? 0) + 1);
  }
  let duplicates = 0;
  for (const count of seen.values()) duplicates += count - 1;
  return { duplicates, unlabelled, distinct: seen.size };
}

/** The median (the mean of the two middle values for an even count). */
export function median(samples: readonly number[]): number {
  if (samples.length === 0) throw new Error('median of an empty sample');
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * The order of the measured runs: pairs alternating off-on, on-off (ABBA), so a drift of the machine
 * over the benchmark falls on both sides alike.
 */
export function runOrder(pairs: number): boolean[] {
  const order: boolean[] = [];
  for (let i = 0; i < pairs; i++) order.push(...(i % 2 === 0 ? [false, true] : [true, false]));
  return order;
}

export type Verdict = 'PASS' | 'MISS';

export interface ProviderSummary {
  kind: string;
  machines: number;
  /** Medians over the runs without and with faults. */
  callsOff: number;
  callsOn: number;
  injectedOn: number;
  /** Share of the calls of the runs with faults that failed by injection (median). */
  injectedShare: number;
  /** Activity attempts beyond one create and one delete per machine, runs with faults (median). */
  retriesOn: number;
  /** Worst run. */
  duplicates: number;
  orphans: number;
  unlabelled: number;
  failedWorkflows: number;
  msOff: number;
  msOn: number;
  ratio: number;
  verdict: Verdict;
}

/** One provider's runs summarised; undefined unless there is at least one run of each kind. */
export function summarizeProvider(
  runs: readonly ProviderRun[],
  goal = FAULT_RATIO_GOAL,
): ProviderSummary | undefined {
  const off = runs.filter((r) => !r.faults);
  const on = runs.filter((r) => r.faults);
  if (off.length === 0 || on.length === 0) return undefined;
  const msOff = median(off.map(totalMs));
  const msOn = median(on.map(totalMs));
  const ratio = msOn / msOff;
  return {
    kind: runs[0]!.kind,
    machines: runs[0]!.machines,
    callsOff: median(off.map((r) => r.calls)),
    callsOn: median(on.map((r) => r.calls)),
    injectedOn: median(on.map(injectedCalls)),
    injectedShare: median(on.map((r) => (r.calls > 0 ? injectedCalls(r) / r.calls : 0))),
    retriesOn: median(on.map((r) => r.attempts.create + r.attempts.delete - 2 * r.machines)),
    duplicates: Math.max(...runs.map((r) => r.duplicates)),
    orphans: Math.max(...runs.map((r) => r.orphans)),
    unlabelled: Math.max(...runs.map((r) => r.unlabelled)),
    failedWorkflows: Math.max(...runs.map((r) => r.errors.length)),
    msOff,
    msOn,
    ratio,
    verdict: ratio <= goal ? 'PASS' : 'MISS',
  };
}

/** What must fail the benchmark: a duplicate, an orphan, a stray VM or a workflow that failed. */
export function summaryProblems(s: ProviderSummary): string[] {
  const problems: string[] = [];
  if (s.duplicates > 0) problems.push(`${s.kind}: ${s.duplicates} duplicate machine(s)`);
  if (s.orphans > 0) problems.push(`${s.kind}: ${s.orphans} orphan machine(s) after the deletes`);
  if (s.unlabelled > 0) problems.push(`${s.kind}: ${s.unlabelled} VM(s) carrying no machine id`);
  if (s.failedWorkflows > 0) problems.push(`${s.kind}: ${s.failedWorkflows} workflow(s) failed in a run`);
  return problems;
}

function table(columns: readonly string[], rows: ReadonlyArray<readonly string[]>, leftAligned: number[]) {
  const widths = columns.map((c, i) => Math.max(c.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (leftAligned.includes(i) ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

const RUN_COLUMNS = [
  'provider',
  'faults',
  'N',
  'created',
  'deleted',
  'calls',
  '5xx',
  '429',
  'injected',
  'failed att.',
  'att. max',
  'dup',
  'orphans',
  'create p50',
  'create max',
  'create ms',
  'delete ms',
  'total ms',
] as const;

/** Every measured run, in the order it ran. */
export function renderRunsTable(runs: readonly ProviderRun[]): string {
  const rows = runs.map((r) => [
    r.kind,
    r.faults ? 'on' : 'off',
    String(r.machines),
    String(r.created),
    String(r.deleted),
    String(r.calls),
    String(r.answered5xx),
    String(r.answered429),
    `${r.injected.serverError}+${r.injected.rateLimit}`,
    String(r.failedAttempts.create + r.failedAttempts.delete),
    r.createAttempts.length > 0 ? String(Math.max(...r.createAttempts)) : '-',
    String(r.duplicates),
    String(r.orphans),
    r.machineCreateMs.length > 0 ? String(Math.round(percentile(r.machineCreateMs, 0.5))) : '-',
    r.machineCreateMs.length > 0 ? String(Math.round(Math.max(...r.machineCreateMs))) : '-',
    String(Math.round(r.createMs)),
    String(Math.round(r.deleteMs)),
    String(Math.round(totalMs(r))),
  ]);
  return table(RUN_COLUMNS, rows, [0, 1]);
}

const SUMMARY_COLUMNS = [
  'provider',
  'N',
  'calls off',
  'calls on',
  'failed by injection',
  'retries',
  'duplicates',
  'orphans',
  'time off ms',
  'time on ms',
  'ratio',
  'goal <= 1.3x',
] as const;

/** One line per provider: medians of its runs, the worst duplicates and orphans. */
export function renderSummaryTable(summaries: readonly ProviderSummary[]): string {
  const rows = summaries.map((s) => [
    s.kind,
    String(s.machines),
    String(Math.round(s.callsOff)),
    String(Math.round(s.callsOn)),
    `${Math.round(s.injectedOn)} (${(s.injectedShare * 100).toFixed(1)}%)`,
    String(Math.round(s.retriesOn)),
    String(s.duplicates),
    String(s.orphans),
    String(Math.round(s.msOff)),
    String(Math.round(s.msOn)),
    `${s.ratio.toFixed(2)}x`,
    s.verdict,
  ]);
  return table(SUMMARY_COLUMNS, rows, [0, 11]);
}

/** `providers [N] [kind ...]` (`providers` itself is taken off by scripts/bench.sh). */
export function parseProviderArgs<K extends string>(
  args: readonly string[],
  kinds: readonly K[],
  defaultMachines: number,
): { machines: number; kinds: K[] } {
  let machines = defaultMachines;
  const chosen: K[] = [];
  for (const arg of args.filter((a) => a !== '--')) {
    if (/^\d+$/.test(arg)) {
      machines = Number(arg);
      if (machines < 1 || machines > 200) throw new Error(`N must be within 1..200, got ${machines}`);
    } else if ((kinds as readonly string[]).includes(arg)) {
      if (!chosen.includes(arg as K)) chosen.push(arg as K);
    } else {
      throw new Error(`unknown argument "${arg}": give N (1..200) and/or providers (${kinds.join(', ')})`);
    }
  }
  return { machines, kinds: chosen.length > 0 ? chosen : [...kinds] };
}
