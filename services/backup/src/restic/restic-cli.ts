import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FedopsError, FedopsErrorCode } from '@fedops/domain';

/**
 * What went wrong, told apart by exit code (restic >= 0.17) or by stderr text (0.14, which exits 1
 * for all of these; texts verified against the Debian bookworm binary).
 */
export type ResticErrorKind =
  'repository-not-found' | 'repository-exists' | 'wrong-password' | 'locked' | 'timeout' | 'other';

export class ResticError extends FedopsError {
  readonly kind: ResticErrorKind;
  /** Process exit code; null when it was ended by a signal or did not start. */
  readonly exitCode: number | null;
  /** The last lines of stderr (restic never prints the password). */
  readonly stderrTail: string;
  readonly command: string;
  /** Worth trying again later: a lock held by another process, or a timeout. */
  readonly retryable: boolean;

  constructor(input: {
    command: string;
    kind: ResticErrorKind;
    exitCode: number | null;
    stderrTail: string;
    message?: string;
    cause?: unknown;
  }) {
    const text = input.message ?? lastLine(input.stderrTail) ?? 'no error output';
    super(
      input.kind === 'repository-not-found' ? FedopsErrorCode.NotFound : FedopsErrorCode.ProviderFailed,
      `restic ${input.command} failed (${input.kind}, exit ${input.exitCode ?? 'none'}): ${text}`,
      { cause: input.cause },
    );
    this.name = 'ResticError';
    this.kind = input.kind;
    this.exitCode = input.exitCode;
    this.stderrTail = input.stderrTail;
    this.command = input.command;
    // Only what another attempt cannot change is permanent; an unclassified failure (I/O, network) may pass.
    this.retryable =
      input.kind !== 'wrong-password' &&
      input.kind !== 'repository-exists' &&
      input.kind !== 'repository-not-found';
  }
}

/** Classifies a failed run from its exit code and stderr. Pure; exported for tests. */
export function classifyResticFailure(exitCode: number | null, stderr: string): ResticErrorKind {
  if (
    exitCode === 10 ||
    /Is there a repository at the following location\?|unable to open config file/.test(stderr)
  ) {
    return 'repository-not-found';
  }
  if (exitCode === 12 || /wrong password or no key found/.test(stderr)) return 'wrong-password';
  if (exitCode === 11 || /repository is already locked|unable to create lock/.test(stderr)) return 'locked';
  if (/config file already exists/.test(stderr)) return 'repository-exists';
  return 'other';
}

export interface ResticCliOptions {
  /** Path of the restic binary. Default `restic` (from PATH). */
  binary?: string;
  /** Cache directory (`RESTIC_CACHE_DIR`); default: restic's own (XDG cache dir). */
  cacheDir?: string;
  /** Kill a command that runs longer than this. Default 1 h (a prune or check of a big repository is slow). */
  timeoutMs?: number;
  /** Extra environment for the backend (AWS_* for S3). Never logged. */
  backendEnv?: Record<string, string>;
}

/** The summary of a `restic backup --json` run (which runs on the machines: machine-scripts.ts). */
export interface BackupSummary {
  /** The snapshot's id as restic printed it: the short id (8 hex) in 0.14, the full one later. */
  snapshotId: string;
  filesNew: number;
  filesChanged: number;
  filesUnmodified: number;
  dataAdded: number;
  totalFilesProcessed: number;
  totalBytesProcessed: number;
  /** restic's own `total_duration`, ms: from the repository opened and its index read to the snapshot saved. */
  durationMs: number;
}

export interface ResticSnapshot {
  id: string;
  shortId: string;
  time: string;
  hostname: string;
  paths: string[];
  tags: string[];
  tree: string;
  parent?: string;
}

export interface SnapshotFilter {
  host?: string;
  tags?: string[];
}

/** restic's `forget --keep-*` options; at least one must be set. */
export interface RetentionPolicy {
  keepLast?: number;
  keepHourly?: number;
  keepDaily?: number;
  keepWeekly?: number;
  keepMonthly?: number;
  keepYearly?: number;
  /** Duration like `1y5m7d2h`. */
  keepWithin?: string;
  keepTags?: string[];
}

export interface ForgetResult {
  kept: string[];
  removed: string[];
}

interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

const SNAPSHOT_ID = /^[0-9a-f]{8,64}$/;
const TAG = /^[A-Za-z0-9._:=@+-]{1,128}$/;
const STDERR_TAIL_LINES = 20;
const MAX_STDOUT = 64 * 1024 * 1024;

/**
 * The restic commands the backup service runs itself, where it reaches the repository directly:
 * the repository's id, listings, checks, retention (backups and restores run on the machines, by
 * machine-scripts.ts). Written for 0.14, the Debian bookworm version; newer exit codes are understood
 * too. The repository goes in `RESTIC_REPOSITORY` and the password in a 0600 file named by
 * `RESTIC_PASSWORD_FILE`, so neither appears on a command line.
 */
export class ResticCli {
  private readonly binary: string;
  private readonly timeoutMs: number;

  constructor(private readonly options: ResticCliOptions = {}) {
    this.binary = options.binary ?? 'restic';
    this.timeoutMs = options.timeoutMs ?? 60 * 60 * 1000;
  }

  /** The repository's own id (from its config); also proves that the password opens it. */
  async repositoryId(repo: string, password: string): Promise<string> {
    const res = await this.exec('cat config', { repo, password }, ['cat', 'config']);
    const config = parseJson(res.stdout, 'cat config');
    if (!isObject(config) || typeof config['id'] !== 'string') {
      throw new Error('restic cat config: unexpected output shape (no id)');
    }
    return config['id'];
  }

  /** Snapshots, oldest first; `ids` restricts the list to these snapshots (short or full ids). */
  async snapshots(
    repo: string,
    password: string,
    filter: SnapshotFilter = {},
    ids: string[] = [],
  ): Promise<ResticSnapshot[]> {
    ids.forEach(checkSnapshotId);
    const args = [
      'snapshots',
      '--json',
      ...this.filterArgs(filter),
      ...(ids.length > 0 ? ['--', ...ids] : []),
    ];
    const res = await this.exec('snapshots', { repo, password }, args);
    const parsed = parseJson(res.stdout, 'snapshots');
    if (!Array.isArray(parsed)) throw new Error('restic snapshots: output is not a JSON array');
    return parsed.map((raw: unknown, i) => parseSnapshot(raw, `snapshots[${i}]`));
  }

  /** Checks the repository's structure; `readDataSubset` (e.g. `1/10`, `5%`) also reads that share of the data. */
  async check(repo: string, password: string, options: { readDataSubset?: string } = {}): Promise<void> {
    const args = ['check'];
    if (options.readDataSubset !== undefined) {
      if (!/^(\d+\/\d+|\d+(\.\d+)?%)$/.test(options.readDataSubset)) {
        throw new Error(`invalid readDataSubset "${options.readDataSubset}"`);
      }
      args.push(`--read-data-subset=${options.readDataSubset}`);
    }
    await this.exec('check', { repo, password }, args);
  }

  /**
   * Removes snapshots outside the policy, per group (restic's default: host and paths; `groupBy`
   * `host`: one group per host, whatever paths the snapshots have); run `prune` to free the space.
   */
  async forget(
    repo: string,
    password: string,
    policy: RetentionPolicy,
    filter: SnapshotFilter = {},
    options: { groupBy?: 'host' | 'host,paths' | 'host,tags' } = {},
  ): Promise<ForgetResult> {
    const args = [
      'forget',
      '--json',
      ...retentionArgs(policy),
      ...this.filterArgs(filter),
      ...(options.groupBy !== undefined ? [`--group-by=${options.groupBy}`] : []),
    ];
    const res = await this.exec('forget', { repo, password }, args);
    const line = res.stdout.split('\n').find((l) => l.trim().startsWith('['));
    const groups = line === undefined ? [] : parseJson(line, 'forget');
    if (!Array.isArray(groups)) throw new Error('restic forget: output is not a JSON array');
    const kept: string[] = [];
    const removed: string[] = [];
    groups.forEach((g: unknown, i) => {
      if (!isObject(g)) throw new Error(`restic forget: group ${i} is not an object`);
      for (const [list, out] of [
        [g['keep'], kept],
        [g['remove'], removed],
      ] as const) {
        if (list === null || list === undefined) continue;
        if (!Array.isArray(list)) throw new Error(`restic forget: group ${i} keep/remove is not an array`);
        list.forEach((s: unknown, j) => out.push(parseSnapshot(s, `group ${i} snapshot ${j}`).id));
      }
    });
    return { kept, removed };
  }

