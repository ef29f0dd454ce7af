/**
 * The backup benchmark's arithmetic: the rounds argument, a repository's S3 prefix, the medians of each phase, fedops' time against plain restic's (over SSH on the machine,
 * and here) and its verdict, and the tables. Pure, so it is unit tested.
 */
import type { BackupSummary } from '@fedops/backup/dist/restic/restic-cli';
import { percentile } from '../stats';

/** The goal: a backup through fedops takes at most this many times plain restic's over SSH. */
export const BACKUP_RATIO_GOAL = 1.1;

export const BACKUP_PHASES = ['initial', 'changed'] as const;
export type BackupPhase = (typeof BACKUP_PHASES)[number];

/**
 * fedops: SnapshotService.backupApp's steps; restic-ssh: plain `restic backup` on the machine over
 * one SSH session with the same tunnel (what reaching the data costs anyway); restic-local: plain
 * `restic backup` here, straight to the storage.
 */
export const BACKUP_PATHS = ['fedops', 'restic-ssh', 'restic-local'] as const;
export type BackupPath = (typeof BACKUP_PATHS)[number];

/** What `restic backup --json` says in its summary line (the backup service's parser reads it). */
export type ResticSummary = BackupSummary;

/** One backup, through one of the paths. */
export interface BackupRun {
  round: number;
  phase: BackupPhase;
  path: BackupPath;
  /** 1: it ran first in its round's phase, 2: second, 3: third. */
  position: number;
  /** From the start of the run to its result, ms: what is compared. */
  wallMs: number;
  /** fedops and restic-ssh: MachineRestic.run (the SSH session with its tunnel and the script), ms. */
  machineMs?: number;
  /** fedops only: the S3 listing of the snapshot after the backup, ms. */
  lookupsMs?: number;
  /** fedops only: restic's status lines the run parsed as they came (the service heartbeats each). */
  statusLines?: number;
  /** 1-minute load average when the run started. */
  load: number;
  summary?: ResticSummary;
  error?: string;
}

/**
 * The rounds from the command line: one positive integer (1..20), default 3. Throws on anything else,
 * so a typo is not measured.
 */
export function parseRounds(args: readonly string[], fallback = 3): number {
  const given = args.filter((a) => a !== '--');
  if (given.length === 0) return fallback;
  if (given.length > 1) throw new Error(`expected at most one argument (ROUNDS), got ${given.join(' ')}`);
  const raw = given[0]!;
  if (!/^\d+$/.test(raw)) throw new Error(`ROUNDS must be a positive integer, got "${raw}"`);
  const n = Number(raw);
  if (n < 1 || n > 20) throw new Error(`ROUNDS must be within 1..20, got ${n}`);
  return n;
}

/**
 * The S3 prefix of a repository: the path after the bucket in its `s3:` URL
 * (`s3:http://host:port/<bucket>/<prefix>`), under which restic keeps `config`, `snapshots/`, ...
 * Throws when the URL is not of that bucket or has no prefix.
 */
