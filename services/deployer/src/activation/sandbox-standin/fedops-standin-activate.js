#!/usr/bin/env node
/*
 * fedops SANDBOX ACTIVATION STAND-IN. This is not NixOS and builds nothing.
 *
 * Sandbox machines (network namespaces on a Linux host) cannot run NixOS, so this program takes the
 * place of `nixos-rebuild` there, keeping its interface:
 *
 *   fedops-standin-activate.js --root <fsRoot> [--listen-address <addr>] [--app-server <server>=<bin dir>]...
 *                              switch --flake <dir>#<host>
 *   fedops-standin-activate.js --root <fsRoot> [...] switch --rollback (also: --rollback switch)
 *   fedops-standin-activate.js --root <fsRoot> list-generations [--json]
 *   fedops-standin-activate.js --root <fsRoot> stop        (stand-in only: stop every app, the front
 *                                                           and the machine PostgreSQL)
 *
 * Generations live where NixOS keeps them, under the machine's root folder:
 * <fsRoot>/nix/var/nix/profiles/system-<N>-link is a folder holding a copy of the flake (instead of a
 * store path), and <fsRoot>/nix/var/nix/profiles/system is a symlink to the current one. `switch`
 * makes generation max+1 current; `--rollback` makes the generation before the current one current
 * (the later ones stay, as in Nix). Instead of systemd units, each app of the generation's
 * fedops-apps.json is served by a small detached Node process with an HTTP server per http endpoint
 * on the endpoint's port, answering its health path with 200 {app, endpoint, fqdn, generation,
 * status: "ok", items}, `/` with a page naming the app, and /_fedops/standin/items with a small API
 * that keeps real data (app-servers/standin-data.js): files under the app's first data path and rows
 * in its database on the machine PostgreSQL, outside the generation, so they outlive switches and
 * rollbacks and backups move real bytes.
 * Where this host can run the real thing (app-servers/real-apps.js: Dendrite for Matrix's homeserver,
 * Gitea for Forgejo), that endpoint is served by the real server instead, configured from the
 * manifest (and Matrix's TURN endpoint by Debian's coturn, with the front's certificate), on ONE
 * machine PostgreSQL (app-servers/postgres.js) that holds every app database of the
 * generation; the generation's fedops-generation.json lists those endpoints as `realEndpoints`, so
 * the health check knows which answers are the real server's.
 * Pid files are in <fsRoot>/run/fedops/, logs in <fsRoot>/var/log/fedops/.
 *
 * Exit codes follow nixos-rebuild / switch-to-configuration: 0 ok, 1 error, 2 usage, 4 switched but
 * some app servers failed to start. Plain Node.js, no dependencies: it is shipped next to the flake.
 */
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const http = require('node:http');
const { spawn } = require('node:child_process');
const { isAlive, readText, sleep } = require('./app-servers/processes.js');
// Shipped beside this script (the activator uploads the whole folder; a generation keeps a copy).
const realApps = require('./app-servers/real-apps.js');
const postgres = require('./app-servers/postgres.js');
const standinData = require('./app-servers/standin-data.js');

const SCRIPT_NAME = 'fedops-standin-activate.js';
const MANIFEST = 'fedops-apps.json';
const GENERATION_FILE = 'fedops-generation.json';
const APP_SERVERS_DIR = 'app-servers';
const USAGE = `usage: ${SCRIPT_NAME} --root <fsRoot> [--listen-address <addr>] [--app-server <server>=<bin dir>]... <action>
  --app-server   where a real server's binaries are (dendrite, gitea); without it, its app's unit fails
actions:
  switch --flake <dir>#<host>   activate <dir> as a new generation
  switch --rollback             activate the generation before the current one
  list-generations [--json]     print the generations
  stop                          stop every app server, the front and PostgreSQL of this root`;

class UsageError extends Error {}

