import path from 'node:path';
import type { ActivationKind, RestoreStrategy } from '@fedops/contracts';
import {
  SANDBOX_POSTGRES_BIN_DIR,
  SANDBOX_POSTGRES_PORT,
  SANDBOX_POSTGRES_SUPERUSER,
  sandboxPostgresSocketDir,
} from '@fedops/sandbox-host';
import { shellQuote } from '@fedops/service-kit';

/**
 * The shell scripts restic runs in on a tenant's machine, where the data is. Pure: built from typed
 * values, every one of them quoted; run by MachineRestic as `sh -s` with the script on standard
 * input, so the repository password and the storage keys appear on no command line and in no file.
 *
 * Paths: the snapshot holds the machine's own layout (`/var/lib/forgejo`) whatever its file root
 * (`/` on a VM, a folder on a sandbox host), because restic runs in the file root with relative
 * paths; a snapshot taken on one machine restores onto another.
 */

/** Exit codes of the scripts' own checks (restic's are below 64). */
export const SCRIPT_EXIT = {
  hookFailed: 70,
  dumpFailed: 71,
  noSpace: 72,
  restoreFailed: 73,
} as const;

/** Where the machine's data and its PostgreSQL are, as the scripts reach them. */
export interface MachineLayout {
  /** The machine's file root without a trailing slash: '' on a VM. */
  root: string;
  /** Run hooks (catalog commands for NixOS hosts; the sandbox stand-ins have none of those tools). */
  runHooks: boolean;
  /** Command prefixes of the PostgreSQL clients, connected as the cluster's superuser. */
  pgDump: string;
  pgRestore: string;
  psql: string;
}

export function machineLayout(machine: { fsRoot: string; activation: ActivationKind }): MachineLayout {
  const root = machine.fsRoot.replace(/\/+$/, '');
  if (machine.activation === 'nixos-rebuild') {
    // services.postgresql: peer authentication on /run/postgresql; the clients are on the PATH.
    const asPostgres = (tool: string): string => `runuser -u postgres -- ${tool}`;
    return {
      root,
      runHooks: true,
      pgDump: asPostgres('pg_dump'),
      pgRestore: asPostgres('pg_restore'),
      psql: asPostgres('psql'),
    };
  }
  const connection = [
    '-h',
    sandboxPostgresSocketDir(machine.fsRoot),
    '-p',
    String(SANDBOX_POSTGRES_PORT),
    '-U',
    SANDBOX_POSTGRES_SUPERUSER,
  ]
    .map(shellQuote)
    .join(' ');
  const tool = (name: string): string =>
    `${shellQuote(path.posix.join(SANDBOX_POSTGRES_BIN_DIR, name))} ${connection}`;
  return {
    root,
    runHooks: false,
    pgDump: tool('pg_dump'),
    pgRestore: tool('pg_restore'),
    psql: tool('psql'),
  };
}

/** What one app's backup or restore touches, from the catalog. */
export interface AppDataPlan {
  app: string;
  dataPaths: readonly string[];
  databases: readonly string[];
  hooks: { before: readonly string[]; after: readonly string[] };
}

/** The repository as the machine reaches it, and the keys for this run. */
export interface RunCredentials {
  /** `s3:http://127.0.0.1:<forwarded port>/bucket/tenant`, or the storage's own URL. */
  repository: string;
  password: string;
  backendEnv: Record<string, string>;
}

/** Where an app's database dumps are while a backup runs, and inside its snapshots. */
export function dumpFolder(app: string): string {
  return `/var/lib/fedops/backup-staging/${app}`;
}

export interface BackupScriptInput {
  layout: MachineLayout;
  plan: AppDataPlan;
  credentials: RunCredentials;
  host: string;
  tags: string[];
  /** A backup has initialised the repository already (else this one does, if no one did). */
  initialised: boolean;
}

