/*
 * Real app servers on sandbox machines, where this host can run one: Dendrite for the `matrix` app's
 * `homeserver` endpoint (in Synapse's place) and Gitea for `forgejo`'s `web` endpoint (Forgejo's
 * upstream). Every other http endpoint stays a stand-in page. Besides those, servers that answer no
 * http endpoint: Debian's coturn for the `matrix` app's `turn` host endpoint (present while its
 * option `turn` is on). Plain CommonJS, no dependencies: shipped to sandbox machines next to
 * fedops-standin-activate.js.
 *
 * Each real server is a unit like a systemd service on NixOS (matrix-synapse.service,
 * forgejo.service): configured from the generation's fedops-apps.json (domain, fqdn, port, the
 * delivered secret files, the catalog's data path, the machine PostgreSQL's database), started
 * detached in its own process group, reported started only once its own health URL answers 200
 * (bounded), then its first admin account is made (an existing one is fine). As switch-to-
 * configuration does, a switch keeps a unit running when its configuration is unchanged, restarts it
 * when it changed, and stops it when the new generation has no such unit. coturn is reported started
 * once its STUN and TLS listeners answer (coturn.js stunReady); it needs no database and makes no
 * account.
 *
 *   unit records   <root>/run/fedops/units/<unit>.json  {unit, app, endpoint, server, pid, hash, marker}
 *   logs           <root>/var/log/fedops/<unit>.log
 *
 * Binaries come from the folders given with `--app-server <server>=<bin dir>` (the activator passes
 * libs/sandbox-host's appServerBinDir); coturn is Debian's /usr/bin/turnserver (scripts/ensure-deps.sh).
 * A missing binary fails that unit loudly (exit 4, the health check fails, the deployment rolls
 * back): falling back to a stand-in page would hide a missing build until a person tried to use the app.
 */
'use strict';

const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');
const { isAlive, readText, sleep } = require('./processes.js');
const { dendriteLaunch, dendriteCreateAccount, DENDRITE_HEALTH_PATH } = require('./dendrite.js');
const { giteaLaunch, giteaCreateAdmin } = require('./gitea.js');
const { postgresConnection } = require('./postgres.js');
const { coturnLaunch, stunReady, TURN_PORTS } = require('./coturn.js');

const TURNSERVER = process.env.FEDOPS_STANDIN_TURNSERVER || '/usr/bin/turnserver';

const READY_TIMEOUT_MS = 180000;
const POST_START_TIMEOUT_MS = 120000;
const STOP_TIMEOUT_MS = 15000;

/**
 * Which endpoint of which app a real server takes, the NixOS unit it stands for, and how to launch
 * it. `healthPath`: the server's own health URL when it differs from the catalog's (the front maps
 * the catalog's path onto it, so the health check still reaches the server).
 */
const REAL_SERVERS = {
  matrix: {
    endpoint: 'homeserver',
    server: 'dendrite',
    unit: 'matrix-synapse',
    binaries: ['dendrite', 'generate-keys', 'create-account'],
    healthPath: DENDRITE_HEALTH_PATH,
    launch: matrixLaunch,
  },
  forgejo: {
    endpoint: 'web',
    server: 'gitea',
    unit: 'forgejo',
    binaries: ['gitea'],
    healthPath: undefined,
    launch: forgejoLaunch,
  },
};

/**
 * Real servers of an app's endpoint that is not http (nothing behind the front, no stand-in page to
 * replace): they run while the generation has that endpoint.
 */
const REAL_SERVICES = {
  matrix: {
    endpoint: 'turn',
    kind: 'host',
    server: 'coturn',
    unit: 'coturn',
    binary: TURNSERVER,
    install: 'run `bash scripts/ensure-deps.sh` (Debian coturn) on the sandbox host',
    launch: turnLaunch,
  },
};

/** The http endpoints of the manifest that a real server answers: [{app, endpoint, server, unit}]. */
function realEndpoints(manifest) {
  const out = [];
  for (const app of manifest.apps) {
    const real = REAL_SERVERS[app.app];
    if (real === undefined) continue;
    const endpoint = (app.endpoints || []).find((e) => e.id === real.endpoint && e.kind === 'http');
    if (endpoint !== undefined)
      out.push({
        app: app.app,
        endpoint: endpoint.id,
        server: real.server,
        unit: real.unit,
        adminUnit: `fedops-${app.app}-admin`,
      });
  }
  return out;
}