export function s3Prefix(location: string, bucket: string): string {
  const match = /^s3:https?:\/\/[^/]+\/([^/]+)\/(.+?)\/*$/.exec(location);
  if (match === null || match[1] !== bucket) {
    throw new Error(`${location} is not a repository under a prefix of bucket ${bucket}`);
  }
  return match[2]!;
}

/**
 * Which path runs when in a round: the paths rotated by one each round, so over three rounds each
 * path runs once first, once second and once third (a warm cache or a drift of the machine falls on all).
 */
export function pathOrder(round: number): BackupPath[] {
  const shift = (((round - 1) % BACKUP_PATHS.length) + BACKUP_PATHS.length) % BACKUP_PATHS.length;
  return [...BACKUP_PATHS.slice(shift), ...BACKUP_PATHS.slice(0, shift)];
}

/** The median by nearest rank (a time that really happened, as in stats.ts). */
function p50(samples: readonly number[]): number {
  return percentile(samples, 0.5);
}

/** fedops against one baseline: the medians' ratio and the median of each round's own ratio. */
export interface Ratio {
  ratio: number;
  roundRatio: number;
}

export interface PhaseSummary {
  phase: BackupPhase;
  /** Rounds in which all three paths of this phase succeeded (only those count). */
  rounds: number;
  /** Median wall time per path, ms. */
  wallMs: Record<BackupPath, number>;
  /** Median bytes added to the repository per path (restic's `data_added`). */
  addedBytes: Record<BackupPath, number>;
  /** Median of restic's own backup duration per path: the wall time minus this is the path's overhead. */
  resticMs: Record<BackupPath, number>;
  /** fedops against restic over SSH: fedops' own overhead, what the goal is about. */
  overSsh: Ratio;
  goalMet: boolean;
  /** fedops against restic here (for information: restic must run where the data is). */
  overLocal: Ratio;
  /** Median of (fedops wall - restic-ssh wall) per round, ms: fedops' own cost in time. */
  overheadMs: number;
  /** Medians inside the fedops runs: MachineRestic.run minus restic's backup, and the S3 listing after it. */
  fedopsScriptMs: number;
  fedopsLookupsMs: number;
  /** Median of restic-ssh's wall time minus its restic backup: the SSH session, the tunnel, opening the repository. */
  sshRestMs: number;
}

/** A phase's medians over the rounds where every path succeeded; undefined when there is none. */
export function summarizePhase(
  runs: readonly BackupRun[],
  phase: BackupPhase,
  goal = BACKUP_RATIO_GOAL,
): PhaseSummary | undefined {
  const rounds: Array<Record<BackupPath, BackupRun & { summary: ResticSummary }>> = [];
  for (const round of new Set(runs.map((r) => r.round))) {
    const of = (path: BackupPath): (BackupRun & { summary: ResticSummary }) | undefined =>
      runs.find(
        (r): r is BackupRun & { summary: ResticSummary } =>
          r.round === round &&
          r.phase === phase &&
          r.path === path &&
          r.error === undefined &&
          r.summary !== undefined,
      );
    const fedops = of('fedops');
    const ssh = of('restic-ssh');
    const local = of('restic-local');
    if (fedops && ssh && local) rounds.push({ fedops, 'restic-ssh': ssh, 'restic-local': local });
  }
  if (rounds.length === 0) return undefined;
  const perPath = (
    value: (r: BackupRun & { summary: ResticSummary }) => number,
  ): Record<BackupPath, number> => ({
    fedops: p50(rounds.map((r) => value(r.fedops))),
    'restic-ssh': p50(rounds.map((r) => value(r['restic-ssh']))),
    'restic-local': p50(rounds.map((r) => value(r['restic-local']))),
  });
  const wallMs = perPath((r) => r.wallMs);
  const against = (baseline: BackupPath): Ratio => ({
    ratio: wallMs.fedops / wallMs[baseline],
    roundRatio: p50(rounds.map((r) => r.fedops.wallMs / r[baseline].wallMs)),
  });
  const overSsh = against('restic-ssh');
  return {
    phase,
    rounds: rounds.length,
    wallMs,
    addedBytes: perPath((r) => r.summary.dataAdded),
    resticMs: perPath((r) => r.summary.durationMs),
    overSsh,
    goalMet: overSsh.ratio <= goal,
    overLocal: against('restic-local'),
    overheadMs: p50(rounds.map((r) => r.fedops.wallMs - r['restic-ssh'].wallMs)),
    fedopsScriptMs: p50(
      rounds.map((r) => (r.fedops.machineMs ?? r.fedops.wallMs) - r.fedops.summary.durationMs),
    ),
    fedopsLookupsMs: p50(rounds.map((r) => r.fedops.lookupsMs ?? 0)),
    sshRestMs: p50(rounds.map((r) => r['restic-ssh'].wallMs - r['restic-ssh'].summary.durationMs)),
  };
}

/**
 * What must fail the benchmark: a failed run, and backups of one round and phase that did not see
 * the same data (fedops' snapshot also holds the app's empty dump folder: one directory, no files).
 */
export function runProblems(runs: readonly BackupRun[]): string[] {
  const problems = runs
    .filter((r) => r.error !== undefined)
    .map((r) => `round ${r.round} ${r.phase} ${r.path}: ${r.error}`);
  for (const round of new Set(runs.map((r) => r.round))) {
    for (const phase of BACKUP_PHASES) {
      const seen = BACKUP_PATHS.flatMap((path) => {
        const s = runs.find((r) => r.round === round && r.phase === phase && r.path === path)?.summary;
        return s === undefined ? [] : [{ path, files: s.totalFilesProcessed, bytes: s.totalBytesProcessed }];
      });
      const [first] = seen;
      if (first !== undefined && seen.some((s) => s.files !== first.files || s.bytes !== first.bytes)) {
        problems.push(
          `round ${round} ${phase}: backed up different data: ` +
            seen.map((s) => `${s.path} ${s.files} files / ${s.bytes} bytes`).join(', '),
        );
      }
    }
  }
  return problems;
}

/** Bytes as MiB with one decimal. */
export function mib(bytes: number): string {
  return (bytes / (1024 * 1024)).toFixed(1);
}

function table(
  columns: readonly string[],
  rows: ReadonlyArray<readonly string[]>,
  leftAligned: number[],
): string {
  const widths = columns.map((c, i) => Math.max(c.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (leftAligned.includes(i) ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

const PHASE_LABEL: Record<BackupPhase, string> = { initial: 'initial', changed: 'after 1 %' };

const ms = (value: number): string => String(Math.round(value));
const times = (value: number): string => `${value.toFixed(2)}x`;

/** One line per phase: the median times, the two ratios and the goal's verdict, the bytes added. */
export function renderSummaryTable(summaries: readonly PhaseSummary[], goal = BACKUP_RATIO_GOAL): string {
  const columns = [
    'phase',
    'rounds',
    'fedops ms',
    'ssh ms',
    'local ms',
    'fedops/ssh',
    `goal <= ${goal}x`,
    'fedops/local',
    'fedops added MiB',
    'ssh added MiB',
    'local added MiB',
  ];
  const rows = summaries.map((s) => [
    PHASE_LABEL[s.phase],
    String(s.rounds),
    ms(s.wallMs.fedops),
    ms(s.wallMs['restic-ssh']),
    ms(s.wallMs['restic-local']),
    times(s.overSsh.ratio),
    s.goalMet ? 'met' : 'missed',
    times(s.overLocal.ratio),
    mib(s.addedBytes.fedops),
    mib(s.addedBytes['restic-ssh']),
    mib(s.addedBytes['restic-local']),
  ]);
  return table(columns, rows, [0, 6]);
}

/** One line per phase: where each path's time went (medians, ms), and each round's own ratios. */
export function renderSplitTable(summaries: readonly PhaseSummary[]): string {
  const columns = [
    'phase',
    'fedops - ssh',
    'fedops: backup',
    'fedops: rest of run',
    'fedops: S3 list',
    'ssh: backup',
    'ssh: rest',
    'local: backup',
    'local: rest',
    'per-round fedops/ssh',
    'fedops/local',
  ];
  const rows = summaries.map((s) => [
    PHASE_LABEL[s.phase],
    ms(s.overheadMs),
    ms(s.resticMs.fedops),
    ms(s.fedopsScriptMs),
    ms(s.fedopsLookupsMs),
    ms(s.resticMs['restic-ssh']),
    ms(s.sshRestMs),
    ms(s.resticMs['restic-local']),
    ms(s.wallMs['restic-local'] - s.resticMs['restic-local']),
    times(s.overSsh.roundRatio),
    times(s.overLocal.roundRatio),
  ]);
  return table(columns, rows, [0]);
}

/** Every backup, in the order it ran. */
export function renderRunsTable(runs: readonly BackupRun[]): string {
  const columns = [
    'round',
    'phase',
    'path',
    'pos',
    'wall ms',
    'restic backup ms',
    'files new',
    'changed',
    'unmodified',
    'added MiB',
    'error',
  ];
  const rows = runs.map((r) => [
    String(r.round),
    PHASE_LABEL[r.phase],
    r.path,
    String(r.position),
    ms(r.wallMs),
    r.summary ? String(r.summary.durationMs) : '-',
    r.summary ? String(r.summary.filesNew) : '-',
    r.summary ? String(r.summary.filesChanged) : '-',
    r.summary ? String(r.summary.filesUnmodified) : '-',
    r.summary ? mib(r.summary.dataAdded) : '-',
    r.error ?? '',
  ]);
  return table(columns, rows, [1, 2, 10]);
}
