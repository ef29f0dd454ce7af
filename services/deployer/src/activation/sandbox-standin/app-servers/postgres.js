/*
 * The machine's PostgreSQL on a sandbox machine: ONE cluster per machine for every app database of
 * the generation, as base.nix configures services.postgresql on NixOS. Plain CommonJS, no
 * dependencies: shipped to sandbox machines next to fedops-standin-activate.js.
 *
 *   data     <root>/var/lib/fedops/postgresql/<major>   (initdb once; owned by postgres, 0700)
 *   socket   <root>/run/fedops/postgresql/.s.PGSQL.5432 (listen_addresses = '': no TCP at all),
 *            named by /run/fedops-standin-sockets/<16 hex of sha256(root)>, a link to that folder
 *   log      <root>/var/log/fedops/postgresql.log
 *
 * The link: a Unix socket's path must fit in 107 bytes (sun_path), and a sandbox machine's root can
 * be long (a platform's state folder, then sandbox/hosts/<name>/root). The server and its clients
 * use the link's short path; the socket itself is in the machine's folder. `stop` removes the link,
 * and every activation removes links whose machine folder is gone (a destroyed machine's).
 *
 * Authentication: `trust` on the Unix socket, whose folder is postgres' own (0700), so only root and
 * postgres reach it, the same two who can read the data files anyway; every other local user and
 * every host on the network has no way in (no TCP listener). So the roles have no passwords, and none
 * is kept anywhere. NixOS uses `peer` instead, each app connecting as its own system user; in the
 * sandbox every app server runs as root, so peer would only map root onto every role.
 *
 * Durability: fsync, full_page_writes and synchronous_commit keep their defaults (on): the cluster
 * holds tenant data that backups and migrations move. Memory is kept small (shared_buffers 16MB,
 * max_connections 30) so that 50 machines fit on one test host.
 *
 * PostgreSQL refuses to run as root, and a sandbox machine's root folder lies below folders only root
 * may enter (the sandbox host's 0700 state folder). So initdb and the server run as the `postgres`
 * user with one capability, CAP_DAC_READ_SEARCH (to walk down to their folder), set by setpriv(1)
 * as an ambient capability: less than the root every other stand-in process runs as.
 */
'use strict';

const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');
const { isAlive, PG_BIN, readText, sleep } = require('./processes.js');

const SOCKET_LINKS = process.env.FEDOPS_STANDIN_SOCKET_LINKS || '/run/fedops-standin-sockets';
const SETPRIV = process.env.FEDOPS_STANDIN_SETPRIV || '/usr/bin/setpriv';
const PG_USER = 'postgres';
const PORT = 5432;
const CONF_FILE = 'fedops.conf';
/** Role and database names the catalog uses (lower-case words with - and _): no quoting surprises. */
const NAME = /^[a-z][a-z0-9_-]{0,62}$/;

function major() {
  const out = spawnSync(path.join(PG_BIN, 'postgres'), ['--version'], { encoding: 'utf8' });
  const m = /\b(\d+)(?:\.\d+)?/.exec(out.stdout || '');
  if (out.status !== 0 || m === null)
    throw new Error(`cannot run ${path.join(PG_BIN, 'postgres')} --version: ${out.stderr || out.error}`);
  return m[1];
}

function postgresLayout(root) {
  const base = path.join(root, 'var/lib/fedops/postgresql');
  return {
    base,
    dataDir: (version) => path.join(base, version),
    socketDir: path.join(root, 'run/fedops/postgresql'),
    log: path.join(root, 'var/log/fedops/postgresql.log'),
  };
}

/** The short name of a machine's socket folder (see the top of this file). */
function socketLink(root) {
  return path.join(SOCKET_LINKS, crypto.createHash('sha256').update(root).digest('hex').slice(0, 16));
}

/** What clients pass as host and port: the socket folder (libpq, lib/pq and Gitea all take one). */
function postgresConnection(root) {
  return { host: socketLink(root), port: PORT };
}

/** The socket folder (postgres' own, 0700), then its short name. */
function prepareSocketDir(root) {
  const { socketDir } = postgresLayout(root);
  const { uid, gid } = pgUser();
  fs.mkdirSync(socketDir, { recursive: true, mode: 0o700 });
  fs.chownSync(socketDir, uid, gid);
  fs.chmodSync(socketDir, 0o700);
  ensureSocketLink(root);
}