function isRealEndpoint(appId, endpointId) {
  return REAL_SERVERS[appId] !== undefined && REAL_SERVERS[appId].endpoint === endpointId;
}

/** The server's own health path for a real endpoint whose catalog health path differs, else undefined. */
function serverHealthPath(appId, endpointId) {
  return isRealEndpoint(appId, endpointId) ? REAL_SERVERS[appId].healthPath : undefined;
}

function unitsDir(root) {
  return path.join(root, 'run/fedops/units');
}

/** Live processes of a process group (a server and what it started: git for Gitea). */
function groupMembers(pgid) {
  const pids = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readText(`/proc/${entry}/stat`);
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === pgid && fields[0] !== 'Z' && fields[0] !== 'X') pids.push(Number(entry));
  }
  return pids;
}

/** The delivered file of an app's secret (`owner`: the copy for that reader, when it has several). */
function secretPath(root, manifest, app, secret, owner) {
  const ref = (manifest.secretFiles || []).find(
    (f) => f.app === app && f.secret === secret && (owner === undefined || f.owner === owner),
  );
  if (ref === undefined)
    throw new Error(
      `${app}: the configuration delivers no ${secret} secret file${owner === undefined ? '' : ` for ${owner}`}`,
    );
  return path.join(root, ref.path);
}

function readSecret(file) {
  const value = readText(file).trim();
  if (value === '') throw new Error(`secret file ${file} is missing or empty`);
  return value;
}

function dataDirOf(root, app) {
  const dataPath = (app.dataPaths || [])[0];
  if (typeof dataPath !== 'string' || !dataPath.startsWith('/'))
    throw new Error(`${app.app}: the configuration names no data path`);
  return path.join(root, dataPath);
}

function databaseOf(root, app) {
  const name = (app.databases || [])[0];
  if (typeof name !== 'string') throw new Error(`${app.app}: the configuration names no database`);
  // The machine PostgreSQL's Unix socket, which authenticates by itself: no password (postgres.js).
  return { ...postgresConnection(root), user: name, name, maxOpenConns: 10 };
}

function localAddress(listenAddress) {
  if (listenAddress === '0.0.0.0') return '127.0.0.1';
  if (listenAddress === '::') return '::1';
  return listenAddress;
}

function matrixLaunch({ root, manifest, app, endpoint, listenAddress, binDir }) {
  const turn = (app.endpoints || []).find((e) => e.id === REAL_SERVICES.matrix.endpoint);
  const base = {
    listenAddress,
    port: endpoint.port,
    dataDir: dataDirOf(root, app),
    binDir,
    database: databaseOf(root, app),
  };
  const launch = dendriteLaunch({
    ...base,
    // Matrix ids are @user:<tenant domain>; .well-known on the domain delegates to the homeserver fqdn.
    serverName: manifest.domain,
    secrets: {
      registrationSharedSecret: readSecret(
        secretPath(root, manifest, 'matrix', 'registration-shared-secret'),
      ),
    },
    cacheSize: '16mb',
    registrationOpen: app.options.registrationOpen === true,
    ...(turn === undefined
      ? {}
      : {
          // As the NixOS module renders Synapse's turn_uris, turn_shared_secret_path, turn_user_lifetime.
          turn: {
            uris: [
              `turns:${turn.fqdn}:${TURN_PORTS.tls}?transport=udp`,
              `turns:${turn.fqdn}:${TURN_PORTS.tls}?transport=tcp`,
              `turn:${turn.fqdn}:${TURN_PORTS.plain}?transport=udp`,
              `turn:${turn.fqdn}:${TURN_PORTS.plain}?transport=tcp`,
            ],
            sharedSecret: readSecret(
              secretPath(root, manifest, 'matrix', 'turn-static-auth-secret', 'matrix-synapse'),
            ),
            userLifetime: '1h',
          },
        }),
  });
  const username = app.options.adminUsername || 'owner';
  return {
    launch,
    postStart: {
      what: `admin account ${username}`,
      ...dendriteCreateAccount(base, {
        username,
        passwordFile: secretPath(root, manifest, 'matrix', 'admin-password'),
        admin: true,
      }),
      // The shared-secret API answers M_USER_IN_USE for an account that exists: fine on a restart.
      alreadyDone: /M_USER_IN_USE/,
    },
  };
}