/** Parses the command line (without `node` and the script). Throws UsageError. */
function parseArgs(argv) {
  const out = {
    root: undefined,
    listenAddress: undefined,
    action: undefined,
    flake: undefined,
    rollback: false,
    json: false,
    app: undefined,
    generationDir: undefined,
    appServers: {},
  };
  const takeValue = (i, name) => {
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new UsageError(`${name} needs a value`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    switch (arg) {
      case '--root':
        out.root = takeValue(i, arg);
        i++;
        break;
      case '--listen-address':
        out.listenAddress = takeValue(i, arg);
        i++;
        break;
      case '--flake':
        out.flake = takeValue(i, arg);
        i++;
        break;
      case '--app':
        out.app = takeValue(i, arg);
        i++;
        break;
      case '--generation-dir':
        out.generationDir = takeValue(i, arg);
        i++;
        break;
      case '--app-server': {
        const m = /^([a-z][a-z0-9-]*)=(\/.*)$/.exec(takeValue(i, arg));
        if (m === null) throw new UsageError('--app-server needs <server>=<absolute bin dir>');
        out.appServers[m[1]] = m[2];
        i++;
        break;
      }
      case '--rollback':
        out.rollback = true;
        break;
      case '--json':
        out.json = true;
        break;
      case 'switch':
      case 'list-generations':
      case 'stop':
      case 'serve-app':
        if (out.action !== undefined) throw new UsageError(`two actions given: ${out.action} and ${arg}`);
        out.action = arg;
        break;
      default:
        throw new UsageError(`unknown argument ${JSON.stringify(arg)}`);
    }
  }
  if (out.action === undefined && out.rollback) out.action = 'switch';
  if (out.action === undefined) throw new UsageError('no action given');
  if (out.root === undefined) throw new UsageError('--root <fsRoot> is required');
  if (!path.isAbsolute(out.root)) throw new UsageError('--root must be an absolute path');
  if (out.action === 'switch') {
    if (out.rollback === (out.flake !== undefined))
      throw new UsageError('switch needs exactly one of --flake <dir>#<host> or --rollback');
    if (out.flake !== undefined) {
      const hash = out.flake.lastIndexOf('#');
      if (hash <= 0 || hash === out.flake.length - 1)
        throw new UsageError('--flake must look like <dir>#<host>');
      out.flakeDir = out.flake.slice(0, hash);
      out.flakeHost = out.flake.slice(hash + 1);
    }
  } else if (out.flake !== undefined || out.rollback) {
    throw new UsageError(`${out.action} takes no --flake or --rollback`);
  }
  if (out.action === 'serve-app' && (out.app === undefined || out.generationDir === undefined)) {
    throw new UsageError('serve-app needs --app and --generation-dir');
  }
  return out;
}

function layout(root) {
  const profiles = path.join(root, 'nix/var/nix/profiles');
  return {
    profiles,
    systemLink: path.join(profiles, 'system'),
    generationDir: (n) => path.join(profiles, `system-${n}-link`),
    runDir: path.join(root, 'run/fedops'),
    logDir: path.join(root, 'var/log/fedops'),
    lockDir: path.join(root, 'run/fedops/activate.lock'),
  };
}

function listGenerations(root) {
  const l = layout(root);
  let names = [];
  try {
    names = fs.readdirSync(l.profiles);
  } catch (err) {
    if (err.code !== 'ENOENT') throw err;
  }
  const current = currentGeneration(root);
  return names
    .map((n) => /^system-(\d+)-link$/.exec(n))
    .filter((m) => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b)
    .map((generation) => {
      const meta = readJson(path.join(l.generationDir(generation), GENERATION_FILE), {});
      return {
        generation,
        date: meta.date ?? null,
        current: generation === current,
        flake: meta.flake ?? null,
        apps: meta.apps ?? [],
      };
    });
}

function currentGeneration(root) {
  try {
    const m = /^system-(\d+)-link$/.exec(path.basename(fs.readlinkSync(layout(root).systemLink)));
    return m === null ? undefined : Number(m[1]);
  } catch (err) {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  }
}

function readJson(file, fallback) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    if (fallback !== undefined && err.code === 'ENOENT') return fallback;
    throw new Error(`cannot read ${file}: ${err.message}`);
  }
}

