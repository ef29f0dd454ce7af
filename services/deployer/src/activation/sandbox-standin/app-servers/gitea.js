/*
 * Launch recipe for Gitea (Forgejo's upstream; Forgejo itself cannot be fetched here) on a sandbox
 * machine. Plain CommonJS, no dependencies: it is shipped to sandbox machines next to
 * fedops-standin-activate.js.
 *
 * giteaLaunch(options) is pure: it returns what to write and what to run, and does neither.
 *   { files: [{ path, content, mode }],   write these first (parents created, mode applied)
 *     prepare: [],                        nothing to run before the server
 *     command: [argv...], env: {...}, cwd, the server itself (runs in the foreground; it migrates
 *                                         the database on start)
 *     healthPath }                        GET http://<listenAddress>:<port><healthPath> is 200 when up
 *
 * Every secret Gitea would otherwise generate and write back into app.ini is given, so app.ini is
 * never rewritten. Registration is closed; the first admin is made with giteaCreateAdmin once the
 * server has started (the command needs the migrated database). Git over HTTP and the API work; the
 * web UI is unstyled because the Go module carries no built frontend assets. Built by
 * scripts/ensure-app-servers.sh (binaries: libs/sandbox-host/src/app-servers.ts).
 */
'use strict';

const path = require('node:path');

const HEALTH_PATH = '/api/healthz';
const CONFIG_FILE = 'app.ini';
/** Gitea decodes these as base64url (no padding) of exactly 32 bytes, else it makes new ones. */
const JWT_SECRET = /^[A-Za-z0-9_-]{43}$/;

function requireString(value, name) {
  if (typeof value !== 'string' || value === '') throw new Error(`gitea: ${name} must be a non-empty string`);
  if (/[\r\n\0]/.test(value)) throw new Error(`gitea: ${name} must not contain line breaks`);
  return value;
}

function requirePort(value, name) {
  if (!Number.isInteger(value) || value < 1 || value > 65535)
    throw new Error(`gitea: ${name} must be a TCP port`);
  return value;
}

/**
 * An app.ini value. Gitea's ini parser treats `#` and `;` anywhere in a bare value as the start of a
 * comment, so values are quoted with backticks (read verbatim); a value holding one is refused.
 */
function iniValue(value, name) {
  const text = requireString(String(value), name);
  if (text.includes('`')) throw new Error(`gitea: ${name} must not contain a backtick`);
  return `\`${text}\``;
}

