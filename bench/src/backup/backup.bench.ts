/**
 * `npm run bench -- backup [ROUNDS]`: the same data set (many small files, a few large ones, a
 * PostgreSQL dump) backed up three ways, each into a fresh repository of its own, in the same run,
 * initially and after 1 % of the data changed: through fedops (SnapshotService.backupApp's steps:
 * MachineRestic's run of backupScript on a machine over SSH, S3 through the tunnel, then one S3
 * listing for the snapshot's full id), through plain `restic backup` on the machine over one SSH
 * session with the same tunnel, and through plain `restic backup` here. Prints fedops' time against
 * each (goal: at most 1.1x restic over SSH) and the bytes added. See bench/README.md.
 */
import { execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import type { MachineRef } from '@fedops/contracts';
import { MachineRestic } from '@fedops/backup/dist/machine/machine-restic';
import {
  backupScript,
  machineLayout,
  type AppDataPlan,
  type RunCredentials,
} from '@fedops/backup/dist/machine/machine-scripts';
import { generateRepositoryPassword } from '@fedops/backup/dist/restic/repository-password';
import { parseBackupStatus, parseBackupSummary } from '@fedops/backup/dist/restic/restic-cli';
import { S3Objects } from '@fedops/backup/dist/targets/s3-objects';
import { S3Repositories, type S3Target } from '@fedops/backup/dist/targets/s3-target';
import { shellQuote } from '@fedops/service-kit';
import {
  repoRoot,
  startInfrastructure,
  startLocalMachine,
  type EndpointsFor,
  type Infrastructure,
  type LocalMachine,
} from '@fedops/testing';
import { describe } from '../tenant-round';
import {
  BACKUP_PHASES,
  BACKUP_RATIO_GOAL,
  mib,
  parseRounds,
  pathOrder,
  renderRunsTable,
  renderSummaryTable,
  renderSplitTable,
  runProblems,
  s3Prefix,
  summarizePhase,
  type BackupPath,
  type BackupPhase,
  type BackupRun,
  type PhaseSummary,
} from './backup-report';
import {
  changeOnePercent,
  createDataSet,
  DATA_PATH,
  dataSetShape,
  dataSetSize,
  type DataSet,
} from './data-set';

const execFileAsync = promisify(execFile);
/**
 * The app as the backup service would plan it: its data path, no hooks, and no databases: the
 * PostgreSQL dump is already a file of the data set (made once, not timed), so both paths back up
 * the same bytes and neither spends time in pg_dump.
 */
const PLAN: AppDataPlan = {
  app: 'benchapp',
  dataPaths: [DATA_PATH],
  databases: [],
  hooks: { before: [], after: [] },
};
/** A backup of one round may take this long before it is counted as failed. */
const RUN_TIMEOUT_MS = 30 * 60_000;

interface BenchConfig {
  rounds: number;
  scale: number;
  deadlineMs: number;
}

function readConfig(): BenchConfig {
  const rawScale = process.env['FEDOPS_BENCH_BACKUP_SCALE'];
  const scale = rawScale === undefined ? 1 : Number(rawScale);
  if (!(scale > 0 && scale <= 10))
    throw new Error('FEDOPS_BENCH_BACKUP_SCALE must be a number within (0, 10]');
  const rawDeadline = process.env['FEDOPS_BENCH_DEADLINE_MINUTES'];
  const minutes = rawDeadline === undefined ? 60 : Number(rawDeadline);
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > 600)
    throw new Error('FEDOPS_BENCH_DEADLINE_MINUTES must be an integer 1..600');
  return { rounds: parseRounds(process.argv.slice(2)), scale, deadlineMs: minutes * 60_000 };
}

/** What every run shares: the machine, the storage as the backup service sees it, the data set. */
interface Bench {
  local: LocalMachine;
  repositories: S3Repositories;
  machineRestic: MachineRestic;
  /** The backup service's S3 listing, for a snapshot's full id after its backup. */
  objects: S3Objects;
  set: DataSet;
  workDir: string;
  signal: AbortSignal;
}