/**
 * Backs up one app: its before hooks, a dump of each database (custom format, uncompressed so that
 * restic deduplicates it between snapshots), one `restic backup --json` of the data paths that exist
 * and the dumps, then the after hooks (also when something failed). The first backup of a tenant
 * creates its repository. Every restic process opens the repository (a key derivation: most of a
 * small backup's time), so a backup runs one: only when it finds the repository locked (a killed
 * prune or check left an exclusive lock) does it run `restic unlock`, which removes only stale locks
 * (of processes that are gone, or older than 30 minutes), and back up again. Standard output carries
 * only restic's JSON lines.
 */
export function backupScript(input: BackupScriptInput): string {
  const { layout, plan, credentials } = input;
  const dumps = dumpFolder(plan.app);
  const lines = [
    ...preamble(layout, credentials),
    `stage="$root"${shellQuote(dumps)}`,
    'after_hooks() {',
    ...(layout.runHooks ? plan.hooks.after : []).map(
      (hook) => `  ( ${hook} ) >&2 || echo ${shellQuote(`fedops: after-backup hook failed: ${hook}`)} >&2`,
    ),
    '  :',
    '}',
    `trap 'rm -rf "$stage" "$stage.stderr"; after_hooks' EXIT`,
    'rm -rf "$stage" && mkdir -p "$stage"',
    // Not initialised as far as fedops knows (an earlier attempt may have got as far as `init`):
    // only a repository that is not there is created; a wrong password or a lock (which `init`
    // would report as "config file already exists") fails the run with restic's own message.
    ...(input.initialised
      ? []
      : [
          'opened=0; why=$(restic --no-lock cat config 2>&1 >/dev/null) || opened=$?',
          'if [ "$opened" -ne 0 ]; then',
          '  case "$opened:$why" in',
          `    10:*|*${shellQuote('Is there a repository at the following location?')}*) restic init >&2 ;;`,
          `    *) printf '%s\\n' "$why" >&2; exit "$opened" ;;`,
          '  esac',
          'fi',
        ]),
    ...(layout.runHooks ? plan.hooks.before : []).map(
      (hook) =>
        `( ${hook} ) >&2 || { echo ${shellQuote(`fedops: before-backup hook failed: ${hook}`)} >&2; exit ${SCRIPT_EXIT.hookFailed}; }`,
    ),
    ...plan.databases.map(
      (db) =>
        `${layout.pgDump} --format=custom --compress=0 ${shellQuote(db)} > "$stage"/${shellQuote(`${db}.pgdump`)} ` +
        `|| { echo ${shellQuote(`fedops: pg_dump of database ${db} failed`)} >&2; exit ${SCRIPT_EXIT.dumpFailed}; }`,
    ),
    'cd "${root:-/}"',
    'set --',
    ...plan.dataPaths.map(
      (p) => `if [ -e ${shellQuote(relative(p))} ]; then set -- "$@" ${shellQuote(relative(p))}; fi`,
    ),
    'errors="$stage.stderr"',
    `backup() { restic backup --json --host ${shellQuote(input.host)} ${input.tags.map((t) => `--tag ${shellQuote(t)}`).join(' ')} -- "$@" ${shellQuote(relative(dumps))} 2>"$errors"; }`,
    'rc=0; backup "$@" || rc=$?',
    'if [ "$rc" -ne 0 ] && grep -q -e "repository is already locked" -e "unable to create lock" "$errors"; then',
    '  cat "$errors" >&2',
    // Not a `fedops:` line: those name why a run failed (runFailure), and this one may still succeed.
    `  echo ${shellQuote('note: the repository was locked; stale locks removed, backing up again')} >&2`,
    '  restic unlock >&2',
    '  rc=0; backup "$@" || rc=$?',
    'fi',
    'cat "$errors" >&2; rm -f "$errors"',
    'exit "$rc"',
  ];
  return wholeScript(lines);
}