/**
 * coturn for the matrix app's `turn` endpoint (NixOS: services.coturn), with its static-auth-secret
 * from the copy delivered for `turnserver`, and the front's certificate (its SANs cover the TURN fqdn).
 */
function turnLaunch({ root, manifest, endpoint, listenAddress, tls }) {
  if (tls === undefined) throw new Error("no certificate for coturn's TLS listeners");
  return {
    launch: coturnLaunch({
      binary: TURNSERVER,
      realm: endpoint.fqdn,
      staticAuthSecret: readSecret(
        secretPath(root, manifest, 'matrix', 'turn-static-auth-secret', 'turnserver'),
      ),
      listenAddress,
      configFile: path.join(root, 'etc/fedops/coturn/turnserver.conf'),
      cert: tls.cert,
      key: tls.key,
      logFile: path.join(root, 'var/log/fedops/coturn.log'),
      pidFile: path.join(root, 'run/fedops/coturn/turnserver.pid'),
      userDb: path.join(root, 'var/lib/fedops/coturn/turndb'),
    }),
    postStart: undefined,
  };
}

/** Gitea's own secrets, made once on the machine and kept (0400) with its data, so they move with it. */
function giteaSecrets(dataDir) {
  const dir = path.join(dataDir, 'fedops-secrets');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const make = {
    secretKey: () => crypto.randomBytes(32).toString('hex'),
    internalToken: () => crypto.randomBytes(48).toString('hex'),
    jwtSecret: () => crypto.randomBytes(32).toString('base64url'),
    lfsJwtSecret: () => crypto.randomBytes(32).toString('base64url'),
  };
  const out = {};
  for (const [name, generate] of Object.entries(make)) {
    const file = path.join(
      dir,
      name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`),
    );
    if (!fs.existsSync(file)) {
      const tmp = `${file}.tmp-${process.pid}`;
      fs.writeFileSync(tmp, generate(), { mode: 0o400 });
      fs.renameSync(tmp, file);
    }
    out[name] = readSecret(file);
  }
  return out;
}

function forgejoLaunch({ root, manifest, app, endpoint, listenAddress, binDir }) {
  const dataDir = dataDirOf(root, app);
  const base = { listenAddress, port: endpoint.port, dataDir, binDir, database: databaseOf(root, app) };
  const launch = giteaLaunch({
    ...base,
    domain: endpoint.fqdn,
    rootUrl: `https://${endpoint.fqdn}/`,
    appName: `Forgejo on ${endpoint.fqdn}`,
    disableRegistration: app.options.disableRegistration !== false,
    lfs: app.options.lfs === true,
    secrets: giteaSecrets(dataDir),
  });
  const username = app.options.adminUsername || 'owner';
  const email =
    typeof app.options.adminEmail === 'string' && app.options.adminEmail !== ''
      ? app.options.adminEmail
      : `owner@${manifest.domain}`;
  return {
    launch,
    postStart: {
      what: `admin account ${username}`,
      ...giteaCreateAdmin(base, {
        username,
        email,
        passwordFile: secretPath(root, manifest, 'forgejo', 'admin-password'),
      }),
      alreadyDone: /user already exists/,
    },
  };
}

/** How long an activation waits for scripts/ensure-app-servers.sh to finish building a server it needs. */
const BUILD_WAIT_SECONDS = 25 * 60;

function missingBinaries(binDir, binaries) {
  return binaries.filter((name) => {
    try {
      fs.accessSync(path.join(binDir, name), fs.constants.X_OK);
      return false;
    } catch {
      return true;
    }
  });
}

/**
 * When a server's binaries are missing while scripts/ensure-app-servers.sh builds them (the first
 * `npm start` builds them in the background, holding `<APP_SERVERS_DIR>/.lock`), waits until that
 * build is done, as a NixOS host's rebuild waits for the packages it fetches. Takes the lock shared,
 * so it returns at once when no build runs. Whatever is still missing then is reported as before.
 */