/** Points the machine's short socket name at its socket folder; drops links of machines that are gone. */
function ensureSocketLink(root) {
  const target = postgresLayout(root).socketDir;
  const link = socketLink(root);
  fs.mkdirSync(SOCKET_LINKS, { recursive: true, mode: 0o700 });
  for (const name of fs.readdirSync(SOCKET_LINKS)) {
    const other = path.join(SOCKET_LINKS, name);
    let to;
    try {
      to = fs.readlinkSync(other);
    } catch {
      continue; // not a link: not ours
    }
    if (other !== link && !fs.existsSync(to)) fs.rmSync(other, { force: true });
  }
  let current;
  try {
    current = fs.readlinkSync(link);
  } catch {
    current = undefined;
  }
  if (current === target) return;
  const tmp = `${link}.tmp-${process.pid}`;
  fs.rmSync(tmp, { force: true });
  fs.symlinkSync(target, tmp);
  fs.renameSync(tmp, link);
}

function pgUser() {
  const passwd = readText('/etc/passwd')
    .split('\n')
    .map((l) => l.split(':'))
    .find((f) => f[0] === PG_USER);
  if (passwd === undefined)
    throw new Error(`no ${PG_USER} user on this host (Debian's postgresql package makes it)`);
  return { uid: Number(passwd[2]), gid: Number(passwd[3]) };
}

/** argv that runs `command` as postgres, allowed to walk (not write) every folder down to its own. */
function asPostgres(command, args) {
  return {
    command: SETPRIV,
    args: [
      `--reuid=${PG_USER}`,
      `--regid=${PG_USER}`,
      '--init-groups',
      '--inh-caps=+dac_read_search',
      '--ambient-caps=+dac_read_search',
      '--',
      command,
      ...args,
    ],
  };
}

function settings(root) {
  const l = postgresLayout(root);
  return `# Written by the fedops sandbox stand-in (app-servers/postgres.js) on every activation. Do not edit.
listen_addresses = ''
port = ${PORT}
unix_socket_directories = '${socketLink(root)}'
unix_socket_permissions = 0700
max_connections = 30
superuser_reserved_connections = 3
shared_buffers = 16MB
work_mem = 2MB
maintenance_work_mem = 16MB
max_worker_processes = 4
max_parallel_workers = 2
max_parallel_workers_per_gather = 0
autovacuum_max_workers = 2
min_wal_size = 32MB
max_wal_size = 256MB
# Durable: this cluster holds tenant data.
fsync = on
synchronous_commit = on
full_page_writes = on
logging_collector = off
log_min_messages = warning
log_line_prefix = '%m [%p] %q%u@%d '
timezone = 'UTC'
`;
}

/** The postmaster's pid and whether it says it is ready, from <data>/postmaster.pid; undefined when not running. */
function postmaster(dataDir) {
  const lines = readText(path.join(dataDir, 'postmaster.pid')).split('\n');
  const pid = Number(lines[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return undefined;
  // Guards against a reused pid: the postmaster keeps its argv, which names the data folder.
  if (!readText(`/proc/${pid}/cmdline`).split('\0').includes(dataDir)) return undefined;
  return { pid, ready: (lines[7] || '').trim() === 'ready' };
}

function logTail(file, count = 8) {
  return readText(file).trim().split('\n').slice(-count).join(' | ');
}

/** initdb once, into a temporary folder renamed into place, so a crash never leaves half a cluster. */
function ensureCluster(root, version, log) {
  const l = postgresLayout(root);
  const dataDir = l.dataDir(version);
  if (fs.existsSync(path.join(dataDir, 'PG_VERSION'))) return dataDir;
  const { uid, gid } = pgUser();
  fs.mkdirSync(l.base, { recursive: true, mode: 0o700 });
  fs.chownSync(l.base, uid, gid);
  fs.chmodSync(l.base, 0o700);
  const tmp = `${dataDir}.initdb-tmp`;
  fs.rmSync(tmp, { recursive: true, force: true });
  log(`postgresql: initialising the machine's cluster in ${dataDir}`);
  const { command, args } = asPostgres(path.join(PG_BIN, 'initdb'), [
    '--pgdata',
    tmp,
    '--username',
    PG_USER,
    '--auth-local=trust',
    '--auth-host=scram-sha-256',
    '--encoding=UTF8',
    '--locale=C',
    '--data-checksums',
    '--no-instructions',
  ]);
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 120000 });
  if (result.status !== 0) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw new Error(`initdb failed: ${(result.stderr || String(result.error)).trim()}`);
  }
  fs.appendFileSync(path.join(tmp, 'postgresql.conf'), `\ninclude = '${CONF_FILE}'\n`);
  fs.renameSync(tmp, dataDir);
  return dataDir;
}

/** Writes fedops.conf; true when it changed. */
function writeSettings(root, dataDir) {
  const file = path.join(dataDir, CONF_FILE);
  const content = settings(root);
  if (readText(file) === content) return false;
  const { uid, gid } = pgUser();
  fs.writeFileSync(file, content, { mode: 0o600 });
  fs.chownSync(file, uid, gid);
  return true;
}