/** Holds a lock folder while `fn` runs; a lock left by a dead process is taken over. */
async function withLock(root, fn) {
  const { lockDir, runDir } = layout(root);
  fs.mkdirSync(runDir, { recursive: true });
  const deadline = Date.now() + 60000;
  for (;;) {
    try {
      fs.mkdirSync(lockDir);
      fs.writeFileSync(path.join(lockDir, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      const holder = Number(readText(path.join(lockDir, 'pid')));
      if (!Number.isInteger(holder) || holder <= 0 || !isAlive(holder)) {
        fs.rmSync(lockDir, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`another activation (pid ${holder}) holds ${lockDir}`);
      await sleep(100);
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lockDir, { recursive: true, force: true });
  }
}

/** True when `pid` is an app server of this root (guards against a reused pid). */
function isOurServer(pid, root) {
  const cmdline = readText(`/proc/${pid}/cmdline`).split('\0');
  return (
    cmdline.includes('serve-app') && cmdline.some((a) => a.endsWith(SCRIPT_NAME)) && cmdline.includes(root)
  );
}

async function stopServers(root, log) {
  const { runDir } = layout(root);
  let entries = [];
  try {
    entries = fs.readdirSync(runDir).filter((n) => n.endsWith('.pid'));
  } catch (err) {
    if (err.code !== 'ENOENT') throw err;
  }
  for (const name of entries.sort()) {
    const app = name.slice(0, -'.pid'.length);
    const pid = Number(readText(path.join(runDir, name)));
    if (Number.isInteger(pid) && pid > 0 && isAlive(pid) && isOurServer(pid, root)) {
      log(`stopping the following units: fedops-standin-${app}.service (pid ${pid})`);
      process.kill(pid, 'SIGTERM');
      const deadline = Date.now() + 5000;
      while (isAlive(pid) && Date.now() < deadline) await sleep(50);
      if (isAlive(pid)) process.kill(pid, 'SIGKILL');
      while (isAlive(pid) && Date.now() < deadline + 2000) await sleep(50);
    }
    fs.rmSync(path.join(runDir, name), { force: true });
    fs.rmSync(path.join(runDir, `${app}.ready`), { force: true });
  }
}

/** Starts one detached server per app of the generation; returns the apps whose server died at start. */
async function startServers(root, genDir, listenAddress, log) {
  const l = layout(root);
  fs.mkdirSync(l.runDir, { recursive: true });
  fs.mkdirSync(l.logDir, { recursive: true });
  const manifest = readJson(path.join(genDir, MANIFEST));
  const script = fs.existsSync(path.join(genDir, SCRIPT_NAME)) ? path.join(genDir, SCRIPT_NAME) : __filename;
  const started = [];
  for (const app of manifest.apps) {
    const httpEndpoints = (app.endpoints ?? []).filter((e) => e.kind === 'http');
    // An app whose every http endpoint is a real server's has nothing left to stand in for.
    if (httpEndpoints.length > 0 && httpEndpoints.every((e) => realApps.isRealEndpoint(app.app, e.id)))
      continue;
    log(`starting the following units: fedops-standin-${app.app}.service`);
    const logFd = fs.openSync(path.join(l.logDir, `${app.app}.log`), 'a');
    const args = [script, 'serve-app', '--root', root, '--generation-dir', genDir, '--app', app.app];
    if (listenAddress !== undefined) args.push('--listen-address', listenAddress);
    const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', logFd, logFd] });
    fs.closeSync(logFd);
    let exited = false;
    child.on('exit', () => (exited = true));
    child.unref();
    fs.writeFileSync(path.join(l.runDir, `${app.app}.pid`), String(child.pid));
    started.push({ app: app.app, child, exited: () => exited });
  }
  // Like systemd: wait (briefly) for each server to report it is listening, or to die.
  const failed = [];
  const deadline = Date.now() + 5000;
  for (const s of started) {
    const ready = path.join(l.runDir, `${s.app}.ready`);
    while (!fs.existsSync(ready) && !s.exited() && isAlive(s.child.pid) && Date.now() < deadline)
      await sleep(25);
    if (!fs.existsSync(ready)) failed.push(s.app);
  }
  return failed;
}

// --- the machine's front: nginx on 80/443 as on a NixOS machine -----------------------------

const NGINX = process.env.FEDOPS_STANDIN_NGINX || '/usr/sbin/nginx';
const OPENSSL = process.env.FEDOPS_STANDIN_OPENSSL || '/usr/bin/openssl';

function frontLayout(root) {
  const dir = path.join(root, 'etc/fedops/front');
  return {
    dir,
    conf: path.join(dir, 'nginx.conf'),
    // Not in run/fedops, whose pid files are the app servers'.
    pid: path.join(root, 'run/fedops-front/nginx.pid'),
    tmp: path.join(root, 'var/lib/fedops/front/tmp'),
    cert: path.join(dir, 'tls/cert.pem'),
    key: path.join(dir, 'tls/key.pem'),
    certDomain: path.join(dir, 'tls/domain'),
  };
}

/** A self-signed certificate for the tenant domain and its subdomains (ACME needs public DNS). */
function ensureCertificate(root, domain) {
  const f = frontLayout(root);
  if (fs.existsSync(f.cert) && readText(f.certDomain) === domain) return;
  fs.mkdirSync(path.dirname(f.cert), { recursive: true, mode: 0o700 });
  const result = require('node:child_process').spawnSync(
    OPENSSL,
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '825',
      '-keyout',
      f.key,
      '-out',
      f.cert,
      '-subj',
      `/CN=${domain}`,
      '-addext',
      `subjectAltName=DNS:${domain},DNS:*.${domain}`,
    ],
    { encoding: 'utf8' },
  );
  if (result.status !== 0)
    throw new Error(`openssl could not make the front's certificate: ${result.stderr || result.error}`);
  fs.writeFileSync(f.certDomain, domain);
}

/** nginx single-quoted string contents. */
function nginxQuoted(value) {
  return `'${String(value).replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** The front's nginx.conf: one TLS server per http endpoint proxying to it, the apex paths, HTTP redirected. */
function frontConfig(root, manifest, listenAddress) {
  const f = frontLayout(root);
  const l = layout(root);
  const addr = listenAddress.includes(':') ? `[${listenAddress}]` : listenAddress;
  const servers = [];
  const apex = [];
  for (const app of manifest.apps) {
    for (const e of app.endpoints ?? []) {
      if (e.kind === 'http') {
        // A real server whose health URL is not the catalog's (Dendrite in Synapse's place): the
        // catalog's path is passed to the server's own, so the health check still reaches the server.
        const own = realApps.serverHealthPath(app.app, e.id);
        const health =
          own === undefined || own === e.healthPath
            ? ''
            : `\n    location = ${e.healthPath} { proxy_pass http://${addr}:${e.port}${own}; }`;
        servers.push(`  server {
    listen ${addr}:443 ssl;
    server_name ${e.fqdn};
    client_max_body_size ${e.maxBodySize ?? '1m'};
    location / { proxy_pass http://${addr}:${e.port}; }${health}
  }`);
      } else if (e.kind === 'apex-path') {
        apex.push(`    location = ${e.path} {
      default_type application/json;
      add_header Access-Control-Allow-Origin "*";
      return 200 ${nginxQuoted(e.body ?? '')};
    }`);
      }
    }
  }
  if (apex.length > 0) {
    servers.push(`  server {
    listen ${addr}:443 ssl;
    server_name ${manifest.domain};
${apex.join('\n')}
    location / { return 404; }
  }`);
  }
  return `# fedops sandbox stand-in: the machine's nginx front (rendered from ${MANIFEST}). Do not edit.
# Runs as root like the rest of the stand-in; NixOS machines run their nginx as the nginx user.
user root;
daemon on;
worker_processes 1;
pid ${f.pid};
error_log ${path.join(l.logDir, 'front-nginx.error.log')} warn;
events { worker_connections 512; }
http {
  access_log off;
  client_body_temp_path ${f.tmp}/body;
  proxy_temp_path ${f.tmp}/proxy;
  fastcgi_temp_path ${f.tmp}/fastcgi;
  uwsgi_temp_path ${f.tmp}/uwsgi;
  scgi_temp_path ${f.tmp}/scgi;
  ssl_certificate ${f.cert};
  ssl_certificate_key ${f.key};
  map $http_upgrade $connection_upgrade { default upgrade; '' close; }
  proxy_http_version 1.1;
  proxy_set_header Host $host;
  proxy_set_header X-Forwarded-Proto https;
  proxy_set_header X-Forwarded-For $remote_addr;
  proxy_set_header Upgrade $http_upgrade;
  proxy_set_header Connection $connection_upgrade;
  server {
    listen ${addr}:80 default_server;
    return 301 https://$host$request_uri;
  }
  server {
    listen ${addr}:443 ssl default_server;
    return 404;
  }
${servers.join('\n')}
}
`;
}