function waitForBuild(binDir, server, binaries) {
  if (missingBinaries(binDir, binaries).length === 0) return;
  // <APP_SERVERS_DIR>/<server>-<version>/bin
  const lock = path.join(binDir, '..', '..', '.lock');
  if (!fs.existsSync(lock)) return;
  process.stderr.write(`[standin] waiting for ${server} to be built (scripts/ensure-app-servers.sh)\n`);
  const waited = spawnSync('flock', ['--shared', '--wait', String(BUILD_WAIT_SECONDS), lock, 'true'], {
    stdio: 'ignore',
  });
  if (waited.status !== 0)
    process.stderr.write(`[standin] ${server} was not built within ${BUILD_WAIT_SECONDS} s\n`);
}

/**
 * A digest of everything a unit runs with (its files, command, binary, and the contents of the files
 * it reads at start, such as a certificate): a unit whose digest is unchanged keeps running.
 */
function unitHash(launch, postStart) {
  const binary = launch.command[0];
  let stat = null;
  try {
    const s = fs.statSync(binary);
    stat = [s.size, s.mtimeMs];
  } catch {
    // a missing binary is reported when the unit is planned
  }
  const inputs = (launch.inputs || []).map((file) =>
    crypto.createHash('sha256').update(readText(file)).digest('hex'),
  );
  return crypto
    .createHash('sha256')
    .update(
      JSON.stringify({
        files: launch.files,
        command: launch.command,
        env: launch.env,
        stat,
        postStart,
        inputs,
      }),
    )
    .digest('hex');
}

/**
 * What the generation's real units should be: [{unit, app, endpoint, server, launch, postStart, hash,
 * usesDatabase}] or, when one cannot be configured (missing binary or secret), [{unit, ..., problem}].
 * `tls`: {cert, key}, the front's certificate (coturn serves TLS with it).
 * Writes nothing but Gitea's generated secrets (once).
 */
function planRealApps({ root, manifest, listenAddress, binDirs, tls }) {
  const plans = [];
  for (const real of realEndpoints(manifest)) {
    const def = REAL_SERVERS[real.app];
    const app = manifest.apps.find((a) => a.app === real.app);
    const endpoint = app.endpoints.find((e) => e.id === real.endpoint);
    try {
      if (listenAddress === undefined) throw new Error('no --listen-address to serve on');
      const binDir = binDirs[def.server];
      if (binDir === undefined)
        throw new Error(`no folder of ${def.server} binaries given (--app-server ${def.server}=<bin dir>)`);
      waitForBuild(binDir, def.server, def.binaries);
      for (const name of def.binaries) {
        try {
          fs.accessSync(path.join(binDir, name), fs.constants.X_OK);
        } catch {
          throw new Error(
            `${path.join(binDir, name)} is missing: run \`bash scripts/ensure-app-servers.sh\` on the sandbox host`,
          );
        }
      }
      const { launch, postStart } = def.launch({ root, manifest, app, endpoint, listenAddress, binDir });
      plans.push({
        ...real,
        port: endpoint.port,
        listenAddress,
        launch,
        postStart,
        usesDatabase: true,
        hash: unitHash(launch, postStart),
      });
    } catch (err) {
      plans.push({ ...real, problem: err instanceof Error ? err.message : String(err) });
    }
  }
  for (const app of manifest.apps) {
    const def = REAL_SERVICES[app.app];
    if (def === undefined) continue;
    const endpoint = (app.endpoints || []).find((e) => e.id === def.endpoint && e.kind === def.kind);
    if (endpoint === undefined) continue;
    const real = { app: app.app, endpoint: endpoint.id, server: def.server, unit: def.unit };
    try {
      if (listenAddress === undefined) throw new Error('no --listen-address to serve on');
      try {
        fs.accessSync(def.binary, fs.constants.X_OK);
      } catch {
        throw new Error(`${def.binary} is missing: ${def.install}`);
      }
      const { launch, postStart } = def.launch({ root, manifest, app, endpoint, listenAddress, tls });
      plans.push({
        ...real,
        listenAddress,
        launch,
        postStart,
        usesDatabase: false,
        hash: unitHash(launch, postStart),
      });
    } catch (err) {
      plans.push({ ...real, problem: err instanceof Error ? err.message : String(err) });
    }
  }
  return plans;
}