function hostPort(host, port) {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function paths(dataDir) {
  return {
    config: path.join(dataDir, CONFIG_FILE),
    data: path.join(dataDir, 'data'),
    repositories: path.join(dataDir, 'repositories'),
    log: path.join(dataDir, 'log'),
  };
}

function renderIni(o, p) {
  const s = o.secrets;
  const v = iniValue;
  const rootUrl = o.rootUrl ?? `https://${o.domain}/`;
  return `; Written by the fedops sandbox stand-in (app-servers/gitea.js) for Gitea v1.27.3.
APP_NAME = ${v(o.appName ?? `Git on ${o.domain}`, 'appName')}
RUN_MODE = prod
WORK_PATH = ${v(o.dataDir, 'dataDir')}
; Sandbox machines run their apps as root (they are folders and network namespaces on a test host,
; not real machines). A real host runs Gitea as its own user, as the NixOS module does.
I_AM_BEING_UNSAFE_RUNNING_AS_ROOT = true

[server]
PROTOCOL = http
HTTP_ADDR = ${v(o.listenAddress, 'listenAddress')}
HTTP_PORT = ${o.port}
DOMAIN = ${v(o.domain, 'domain')}
ROOT_URL = ${v(rootUrl, 'rootUrl')}
APP_DATA_PATH = ${v(p.data, 'data path')}
; Built without the bindata tag, Gitea reads locales, templates and public files from here.
STATIC_ROOT_PATH = ${v(o.staticRootPath ?? path.join(path.dirname(o.binDir), 'share'), 'staticRootPath')}
DISABLE_SSH = true
START_SSH_SERVER = false
OFFLINE_MODE = true
LFS_START_SERVER = ${o.lfs === false ? 'false' : 'true'}
LFS_JWT_SECRET = ${v(s.lfsJwtSecret, 'secrets.lfsJwtSecret')}
; A stop (SIGTERM) waits this long for open requests, not Gitea's default minute.
GRACEFUL_HAMMER_TIME = 5s

[database]
DB_TYPE = postgres
; A host starting with / is a Unix socket folder (Gitea splits \`<folder>:<port>\` like host:port).
HOST = ${v(o.database.host.startsWith('/') ? `${o.database.host}:${o.database.port}` : hostPort(o.database.host, o.database.port), 'database.host')}
NAME = ${v(o.database.name, 'database.name')}
USER = ${v(o.database.user, 'database.user')}
${o.database.password === undefined ? '; No password: the socket authenticates (trust or peer).' : `PASSWD = ${v(o.database.password, 'database.password')}`}
SSL_MODE = disable
MAX_OPEN_CONNS = ${o.database.maxOpenConns ?? 10}
MAX_IDLE_CONNS = 2

[repository]
ROOT = ${v(p.repositories, 'repositories path')}

[security]
INSTALL_LOCK = true
SECRET_KEY = ${v(s.secretKey, 'secrets.secretKey')}
INTERNAL_TOKEN = ${v(s.internalToken, 'secrets.internalToken')}

[oauth2]
JWT_SECRET = ${v(s.jwtSecret, 'secrets.jwtSecret')}

[service]
DISABLE_REGISTRATION = ${o.disableRegistration === false ? 'false' : 'true'}
REQUIRE_SIGNIN_VIEW = false

[indexer]
; The database answers issue searches: no Bleve index held in memory.
ISSUE_INDEXER_TYPE = db
REPO_INDEXER_ENABLED = false

[mailer]
ENABLED = false

[cron.update_checker]
ENABLED = false

[log]
MODE = console
LEVEL = info
ROOT_PATH = ${v(p.log, 'log path')}
`;
}

/**
 * @param {{
 *   domain: string, listenAddress: string, port: number, dataDir: string, binDir: string,
 *   rootUrl?: string, appName?: string, staticRootPath?: string,
 *   disableRegistration?: boolean, lfs?: boolean,
 *   database: { host: string, port: number, user: string, password?: string, name: string, maxOpenConns?: number },
 *   secrets: { secretKey: string, internalToken: string, jwtSecret: string, lfsJwtSecret: string },
 * }} options jwtSecret and lfsJwtSecret: 32 random bytes as base64url without padding;
 *   staticRootPath: the folder holding Gitea's options/, templates/ and public/ (default: `share`
 *   beside binDir, where scripts/ensure-app-servers.sh puts them); disableRegistration (default
 *   true) and lfs (default true): Forgejo's catalog options of the same names; database.password:
 *   none for a Unix socket that authenticates by itself
 */
function giteaLaunch(options) {
  const o = options;
  requireString(o.domain, 'domain');
  if (!/^[A-Za-z0-9.-]+$/.test(o.domain)) throw new Error(`gitea: invalid domain ${o.domain}`);
  requireString(o.listenAddress, 'listenAddress');
  requirePort(o.port, 'port');
  if (!path.isAbsolute(requireString(o.dataDir, 'dataDir')))
    throw new Error('gitea: dataDir must be absolute');
  if (!path.isAbsolute(requireString(o.binDir, 'binDir'))) throw new Error('gitea: binDir must be absolute');
  if (o.database === null || typeof o.database !== 'object') throw new Error('gitea: database is required');
  requireString(o.database.host, 'database.host');
  requirePort(o.database.port, 'database.port');
  if (o.secrets === null || typeof o.secrets !== 'object') throw new Error('gitea: secrets are required');
  for (const key of ['jwtSecret', 'lfsJwtSecret']) {
    if (!JWT_SECRET.test(String(o.secrets[key])))
      throw new Error(`gitea: secrets.${key} must be 32 bytes as base64url without padding (43 characters)`);
  }
  const p = paths(o.dataDir);
  return {
    files: [{ path: p.config, content: renderIni(o, p), mode: 0o600 }],
    prepare: [],
    command: [path.join(o.binDir, 'gitea'), 'web', '--config', p.config, '--work-path', o.dataDir],
    // Gitea runs git for every push and clone; git must be on PATH (Debian: /usr/bin/git).
    env: { GITEA_WORK_DIR: o.dataDir, HOME: p.data },
    cwd: o.dataDir,
    healthPath: HEALTH_PATH,
  };
}

/**
 * The command that makes the first admin (run once the server has started: it needs the migrated
 * database). `gitea admin user create` has no option to read a password from a file or stdin
 * (v1.27.3: --password or --random-password only), so a shell reads `passwordFile` and passes it on:
 * the password is on the gitea process' command line for the second the command runs, visible to
 * root on that machine only; it is never in the activation's own arguments or logs.
 *
 * @param {{ dataDir: string, binDir: string }} launch same as giteaLaunch
 * @param {{ username: string, email: string, passwordFile: string }} admin
 */
function giteaCreateAdmin(launch, admin) {
  requireString(admin.username, 'username');
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(admin.username))
    throw new Error(`gitea: invalid username ${admin.username}`);
  requireString(admin.email, 'email');
  if (!path.isAbsolute(requireString(admin.passwordFile, 'passwordFile')))
    throw new Error('gitea: passwordFile must be absolute');
  const p = paths(launch.dataDir);
  return {
    command: [
      '/bin/sh',
      '-c',
      'password="$(cat -- "$1")" && shift && exec "$@" --password "$password"',
      'gitea-create-admin',
      admin.passwordFile,
      path.join(launch.binDir, 'gitea'),
      'admin',
      'user',
      'create',
      '--config',
      p.config,
      '--work-path',
      launch.dataDir,
      '--admin',
      '--username',
      admin.username,
      '--email',
      admin.email,
      '--must-change-password=false',
    ],
    env: { GITEA_WORK_DIR: launch.dataDir, HOME: p.data },
  };
}

module.exports = { giteaLaunch, giteaCreateAdmin, GITEA_HEALTH_PATH: HEALTH_PATH };