export interface RestoreScriptInput {
  layout: MachineLayout;
  plan: AppDataPlan;
  credentials: RunCredentials;
  snapshotId: string;
  /** Bytes of the snapshot's files: the free space a safe restore needs. */
  snapshotBytes: number;
  strategy: RestoreStrategy;
  /** Names the run's temporary folders and databases. */
  runId: string;
}

/**
 * Restores one app from one snapshot; see RESTORE_STRATEGIES for what each strategy does. Both
 * check the free space first and remove their temporary data at the end. The databases are restored
 * by pg_restore as the cluster's superuser, so every object keeps the owner role it had.
 */
export function restoreScript(input: RestoreScriptInput): string {
  const { layout, plan, credentials, snapshotId, strategy, runId } = input;
  if (!/^[0-9a-f]{64}$/.test(snapshotId)) throw new Error(`not a full snapshot id: ${snapshotId}`);
  if (!/^[A-Za-z0-9-]{1,64}$/.test(runId)) throw new Error(`not a run id: ${runId}`);
  // Written into shell arithmetic: 1e21 or NaN would be a syntax error there, not a failed check.
  if (!Number.isSafeInteger(input.snapshotBytes) || input.snapshotBytes < 0) {
    throw new Error(`not a byte count: ${input.snapshotBytes}`);
  }
  const dumps = dumpFolder(plan.app);
  const fail = (message: string, code: number): string =>
    `{ echo ${shellQuote(`fedops: ${message}`)} >&2; exit ${code}; }`;
  const sql = (statement: string): string =>
    `${layout.psql} -X -q -v ON_ERROR_STOP=1 -d postgres -c ${shellQuote(statement)} >&2`;
  const lines = [
    ...preamble(layout, credentials),
    `work="$root"${shellQuote(`/var/lib/fedops/restore/${runId}/${plan.app}`)}`,
    `trap 'rm -rf "$work"' EXIT`,
    'rm -rf "$work" && mkdir -p "$work"',
    'restic unlock >&2',
  ];
  // Free space where the data lives: a safe restore holds a second copy; in place, the snapshot's
  // bytes beyond what the live data (removed first) takes now.
  lines.push(
    'free=$(( $(df -Pk "${root:-/}/var/lib" | awk \'NR==2 {print $4}\') * 1024 ))',
    strategy === 'safe'
      ? `need=${input.snapshotBytes}`
      : [
          'live=0',
          ...plan.dataPaths.map(
            (p) =>
              `if [ -e "$root"${shellQuote(p)} ]; then live=$(( live + $(du -sb "$root"${shellQuote(p)} | cut -f1) )); fi`,
          ),
          `need=$(( ${input.snapshotBytes} - live ))`,
        ].join('\n'),
    `if [ "$need" -gt "$free" ]; then echo "fedops: not enough free space on the machine: the restore needs $need bytes, $free are free" >&2; exit ${SCRIPT_EXIT.noSpace}; fi`,
  );
  if (strategy === 'safe') {
    lines.push(
      `restic restore ${snapshotId} --target "$work" --verify >&2 || ${fail('restic restore into a new location failed', SCRIPT_EXIT.restoreFailed)}`,
    );
    for (const db of plan.databases) {
      const fresh = `${db}__fedops_restore`;
      lines.push(
        sql(`DROP DATABASE IF EXISTS ${ident(fresh)}`),
        sql(`CREATE DATABASE ${ident(fresh)} OWNER ${ident(db)} TEMPLATE template0`),
        `${layout.pgRestore} --exit-on-error -d ${shellQuote(fresh)} < "$work"${shellQuote(`${dumps}/${db}.pgdump`)} >&2 ` +
          `|| ${fail(`pg_restore of database ${db} into a new database failed`, SCRIPT_EXIT.restoreFailed)}`,
      );
    }
    // Verified and complete: swap the files, then the databases (connections ended, none let in).
    for (const p of plan.dataPaths) {
      const live = `"$root"${shellQuote(p)}`;
      const old = `"$root"${shellQuote(`${p}.fedops-old-${runId}`)}`;
      lines.push(
        `rm -rf ${old}`,
        `if [ -e ${live} ]; then mv ${live} ${old}; fi`,
        `mkdir -p "$(dirname ${live})"`,
        `if [ -e "$work"${shellQuote(p)} ]; then mv "$work"${shellQuote(p)} ${live}; else mkdir -p ${live}; fi`,
      );
    }
    for (const db of plan.databases) {
      const fresh = `${db}__fedops_restore`;
      const old = `${db}__fedops_old`;
      lines.push(
        sql(`DROP DATABASE IF EXISTS ${ident(old)}`),
        sql(`ALTER DATABASE ${ident(db)} ALLOW_CONNECTIONS false`),
        sql(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ${literal(db)} AND pid <> pg_backend_pid()`,
        ),
        sql(`ALTER DATABASE ${ident(db)} RENAME TO ${ident(old)}`),
        sql(`ALTER DATABASE ${ident(fresh)} RENAME TO ${ident(db)}`),
        sql(`DROP DATABASE ${ident(old)}`),
      );
    }
    lines.push(...plan.dataPaths.map((p) => `rm -rf "$root"${shellQuote(`${p}.fedops-old-${runId}`)}`));
  } else {
    lines.push(
      `restic restore ${snapshotId} --target "$work" --include ${shellQuote(dumps)} --verify >&2 || ${fail('restic restore of the database dumps failed', SCRIPT_EXIT.restoreFailed)}`,
    );
    for (const p of plan.dataPaths) {
      const live = `"$root"${shellQuote(p)}`;
      lines.push(
        `if [ -e ${live} ]; then find ${live} -mindepth 1 -delete; fi`,
        `restic restore ${snapshotId} --target "\${root:-/}" --include ${shellQuote(p)} --verify >&2 || ${fail(`restic restore of ${p} failed`, SCRIPT_EXIT.restoreFailed)}`,
      );
    }
    for (const db of plan.databases) {
      lines.push(
        `${layout.pgRestore} --clean --if-exists --single-transaction --exit-on-error -d ${shellQuote(db)} < "$work"${shellQuote(`${dumps}/${db}.pgdump`)} >&2 ` +
          `|| ${fail(`pg_restore of database ${db} failed (it was left as it was: one transaction)`, SCRIPT_EXIT.restoreFailed)}`,
      );
    }
  }
  return wholeScript(lines);
}

/**
 * The lines as one function, called only once `sh -s` has read all of it, with /dev/null as its
 * standard input. Run line by line from standard input, a command that reads it (a hook, a tool that
 * asks something) would swallow the rest of the script, and a script cut off on the way would run
 * in part; both would end with exit 0. Now neither can: an incomplete script does not parse.
 */
function wholeScript(lines: readonly string[]): string {
  return ['fedops_run() {', ...lines, '}', 'fedops_run </dev/null', ''].join('\n');
}

function preamble(layout: MachineLayout, credentials: RunCredentials): string[] {
  const env: Record<string, string> = {
    RESTIC_REPOSITORY: credentials.repository,
    RESTIC_PASSWORD: credentials.password,
    ...credentials.backendEnv,
  };
  return [
    'set -eu',
    'umask 077',
    `root=${shellQuote(layout.root)}`,
    ...Object.entries(env).map(([name, value]) => `export ${name}=${shellQuote(value)}`),
    'export RESTIC_CACHE_DIR="$root/var/cache/fedops/restic"',
  ];
}

/** `/var/lib/x` -> `var/lib/x`: restic runs in the file root. */
function relative(p: string): string {
  if (!p.startsWith('/') || p.split('/').includes('..')) throw new Error(`not an absolute data path: ${p}`);
  return p.replace(/^\/+/, '');
}

/** A PostgreSQL identifier, double-quoted (catalog names hold `-`). */
function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function literal(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}