  /** Deletes data no snapshot references (takes an exclusive lock). */
  async prune(repo: string, password: string): Promise<void> {
    await this.exec('prune', { repo, password }, ['prune']);
  }

  private filterArgs(filter: SnapshotFilter): string[] {
    const args: string[] = [];
    if (filter.host !== undefined) {
      if (!TAG.test(filter.host)) throw new Error(`invalid restic host "${filter.host}"`);
      args.push(`--host=${filter.host}`);
    }
    for (const tag of filter.tags ?? []) {
      if (!TAG.test(tag)) throw new Error(`invalid restic tag "${tag}" (letters, digits and ._:=@+- only)`);
      args.push(`--tag=${tag}`);
    }
    return args;
  }

  /**
   * Runs restic on the repository with a clean environment (no RESTIC_* or AWS_* inherited from
   * this process). A non-zero exit becomes a ResticError.
   */
  private async exec(
    command: string,
    repository: { repo: string; password: string },
    args: string[],
  ): Promise<RunResult> {
    const secretsDir = await mkdtemp(join(tmpdir(), 'fedops-restic-'));
    try {
      const env: Record<string, string> = {
        PATH: process.env['PATH'] ?? '/usr/bin:/bin',
        HOME: process.env['HOME'] ?? tmpdir(),
        TMPDIR: tmpdir(),
        ...(this.options.cacheDir === undefined ? {} : { RESTIC_CACHE_DIR: this.options.cacheDir }),
        ...this.options.backendEnv,
      };
      const passwordFile = join(secretsDir, 'password');
      await writeFile(passwordFile, repository.password, { mode: 0o600 });
      env['RESTIC_PASSWORD_FILE'] = passwordFile;
      env['RESTIC_REPOSITORY'] = repository.repo;
      const res = await this.spawn(command, args, env);
      if (res.exitCode !== 0) {
        throw new ResticError({
          command,
          kind: classifyResticFailure(res.exitCode, res.stderr),
          exitCode: res.exitCode,
          stderrTail: tail(res.stderr),
        });
      }
      return res;
    } finally {
      await rm(secretsDir, { recursive: true, force: true });
    }
  }

  private spawn(command: string, args: string[], env: Record<string, string>): Promise<RunResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(this.binary, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      let timedOut = false;
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        stdout += d;
        // Bounded memory: a larger output (a listing of very many snapshots) is cut to its tail,
        // which then fails to parse as JSON, a clear error.
        if (stdout.length > MAX_STDOUT) stdout = stdout.slice(-MAX_STDOUT / 2);
      });
      child.stderr.setEncoding('utf8').on('data', (d: string) => {
        stderr = (stderr + d).slice(-64 * 1024);
      });
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
      }, this.timeoutMs);
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(
          new ResticError({
            command,
            kind: 'other',
            exitCode: null,
            stderrTail: '',
            message: `could not start ${this.binary}: ${err.message}`,
            cause: err,
          }),
        );
      });
      child.once('close', (code, signal) => {
        clearTimeout(timer);
        if (timedOut || code === null) {
          reject(
            new ResticError({
              command,
              kind: timedOut ? 'timeout' : 'other',
              exitCode: code,
              stderrTail: tail(stderr),
              message: timedOut
                ? `no result within ${this.timeoutMs} ms`
                : `ended by signal ${signal ?? 'unknown'}`,
            }),
          );
          return;
        }
        resolve({ exitCode: code, stdout, stderr });
      });
    });
  }
}

/**
 * The summary line of `restic backup --json` output (wherever restic ran); `snapshotId` is the short
 * id restic 0.14 prints. Undefined when there is none (the backup did not finish).
 */