function frontPid(root) {
  const f = frontLayout(root);
  const pid = Number(readText(f.pid));
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return undefined;
  // nginx rewrites its title to "nginx: master process <its arguments>": ours names our conf.
  return readText(`/proc/${pid}/cmdline`).includes(f.conf) ? pid : undefined;
}

async function stopFront(root, log) {
  const pid = frontPid(root);
  if (pid === undefined) return;
  log(`stopping the following units: nginx.service (pid ${pid})`);
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 5000;
  while (isAlive(pid) && Date.now() < deadline) await sleep(25);
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
}

/** Writes the front's config for the generation and (re)starts nginx; returns a failure message or undefined. */
async function startFront(root, genDir, listenAddress, log) {
  const manifest = readJson(path.join(genDir, MANIFEST));
  const hasHttp = manifest.apps.some((a) =>
    (a.endpoints ?? []).some((e) => e.kind === 'http' || e.kind === 'apex-path'),
  );
  await stopFront(root, log);
  if (!hasHttp || listenAddress === undefined) return undefined;
  const f = frontLayout(root);
  for (const d of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'])
    fs.mkdirSync(path.join(f.tmp, d), { recursive: true });
  fs.mkdirSync(path.dirname(f.pid), { recursive: true });
  ensureCertificate(root, manifest.domain);
  fs.writeFileSync(f.conf, frontConfig(root, manifest, listenAddress));
  log('starting the following units: nginx.service');
  const { spawnSync } = require('node:child_process');
  const started = spawnSync(NGINX, ['-c', f.conf], { encoding: 'utf8' });
  if (started.status !== 0) return `nginx: ${(started.stderr || String(started.error)).trim()}`;
  const deadline = Date.now() + 5000;
  while (frontPid(root) === undefined && Date.now() < deadline) await sleep(25);
  return frontPid(root) === undefined ? 'nginx: no master process after start' : undefined;
}

/**
 * Makes `generation` current and brings the machine's units in line with it: the stand-in servers are
 * restarted; real servers are kept when their configuration is unchanged, restarted when it changed,
 * stopped when the generation has none; the machine PostgreSQL runs while any app has a database.
 */
async function activateGeneration(root, generation, listenAddress, appServers, log) {
  const l = layout(root);
  const genDir = l.generationDir(generation);
  const tmpLink = `${l.systemLink}.tmp-${process.pid}`;
  fs.rmSync(tmpLink, { force: true });
  fs.symlinkSync(`system-${generation}-link`, tmpLink);
  fs.renameSync(tmpLink, l.systemLink);
  await stopServers(root, log);
  const manifest = readJson(path.join(genDir, MANIFEST));
  const metaFile = path.join(genDir, GENERATION_FILE);
  const meta = readJson(metaFile, {});
  if (meta.realEndpoints === undefined) {
    // A generation made before real servers: say which endpoints they now take (the health check reads it).
    meta.realEndpoints = realEndpointsOf(manifest);
    fs.writeFileSync(metaFile, JSON.stringify(meta, null, 2) + '\n');
  }
  const address = listenAddress ?? meta.listenAddress ?? undefined;
  // Before the units: coturn serves TLS with the front's certificate (a new one restarts it).
  const front = frontLayout(root);
  if (address !== undefined && manifest.apps.length > 0) ensureCertificate(root, manifest.domain);
  const plans = realApps.planRealApps({
    root,
    manifest,
    listenAddress: address,
    binDirs: appServers,
    tls: fs.existsSync(front.cert) ? { cert: front.cert, key: front.key } : undefined,
  });
  const unchanged = (record) => plans.some((p) => p.unit === record.unit && p.hash === record.hash);
  await realApps.stopRealApps(root, log, (record, running) => !running || !unchanged(record));

  const failed = [];
  const databases = [...new Set(manifest.apps.flatMap((a) => a.databases ?? []))].sort();
  let databaseDown;
  if (databases.length > 0) {
    try {
      await postgres.ensurePostgres(root, databases, log);
    } catch (err) {
      databaseDown = `the machine PostgreSQL is down: ${err instanceof Error ? err.message : String(err)}`;
      log(`postgresql.service failed: ${databaseDown}`);
      failed.push('postgresql');
    }
  } else {
    await postgres.stopPostgres(root, log);
  }
  failed.push(...(await startServers(root, genDir, address, log)));
  failed.push(
    ...(await realApps.startRealApps(root, plans, l.logDir, log, (plan) =>
      plan.usesDatabase ? databaseDown : undefined,
    )),
  );
  const frontProblem = await startFront(root, genDir, address, log);
  if (frontProblem !== undefined) {
    log(frontProblem);
    failed.push('nginx');
  }
  return failed;
}

/** The generation's endpoints that real servers answer, as fedops-generation.json lists them. */
function realEndpointsOf(manifest) {
  return realApps
    .realEndpoints(manifest)
    .map((r) => ({ app: r.app, endpoint: r.endpoint, server: r.server }));
}

async function switchToFlake(opts, log) {
  const { flakeDir, flakeHost, root } = opts;
  const manifest = readJson(path.join(flakeDir, MANIFEST));
  if (!fs.existsSync(path.join(flakeDir, 'flake.nix'))) throw new Error(`${flakeDir} has no flake.nix`);
  if (manifest.hostname !== flakeHost) {
    throw new Error(
      `flake '${flakeDir}' does not provide attribute 'nixosConfigurations.${flakeHost}' (it has ${manifest.hostname})`,
    );
  }
  const l = layout(root);
  fs.mkdirSync(l.profiles, { recursive: true });
  const generation = listGenerations(root).reduce((max, g) => Math.max(max, g.generation), 0) + 1;
  log('building the system configuration...');
  const genDir = l.generationDir(generation);
  const tmp = `${genDir}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.cpSync(flakeDir, tmp, { recursive: true });
  // The generation keeps the stand-in that serves it: this script and its app-servers folder.
  if (!fs.existsSync(path.join(tmp, SCRIPT_NAME))) {
    fs.copyFileSync(__filename, path.join(tmp, SCRIPT_NAME));
    fs.cpSync(path.join(__dirname, APP_SERVERS_DIR), path.join(tmp, APP_SERVERS_DIR), {
      recursive: true,
      filter: (src) => fs.statSync(src).isDirectory() || src.endsWith('.js'),
    });
  }
  const meta = {
    generation,
    date: new Date().toISOString(),
    flake: `${flakeDir}#${flakeHost}`,
    listenAddress: opts.listenAddress ?? null,
    apps: manifest.apps.map((a) => a.app),
    realEndpoints: realEndpointsOf(manifest),
  };
  fs.writeFileSync(path.join(tmp, GENERATION_FILE), JSON.stringify(meta, null, 2) + '\n');
  fs.renameSync(tmp, genDir);
  log(`activating the configuration... (generation ${generation})`);
  const failed = await activateGeneration(root, generation, opts.listenAddress, opts.appServers, log);
  return { generation, failed };
}