/** One repository: where it is, as the backup service (and plain restic, from here) reaches it. */
interface Repo {
  /** The tenant id (fedops) or a prefix of its own (restic), under the bucket: the S3 prefix of its objects. */
  prefix: string;
  location: string;
  password: string;
}

type RunResult = Pick<BackupRun, 'wallMs' | 'machineMs' | 'lookupsMs' | 'statusLines' | 'summary'>;

/** The service's tags of a scheduled backup (SnapshotService.backupApp). */
function tagsFor(repo: Repo): string[] {
  return [`tenant=${repo.prefix}`, `app=${PLAN.app}`, 'reason=scheduled', `operation=${randomUUID()}`];
}

/**
 * A backup exactly as SnapshotService.backupApp takes it of a repository that a backup initialised
 * before (the bench initialises it, untimed): MachineRestic.run of backupScript (the machine's layout,
 * the host and tags the service gives, `initialised: true`), its status lines parsed as they arrive,
 * then the summary, and the snapshot's full id and time from one S3 listing of
 * `<prefix>/snapshots/<short id>` (the service's check: exactly one object, named by a full id). No
 * `restic.repositoryId`: the service reads it only at a repository's first backup. Not done: the
 * service's own database row and events (PostgreSQL and NATS round trips of a few ms).
 */
async function fedopsBackup(bench: Bench, repo: Repo): Promise<RunResult> {
  const machine: MachineRef = { ...bench.local.machine, tenantId: repo.prefix };
  const tags = tagsFor(repo);
  let pending = '';
  let statusLines = 0;
  const started = performance.now();
  const stdout = await bench.machineRestic.run(
    machine,
    repo.password,
    (credentials) =>
      backupScript({
        layout: machineLayout(machine),
        plan: PLAN,
        credentials,
        host: repo.prefix,
        tags,
        initialised: true,
      }),
    `backup of ${PLAN.app}`,
    {
      signal: bench.signal,
      onStdout: (chunk) => {
        const lines = (pending + chunk).split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) if (parseBackupStatus(line) !== undefined) statusLines += 1;
      },
    },
  );
  const ran = performance.now();
  const summary = parseBackupSummary(stdout);
  if (summary === undefined)
    throw new Error(`the backup ended without restic's summary: ${stdout.slice(-300)}`);
  const [found, ...others] = await bench.objects.list(`${repo.prefix}/snapshots/${summary.snapshotId}`);
  const id = found?.key.split('/').pop();
  if (found === undefined || id === undefined || others.length > 0 || !/^[0-9a-f]{64}$/.test(id))
    throw new Error(`snapshot ${summary.snapshotId} is not (or not once) in the repository after its backup`);
  const done = performance.now();
  return {
    wallMs: done - started,
    machineMs: ran - started,
    lookupsMs: done - ran,
    statusLines,
    summary,
  };
}

/**
 * The minimal script of plain restic on the machine: the same environment as backupScript's preamble
 * (the repository as the machine reaches it, the password and the storage keys exported, the same
 * cache folder), then `restic backup --json` of the data path from the file root. Inside a function
 * that reads no standard input, as the service's scripts: `sh -s` reads the script from there.
 */
function plainBackupScript(
  credentials: RunCredentials,
  root: string,
  host: string,
  tags: readonly string[],
): string {
  const env: Record<string, string> = {
    RESTIC_REPOSITORY: credentials.repository,
    RESTIC_PASSWORD: credentials.password,
    ...credentials.backendEnv,
  };
  return [
    'bench_run() {',
    'set -eu',
    'umask 077',
    ...Object.entries(env).map(([name, value]) => `export ${name}=${shellQuote(value)}`),
    `export RESTIC_CACHE_DIR=${shellQuote(`${root}/var/cache/fedops/restic`)}`,
    `cd ${shellQuote(root === '' ? '/' : root)}`,
    `restic backup --json --host ${shellQuote(host)} ${tags.map((t) => `--tag ${shellQuote(t)}`).join(' ')} -- ${shellQuote(DATA_PATH.slice(1))}`,
    '}',
    'bench_run </dev/null',
    '',
  ].join('\n');
}

/**
 * Plain restic where the data is: MachineRestic.run (one SSH session to the machine with the same key
 * and the same `-R` tunnel to the storage as fedops) of plainBackupScript. Only the summary is read.
 */