function readRecords(root) {
  let names = [];
  try {
    names = fs.readdirSync(unitsDir(root)).filter((n) => n.endsWith('.json'));
  } catch (err) {
    if (err.code !== 'ENOENT') throw err;
  }
  return names.map((n) => {
    const file = path.join(unitsDir(root), n);
    try {
      return { file, ...JSON.parse(readText(file)) };
    } catch {
      return { file, unit: n.slice(0, -'.json'.length) };
    }
  });
}

/** True while the record's process runs and is the one recorded (its command line names its config). */
function isRunning(record) {
  return (
    Number.isInteger(record.pid) &&
    record.pid > 0 &&
    isAlive(record.pid) &&
    typeof record.marker === 'string' &&
    readText(`/proc/${record.pid}/cmdline`).split('\0').includes(record.marker)
  );
}

/**
 * Stops the recorded units that `select(record, running)` picks (default: all) and forgets them:
 * SIGTERM to the unit's process group, SIGKILL after 15 s.
 */
async function stopRealApps(root, log, select = () => true) {
  for (const record of readRecords(root)) {
    const running = isRunning(record);
    if (!select(record, running)) continue;
    if (running) {
      log(`stopping the following units: ${record.unit}.service (${record.server}, pid ${record.pid})`);
      const signal = (sig) => {
        try {
          process.kill(-record.pid, sig);
        } catch (err) {
          if (err.code !== 'ESRCH') throw err;
        }
      };
      signal('SIGTERM');
      const deadline = Date.now() + STOP_TIMEOUT_MS;
      while (groupMembers(record.pid).length > 0 && Date.now() < deadline) await sleep(50);
      if (groupMembers(record.pid).length > 0) {
        log(`${record.unit}.service did not stop within ${STOP_TIMEOUT_MS / 1000} s; killing it`);
        signal('SIGKILL');
        while (groupMembers(record.pid).length > 0 && Date.now() < deadline + 5000) await sleep(50);
      }
    }
    fs.rmSync(record.file, { force: true });
  }
}