/** Starts the postmaster (detached, its own process group) and waits until it says it is ready. */
async function start(root, dataDir, log) {
  const l = postgresLayout(root);
  fs.mkdirSync(path.dirname(l.log), { recursive: true });
  log('starting the following units: postgresql.service');
  const logFd = fs.openSync(l.log, 'a');
  const { command, args } = asPostgres(path.join(PG_BIN, 'postgres'), ['-D', dataDir]);
  const child = spawn(command, args, { detached: true, stdio: ['ignore', logFd, logFd], cwd: '/' });
  fs.closeSync(logFd);
  let exited = false;
  child.on('exit', () => (exited = true));
  child.unref();
  const deadline = Date.now() + 60000;
  for (;;) {
    const pm = postmaster(dataDir);
    if (pm !== undefined && pm.ready) return pm.pid;
    if (exited) throw new Error(`postgresql exited while starting: ${logTail(l.log)}`);
    if (Date.now() > deadline) throw new Error(`postgresql not ready within 60 s: ${logTail(l.log)}`);
    await sleep(50);
  }
}

function psql(root, sql) {
  const { host, port } = postgresConnection(root);
  const result = spawnSync(
    path.join(PG_BIN, 'psql'),
    ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', host, '-p', String(port), '-U', PG_USER, '-d', 'postgres'],
    { input: sql, encoding: 'utf8', timeout: 60000 },
  );
  if (result.status !== 0) throw new Error(`psql: ${(result.stderr || String(result.error)).trim()}`);
  return result.stdout;
}

/** Each database with an owner role of the same name (NixOS: ensureDatabases + ensureDBOwnership). */
function ensureDatabases(root, names) {
  const statements = names.map((name) => {
    if (!NAME.test(name)) throw new Error(`postgresql: refusing the database name ${JSON.stringify(name)}`);
    return `SELECT format('CREATE ROLE %I LOGIN', '${name}') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${name}')\\gexec
SELECT format('CREATE DATABASE %I OWNER %I TEMPLATE template0 ENCODING ''UTF8'' LC_COLLATE ''C'' LC_CTYPE ''C''', '${name}', '${name}') WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '${name}')\\gexec
SELECT format('ALTER DATABASE %I OWNER TO %I', '${name}', '${name}')\\gexec
`;
  });
  if (statements.length > 0) psql(root, statements.join(''));
}

/**
 * Makes sure the machine's cluster exists, runs and holds `databases` (each with its owner role).
 * Idempotent; a running server is kept (a changed fedops.conf is reloaded).
 */
async function ensurePostgres(root, databases, log) {
  const version = major();
  const dataDir = ensureCluster(root, version, log);
  const changed = writeSettings(root, dataDir);
  prepareSocketDir(root);
  const running = postmaster(dataDir);
  if (running === undefined) {
    await start(root, dataDir, log);
  } else if (changed) {
    log(`reloading the following units: postgresql.service (pid ${running.pid})`);
    process.kill(running.pid, 'SIGHUP');
  }
  ensureDatabases(root, databases);
  return { dataDir, ...postgresConnection(root) };
}

/** Fast shutdown (SIGINT: open transactions roll back, everything committed is on disk). */
async function stopPostgres(root, log) {
  const l = postgresLayout(root);
  let dirs = [];
  try {
    dirs = fs.readdirSync(l.base).filter((n) => /^\d+$/.test(n));
  } catch (err) {
    if (err.code !== 'ENOENT') throw err;
  }
  for (const version of dirs) {
    const dataDir = l.dataDir(version);
    const pm = postmaster(dataDir);
    if (pm === undefined) continue;
    log(`stopping the following units: postgresql.service (pid ${pm.pid})`);
    process.kill(pm.pid, 'SIGINT');
    const deadline = Date.now() + 30000;
    while (isAlive(pm.pid) && Date.now() < deadline) await sleep(50);
    if (isAlive(pm.pid)) {
      log(`postgresql (pid ${pm.pid}) did not stop within 30 s; sending SIGQUIT`);
      process.kill(pm.pid, 'SIGQUIT');
      const last = Date.now() + 5000;
      while (isAlive(pm.pid) && Date.now() < last) await sleep(50);
      if (isAlive(pm.pid)) process.kill(-pm.pid, 'SIGKILL');
    }
  }
  const link = socketLink(root);
  try {
    if (fs.readlinkSync(link) === l.socketDir) fs.rmSync(link, { force: true });
  } catch {
    // no link
  }
}

module.exports = { ensurePostgres, stopPostgres, postgresConnection, postgresLayout, POSTGRES_PORT: PORT };