async function rollback(opts, log) {
  const current = currentGeneration(opts.root);
  if (current === undefined) throw new Error('no current generation to roll back from');
  const previous = listGenerations(opts.root)
    .filter((g) => g.generation < current)
    .pop();
  if (previous === undefined) throw new Error(`no generation before ${current} to roll back to`);
  log(`switching profile from version ${current} to ${previous.generation}`);
  const failed = await activateGeneration(
    opts.root,
    previous.generation,
    opts.listenAddress,
    opts.appServers,
    log,
  );
  return { generation: previous.generation, failed };
}

/**
 * The per-app HTTP servers (one detached process per app, one server per http endpoint of the app on
 * the endpoint's port): the endpoint's health path answers 200 {app, endpoint, fqdn, generation,
 * status: "ok"} (with `items`, the number of item files, for an app with data paths), `/` a page
 * naming the app, /_fedops/standin/items the data API of app-servers/standin-data.js (the app's
 * items, shared by its endpoints; 404 for an app without data paths).
 */
function serveApp(opts) {
  const manifest = readJson(path.join(opts.generationDir, MANIFEST));
  const meta = readJson(path.join(opts.generationDir, GENERATION_FILE), {});
  const app = manifest.apps.find((a) => a.app === opts.app);
  if (app === undefined) throw new Error(`app ${opts.app} is not in ${MANIFEST}`);
  const generation = meta.generation ?? null;
  const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  // Endpoints a real server answers are not this process's (app-servers/real-apps.js).
  const endpoints = (app.endpoints ?? []).filter(
    (e) => e.kind === 'http' && !realApps.isRealEndpoint(app.app, e.id),
  );
  const address = opts.listenAddress ?? '0.0.0.0';
  const ready = path.join(layout(opts.root).runDir, `${app.app}.ready`);
  const store = standinData.createItemStore(opts.root, app);
  const servers = endpoints.map((endpoint) => {
    const logItems = (message) =>
      console.log(`${new Date().toISOString()} ${app.app}/${endpoint.id}: ${message}`);
    const server = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (standinData.handleItemRequest(store, req, res, url.pathname, logItems)) {
        // answered by the data API
      } else if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      } else if (url.pathname === endpoint.healthPath) {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(
          JSON.stringify({
            app: app.app,
            endpoint: endpoint.id,
            fqdn: endpoint.fqdn,
            generation,
            status: 'ok',
            ...(store === undefined ? {} : { items: store.count() }),
          }),
        );
      } else if (url.pathname === '/') {
        res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
        res.end(
          `<!doctype html><title>${escape(app.name)}</title><h1>${escape(app.name)} on ${escape(endpoint.fqdn)}</h1>` +
            `<p>fedops sandbox activation stand-in, generation ${escape(generation)}. This is not ${escape(app.name)} itself.</p>\n`,
        );
      } else {
        res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
      }
    });
    server.on('error', (err) => {
      console.error(
        `${new Date().toISOString()} ${app.app}/${endpoint.id}: cannot serve on port ${endpoint.port}: ${err.message}`,
      );
      process.exit(1);
    });
    return { endpoint, server };
  });
  let listening = 0;
  const onListening = () => {
    listening++;
    if (listening === servers.length) fs.writeFileSync(ready, String(process.pid));
  };
  for (const { endpoint, server } of servers) {
    server.listen(endpoint.port, address, () => {
      console.log(
        `${new Date().toISOString()} ${app.app}/${endpoint.id} (generation ${generation}) listening on ${address}:${endpoint.port}`,
      );
      onListening();
    });
  }
  // An app without http endpoints has nothing to serve; it is up as soon as it starts.
  if (servers.length === 0) fs.writeFileSync(ready, String(process.pid));
  const stop = () => {
    fs.rmSync(ready, { force: true });
    let open = servers.length;
    if (open === 0) process.exit(0);
    for (const { server } of servers) server.close(() => (--open === 0 ? process.exit(0) : undefined));
    setTimeout(() => process.exit(0), 1000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  if (servers.length === 0) setInterval(() => undefined, 1 << 30);
}

async function main(argv) {
  let opts;
  try {
    opts = parseArgs(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`error: ${err.message}\n${USAGE}`);
      return 2;
    }
    throw err;
  }
  const log = (msg) => console.error(msg);
  try {
    switch (opts.action) {
      case 'serve-app':
        serveApp(opts);
        return undefined; // keeps running
      case 'list-generations': {
        const gens = listGenerations(opts.root);
        if (opts.json) console.log(JSON.stringify(gens));
        else
          for (const g of gens)
            console.log(`${g.generation}\t${g.date ?? '-'}\t${g.current ? '(current)' : ''}`);
        return 0;
      }
      case 'stop':
        await withLock(opts.root, async () => {
          await stopFront(opts.root, log);
          await stopServers(opts.root, log);
          await realApps.stopRealApps(opts.root, log);
          // Last: the apps above were its clients.
          await postgres.stopPostgres(opts.root, log);
        });
        return 0;
      case 'switch': {
        const result = await withLock(opts.root, () =>
          opts.rollback ? rollback(opts, log) : switchToFlake(opts, log),
        );
        console.log(JSON.stringify({ generation: result.generation, failedUnits: result.failed }));
        if (result.failed.length > 0) {
          console.error(
            `warning: error(s) occurred while switching to the new configuration (failed: ${result.failed.join(', ')})`,
          );
          return 4;
        }
        return 0;
      }
      default:
        throw new Error(`unhandled action ${opts.action}`);
    }
  } catch (err) {
    console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}

module.exports = { parseArgs, UsageError, listGenerations, currentGeneration, main };

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      if (code !== undefined) process.exitCode = code;
    },
    (err) => {
      console.error(`error: ${err instanceof Error ? err.stack : String(err)}`);
      process.exitCode = 1;
    },
  );
}