export function parseBackupSummary(stdout: string): BackupSummary | undefined {
  const summary = jsonLines(stdout).find((msg) => msg['message_type'] === 'summary');
  if (summary === undefined || typeof summary['snapshot_id'] !== 'string') return undefined;
  return {
    snapshotId: summary['snapshot_id'],
    filesNew: num(summary['files_new']),
    filesChanged: num(summary['files_changed']),
    filesUnmodified: num(summary['files_unmodified']),
    dataAdded: num(summary['data_added']),
    totalFilesProcessed: num(summary['total_files_processed']),
    totalBytesProcessed: num(summary['total_bytes_processed']),
    durationMs: Math.round(num(summary['total_duration']) * 1000),
  };
}

/** The progress in a `restic backup --json` status line; undefined for other lines. */
export function parseBackupStatus(
  line: string,
):
  | { percent: number; bytesDone: number; totalBytes: number; filesDone: number; totalFiles: number }
  | undefined {
  const [msg] = jsonLines(line);
  if (msg === undefined || msg['message_type'] !== 'status') return undefined;
  return {
    percent: Math.round(num(msg['percent_done']) * 1000) / 10,
    bytesDone: num(msg['bytes_done']),
    totalBytes: num(msg['total_bytes']),
    filesDone: num(msg['files_done']),
    totalFiles: num(msg['total_files']),
  };
}

/** The JSON objects among output lines (restic mixes them with nothing else on stdout, but be lenient). */
function jsonLines(text: string): Array<Record<string, unknown>> {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.startsWith('{'))
    .flatMap((line) => {
      try {
        const value: unknown = JSON.parse(line);
        return isObject(value) ? [value] : [];
      } catch {
        return []; // a status line cut off by a killed run
      }
    });
}

export function retentionArgs(policy: RetentionPolicy): string[] {
  const args: string[] = [];
  const counts: Array<[keyof RetentionPolicy, string]> = [
    ['keepLast', '--keep-last'],
    ['keepHourly', '--keep-hourly'],
    ['keepDaily', '--keep-daily'],
    ['keepWeekly', '--keep-weekly'],
    ['keepMonthly', '--keep-monthly'],
    ['keepYearly', '--keep-yearly'],
  ];
  for (const [key, flag] of counts) {
    const value = policy[key];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
      throw new Error(`retention ${key} must be a positive integer`);
    }
    args.push(`${flag}=${value}`);
  }
  if (policy.keepWithin !== undefined) {
    if (!/^(\d+[ymdh])+$/.test(policy.keepWithin))
      throw new Error(`retention keepWithin "${policy.keepWithin}" is not like 1y5m7d2h`);
    args.push(`--keep-within=${policy.keepWithin}`);
  }
  for (const tag of policy.keepTags ?? []) {
    if (!TAG.test(tag)) throw new Error(`invalid retention tag "${tag}"`);
    args.push(`--keep-tag=${tag}`);
  }
  if (args.length === 0) throw new Error('retention policy keeps nothing: set at least one keep option');
  return args;
}

function parseSnapshot(raw: unknown, where: string): ResticSnapshot {
  if (!isObject(raw)) throw new Error(`restic: ${where} is not an object`);
  const { id, short_id: shortId, time, hostname, paths, tags, tree, parent } = raw;
  if (typeof id !== 'string' || typeof time !== 'string' || typeof tree !== 'string') {
    throw new Error(`restic: ${where} lacks id/time/tree`);
  }
  return {
    id,
    shortId: typeof shortId === 'string' ? shortId : id.slice(0, 8),
    time,
    hostname: typeof hostname === 'string' ? hostname : '',
    paths: stringArray(paths),
    tags: stringArray(tags),
    tree,
    ...(typeof parent === 'string' ? { parent } : {}),
  };
}

function checkSnapshotId(id: string): void {
  if (!SNAPSHOT_ID.test(id)) throw new Error(`invalid snapshot id "${id}"`);
}

function parseJson(text: string, command: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new Error(`restic ${command}: output is not valid JSON`, { cause: err });
  }
}

function stringArray(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function num(value: unknown): number {
  return typeof value === 'number' ? value : 0;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function tail(text: string): string {
  return text.trimEnd().split('\n').slice(-STDERR_TAIL_LINES).join('\n');
}

function lastLine(text: string): string | undefined {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  return (
    lines.find((l) => l.startsWith('Fatal:')) ??
    lines.find((l) => /locked|unable|error|failed/i.test(l)) ??
    lines[lines.length - 1]
  );
}