async function resticOverSsh(bench: Bench, repo: Repo): Promise<RunResult> {
  const machine: MachineRef = { ...bench.local.machine, tenantId: repo.prefix };
  const root = machineLayout(machine).root;
  const tags = tagsFor(repo);
  const started = performance.now();
  const stdout = await bench.machineRestic.run(
    machine,
    repo.password,
    (credentials) => plainBackupScript(credentials, root, repo.prefix, tags),
    `plain restic backup of ${PLAN.app}`,
    { signal: bench.signal },
  );
  const wallMs = performance.now() - started;
  const summary = parseBackupSummary(stdout);
  if (summary === undefined) throw new Error(`restic backup printed no summary: ${stdout.slice(-300)}`);
  return { wallMs, machineMs: wallMs, summary };
}

/** The same backup with plain restic, here, in the same file root, straight to the storage. */
async function resticBackup(bench: Bench, repo: Repo): Promise<RunResult> {
  const tags = tagsFor(repo);
  const args = [
    'backup',
    '--json',
    '--host',
    repo.prefix,
    ...tags.flatMap((t) => ['--tag', t]),
    '--',
    DATA_PATH.slice(1),
  ];
  const env: NodeJS.ProcessEnv = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: process.env['HOME'] ?? tmpdir(),
    RESTIC_REPOSITORY: repo.location,
    RESTIC_PASSWORD: repo.password,
    RESTIC_CACHE_DIR: join(bench.workDir, 'restic-cache'),
    ...bench.repositories.backendEnv(),
  };
  const started = performance.now();
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>(
    (resolve, reject) => {
      const child = spawn('restic', args, { cwd: bench.set.root, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
      const kill = (): void => void child.kill('SIGTERM');
      const timer = setTimeout(kill, RUN_TIMEOUT_MS);
      bench.signal.addEventListener('abort', kill, { once: true });
      child.once('error', (e) => {
        clearTimeout(timer);
        reject(new Error('restic did not start', { cause: e }));
      });
      child.once('close', (c) => {
        clearTimeout(timer);
        bench.signal.removeEventListener('abort', kill);
        resolve({ code: c, stdout: out, stderr: err });
      });
    },
  );
  const wallMs = performance.now() - started;
  if (code !== 0)
    throw new Error(
      `restic backup exited ${code ?? 'by signal'}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`,
    );
  const summary = parseBackupSummary(stdout);
  if (summary === undefined) throw new Error('restic backup printed no summary');
  return { wallMs, summary };
}

/**
 * A fresh repository under `prefix` of the bucket, initialised (not timed, for every path: fedops'
 * script would otherwise init it itself, and the service then reads its id once).
 */
async function freshRepository(bench: Bench, prefix: string): Promise<Repo> {
  const location = bench.repositories.locationFor(prefix);
  // The layout S3Objects.list relies on: the repository's objects under the path after the bucket.
  if (s3Prefix(location, bench.repositories.target.bucket) !== prefix)
    throw new Error(`repository ${location} is not under the prefix ${prefix}`);
  const repo = { prefix, location, password: generateRepositoryPassword() };
  await execFileAsync('restic', ['init'], {
    env: {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      HOME: process.env['HOME'] ?? tmpdir(),
      RESTIC_REPOSITORY: repo.location,
      RESTIC_PASSWORD: repo.password,
      ...bench.repositories.backendEnv(),
    },
  });
  return repo;
}

const RUNNERS: Record<BackupPath, (bench: Bench, repo: Repo) => Promise<RunResult>> = {
  fedops: fedopsBackup,
  'restic-ssh': resticOverSsh,
  'restic-local': resticBackup,
};

async function runRound(bench: Bench, round: number, runs: BackupRun[]): Promise<void> {
  const repos: Record<BackupPath, Repo> = {
    fedops: await freshRepository(bench, randomUUID()),
    'restic-ssh': await freshRepository(bench, `restic-ssh-${randomUUID()}`),
    'restic-local': await freshRepository(bench, `restic-local-${randomUUID()}`),
  };
  for (const phase of BACKUP_PHASES) {
    if (phase === 'changed') {
      const changed = await changeOnePercent(bench.set, round);
      say(
        `round ${round}: changed ${changed.files} small files, one large file, ${changed.rowsUpdated} rows (dumped again)`,
      );
    }
    const order = pathOrder(round);
    for (const [i, path] of order.entries()) {
      const base = { round, phase, path, position: i + 1, load: loadavg()[0] ?? 0 };
      try {
        bench.signal.throwIfAborted();
        const result = await RUNNERS[path](bench, repos[path]);
        runs.push({ ...base, ...result });
        say(
          `round ${round} ${phase} ${path}: ${Math.round(result.wallMs)} ms, ` +
            `added ${mib(result.summary?.dataAdded ?? 0)} MiB`,
        );
      } catch (err) {
        runs.push({ ...base, wallMs: 0, error: describe(err) });
        say(`round ${round} ${phase} ${path} FAILED: ${describe(err)}`);
        if (bench.signal.aborted) return;
      }
    }
  }
}

async function main(): Promise<number> {
  const config = readConfig();
  const root = repoRoot();
  const workDir = await mkdtemp(join(tmpdir(), 'fedops-bench-backup-'));
  const deadline = new AbortController();
  const timer = setTimeout(
    () => deadline.abort(new Error(`deadline of ${config.deadlineMs / 60_000} min passed`)),
    config.deadlineMs,
  );
  const onSignal = (): void => deadline.abort(new Error('interrupted'));
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const shape = dataSetShape(config.scale);
  const runs: BackupRun[] = [];
  const problems: string[] = [];
  const warnings: string[] = [];
  let infra: Infrastructure<EndpointsFor<'postgres' | 's3'>> | undefined;
  let local: LocalMachine | undefined;
  let dataSet: { files: number; bytes: number } | undefined;
  let generationMs: number | undefined;
  try {
    say(`${config.rounds} round(s); scale ${config.scale}; work dir ${workDir}`);
    say('starting PostgreSQL and S3 (versitygw), ephemeral, and a machine (sshd on a loopback address)');
    infra = await startInfrastructure({
      dataDir: join(workDir, 'infra'),
      ephemeral: true,
      components: ['postgres', 's3'],
    });
    local = await startLocalMachine('bench-backup');
    say(
      `writing the data set: ${shape.smallFiles} small files, ${shape.largeFiles} x ${mib(shape.largeBytes)} MiB, ` +
        `a dump of ${shape.rows} rows, into ${local.machine.fsRoot}${DATA_PATH}`,
    );
    const generating = performance.now();
    const set = await createDataSet(local.machine.fsRoot, shape, infra.endpoints.postgres);
    generationMs = performance.now() - generating;
    dataSet = await dataSetSize(set);
    say(
      `data set: ${dataSet.files} files, ${mib(dataSet.bytes)} MiB, written in ${Math.round(generationMs)} ms`,
    );

    // The backup service's storage, reached by machines through a forwarded port (FEDOPS_BACKUP_S3_REACH=ssh-tunnel).
    const target: S3Target = { ...infra.endpoints.s3, reach: 'ssh-tunnel' };
    const repositories = new S3Repositories(target);
    const bench: Bench = {
      local,
      repositories,
      machineRestic: new MachineRestic(
        { privateKeyFile: local.privateKeyFile, workDir: join(workDir, 'service') },
        repositories,
      ),
      objects: new S3Objects(target),
      set,
      workDir,
      signal: deadline.signal,
    };
    for (let round = 1; round <= config.rounds && !deadline.signal.aborted; round++) {
      await runRound(bench, round, runs);
    }
    if (deadline.signal.aborted) problems.push(`stopped: ${describe(deadline.signal.reason)}`);
  } catch (err) {
    problems.push(`benchmark failed: ${describe(err)}`);
  } finally {
    clearTimeout(timer);
    if (local !== undefined) {
      await stopMachine(local).then(
        (warning) => void (warning !== undefined && warnings.push(warning)),
        (err: unknown) => void problems.push(`machine did not stop: ${describe(err)}`),
      );
    }
    await infra
      ?.stop()
      .catch((err: unknown) => problems.push(`infrastructure did not stop: ${describe(err)}`));
  }

  problems.push(...runProblems(runs));
  const summaries = BACKUP_PHASES.map((phase: BackupPhase) => summarizePhase(runs, phase)).filter(
    (s): s is PhaseSummary => s !== undefined,
  );
  if (runs.length > 0) process.stdout.write(`\nbackups, in the order they ran\n\n${renderRunsTable(runs)}\n`);
  if (summaries.length > 0) {
    process.stdout.write(
      `\n${dataSet ? `${dataSet.files} files, ${mib(dataSet.bytes)} MiB` : 'data set'}; medians over the rounds ` +
        `(ms; MiB added to the repository); ssh: plain restic on the machine over SSH, local: plain restic here\n\n` +
        `${renderSummaryTable(summaries)}\n\nwhere the time went (medians, ms)\n\n${renderSplitTable(summaries)}\n\n` +
        summaries
          .map(
            (s) =>
              `goal (fedops <= ${BACKUP_RATIO_GOAL}x plain restic over SSH), ${s.phase}: ${s.overSsh.ratio.toFixed(2)}x, ` +
              `${s.goalMet ? 'met' : 'missed'} (fedops ${Math.round(s.overheadMs)} ms more; ${s.overLocal.ratio.toFixed(2)}x restic here)`,
          )
          .join('\n') +
        '\n\n',
    );
  }
  const resultFile = await writeResults(root, {
    config,
    fedopsScript: scriptResticLines(),
    shape,
    dataSet,
    generationMs,
    runs,
    summaries,
    problems,
    warnings,
  });
  say(`results written to ${resultFile}`);
  for (const w of warnings) say(`warning: ${w}`);
  if (problems.length > 0) {
    process.stderr.write(`\nPROBLEMS:\n${problems.map((p) => `  - ${p}`).join('\n')}\n`);
    say(`work dir kept: ${workDir}`);
    return 1;
  }
  await rm(workDir, { recursive: true, force: true });
  return 0;
}

/**
 * Stops the machine with LocalMachine.stop; should that throw (it did before it found the stand-in's
 * stop script from the repository root again), stops sshd itself, by the pid its PidFile holds, and
 * removes the machine's folder: no stand-in ran here. Returns a warning when it had to.
 */
async function stopMachine(local: LocalMachine): Promise<string | undefined> {
  try {
    await local.stop();
    return undefined;
  } catch (err) {
    const pid = Number((await readFile(join(local.dir, 'sshd.pid'), 'utf8')).trim());
    if (!Number.isInteger(pid) || pid <= 1)
      throw new Error(`machine did not stop and sshd.pid is unreadable`, { cause: err });
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // gone already
    }
    await rm(local.dir, { recursive: true, force: true });
    return `LocalMachine.stop failed (${describe(err).split('\n')[0]}); stopped its sshd (pid ${pid}) and removed ${local.dir} here`;
  }
}

/**
 * The restic commands of the backup script as the bench ran it (from services/backup's build): what
 * the fedops path ran on the machine, recorded with the results.
 */
function scriptResticLines(): string[] {
  const text = backupScript({
    layout: { root: '/r', runHooks: false, pgDump: 'pg_dump', pgRestore: 'pg_restore', psql: 'psql' },
    plan: PLAN,
    credentials: { repository: 's3:http://127.0.0.1:1/b/t', password: 'p', backendEnv: {} },
    host: 'h',
    tags: ['t'],
    initialised: true,
  });
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /(^|[\s;{(])restic /.test(l));
}

async function writeResults(root: string, body: Record<string, unknown>): Promise<string> {
  const dir = join(root, 'bench', 'results');
  await mkdir(dir, { recursive: true });
  const file = join(dir, `backup-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  const content = {
    benchmark: 'backup',
    at: new Date().toISOString(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version, loadavg: loadavg() },
    goal: { ratio: BACKUP_RATIO_GOAL },
    ...body,
  };
  await writeFile(file, JSON.stringify(content, null, 2) + '\n');
  return file;
}

function say(msg: string): void {
  process.stderr.write(`[bench] ${msg}\n`);
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`[bench] ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