function httpStatus(url, timeoutMs) {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: timeoutMs, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

function tail(file, count = 10) {
  return readText(file).trim().split('\n').slice(-count).join(' | ');
}

function runCommand(c, timeoutMs) {
  const [command, ...args] = c.command;
  return spawnSync(command, args, {
    encoding: 'utf8',
    timeout: timeoutMs,
    env: { PATH: process.env.PATH || '/usr/sbin:/usr/bin:/sbin:/bin', ...c.env },
  });
}

/** Writes a unit's files, runs its prepare steps, starts it and waits for its health URL. */
async function startUnit(root, plan, logDir, log) {
  const { launch } = plan;
  for (const file of launch.files) {
    fs.mkdirSync(path.dirname(file.path), { recursive: true, mode: 0o700 });
    fs.writeFileSync(file.path, file.content, { mode: file.mode });
    fs.chmodSync(file.path, file.mode);
  }
  for (const dir of launch.dirs || []) fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (const step of launch.prepare) {
    if (fs.existsSync(step.creates)) continue;
    const result = runCommand({ command: step.command, env: {} }, 60000);
    if (result.status !== 0)
      throw new Error(`${step.command[0]} failed: ${(result.stderr || String(result.error)).trim()}`);
  }
  fs.mkdirSync(launch.cwd, { recursive: true, mode: 0o700 });
  const logFile = path.join(logDir, `${plan.unit}.log`);
  const logFd = fs.openSync(logFile, 'a');
  const logStart = fs.fstatSync(logFd).size;
  const [command, ...args] = launch.command;
  // Dendrite and Gitea stand in for Synapse and Forgejo; coturn is the same server NixOS runs.
  const standsIn = plan.server !== plan.unit;
  log(
    `starting the following units: ${plan.unit}.service${standsIn ? ` (${plan.server} in its place)` : ''}`,
  );
  const child = spawn(command, args, {
    detached: true, // its own process group: stopping the unit stops everything it started
    cwd: launch.cwd,
    env: { PATH: process.env.PATH || '/usr/sbin:/usr/bin:/sbin:/bin', ...launch.env },
    stdio: ['ignore', logFd, logFd],
  });
  fs.closeSync(logFd);
  let exit;
  child.on('exit', (code, signal) => (exit = signal ?? code));
  child.on('error', (err) => (exit = err.message));
  child.unref();
  const record = {
    unit: plan.unit,
    app: plan.app,
    endpoint: plan.endpoint,
    server: plan.server,
    pid: child.pid,
    hash: plan.hash,
    // Its config file: on the server's command line, so a reused pid is not taken for it.
    marker: launch.files[0].path,
    startedAt: new Date().toISOString(),
  };
  fs.mkdirSync(unitsDir(root), { recursive: true });
  fs.writeFileSync(path.join(unitsDir(root), `${plan.unit}.json`), JSON.stringify(record, null, 2) + '\n');

  const host = localAddress(plan.listenAddress);
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${plan.port}${launch.healthPath}`;
  const stun = launch.readiness !== undefined && launch.readiness.kind === 'stun';
  const what = stun
    ? `its STUN and TLS ports (${[...new Set([...launch.readiness.udp, ...launch.readiness.tcp].map((t) => t.port))].join(', ')})`
    : url;
  const ready = stun ? () => stunReady(launch.readiness) : async () => (await httpStatus(url, 2000)) === 200;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  const started = Date.now();
  for (;;) {
    if (exit !== undefined) {
      const since = readText(logFile).slice(logStart);
      throw new Error(
        `${plan.server} exited (${exit}) while starting: ${since.trim().split('\n').slice(-10).join(' | ')}`,
      );
    }
    if (await ready()) break;
    if (Date.now() > deadline)
      throw new Error(
        `${plan.server} did not answer ${what} within ${READY_TIMEOUT_MS / 1000} s: ${tail(logFile)}`,
      );
    await sleep(100);
  }
  log(`${plan.unit}.service: ${plan.server} is up (${Date.now() - started} ms)`);
}

/** The first admin account (NixOS: the fedops-<app>-admin oneshot unit); an existing one is fine. */
function runPostStart(plan, log) {
  const post = runCommand(plan.postStart, POST_START_TIMEOUT_MS);
  const output = `${post.stdout || ''}\n${post.stderr || ''}`;
  if (post.status === 0) log(`${plan.adminUnit}.service: ${plan.postStart.what} created`);
  else if (plan.postStart.alreadyDone.test(output))
    log(`${plan.adminUnit}.service: ${plan.postStart.what} exists`);
  else
    throw new Error(
      `${plan.postStart.what}: ${plan.postStart.command[0]} failed (${post.status ?? post.error}): ${output.trim().split('\n').slice(-5).join(' | ')}`,
    );
}

/**
 * Starts every planned unit that is not already running with the same configuration (concurrently);
 * returns the units that failed. `blocked(plan)` names a reason not to start (the database is down).
 */
async function startRealApps(root, plans, logDir, log, blocked = () => undefined) {
  const running = new Map(
    readRecords(root)
      .filter(isRunning)
      .map((r) => [r.unit, r]),
  );
  const failed = [];
  await Promise.all(
    plans.map(async (plan) => {
      const reason = plan.problem ?? blocked(plan);
      if (reason !== undefined) {
        log(`${plan.unit}.service (${plan.server}) cannot start: ${reason}`);
        failed.push(plan.unit);
        return;
      }
      const current = running.get(plan.unit);
      if (current !== undefined && current.hash === plan.hash) return;
      try {
        await startUnit(root, plan, logDir, log);
      } catch (err) {
        log(
          `${plan.unit}.service (${plan.server}) failed: ${err instanceof Error ? err.message : String(err)}`,
        );
        failed.push(plan.unit);
        // Like systemd after a failed start: nothing of the unit is left running.
        await stopRealApps(root, log, (r) => r.unit === plan.unit);
        return;
      }
      if (plan.postStart === undefined) return;
      try {
        runPostStart(plan, log);
      } catch (err) {
        log(`${plan.adminUnit}.service failed: ${err instanceof Error ? err.message : String(err)}`);
        failed.push(plan.adminUnit);
      }
    }),
  );
  return failed.sort();
}

module.exports = {
  REAL_SERVERS,
  REAL_SERVICES,
  realEndpoints,
  isRealEndpoint,
  serverHealthPath,
  planRealApps,
  startRealApps,
  stopRealApps,
  waitForBuild,
  missingBinaries,
};
