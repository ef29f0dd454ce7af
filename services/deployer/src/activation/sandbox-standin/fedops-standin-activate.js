#!/usr/bin/env node
/*
 * fedops SANDBOX ACTIVATION STAND-IN. This is not NixOS and builds nothing.
 *
 * Sandbox machines (network namespaces on a Linux host) cannot run NixOS, so this program takes the
 * place of `nixos-rebuild` there, keeping its interface:
 *
 *   fedops-standin-activate.js --root <fsRoot> [--listen-address <addr>] switch --flake <dir>#<host>
 *   fedops-standin-activate.js --root <fsRoot> switch --rollback      (also: --rollback switch)
 *   fedops-standin-activate.js --root <fsRoot> list-generations [--json]
 *   fedops-standin-activate.js --root <fsRoot> stop                   (stand-in only: stop every app)
 *
 * Generations live where NixOS keeps them, under the machine's root folder:
 * <fsRoot>/nix/var/nix/profiles/system-<N>-link is a folder holding a copy of the flake (instead of a
 * store path), and <fsRoot>/nix/var/nix/profiles/system is a symlink to the current one. `switch`
 * makes generation max+1 current; `--rollback` makes the generation before the current one current
 * (the later ones stay, as in Nix). Instead of systemd units, each app of the generation's
 * fedops-apps.json is served by a small detached Node HTTP server on the app's port, answering the
 * app's health path with 200 {app, fqdn, generation, status: "ok"} and `/` with a page naming the app.
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

const SCRIPT_NAME = 'fedops-standin-activate.js';
const MANIFEST = 'fedops-apps.json';
const GENERATION_FILE = 'fedops-generation.json';
const USAGE = `usage: ${SCRIPT_NAME} --root <fsRoot> [--listen-address <addr>] <action>
actions:
  switch --flake <dir>#<host>   activate <dir> as a new generation
  switch --rollback             activate the generation before the current one
  list-generations [--json]     print the generations
  stop                          stop every app server of this root`;

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

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
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

function readText(file) {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return '';
  }
}

/** True while the process exists and is not a zombie. */
function isAlive(pid) {
  const stat = readText(`/proc/${pid}/stat`);
  if (stat === '') return false;
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== 'Z' && state !== 'X';
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

async function activateGeneration(root, generation, listenAddress, log) {
  const l = layout(root);
  const genDir = l.generationDir(generation);
  const tmpLink = `${l.systemLink}.tmp-${process.pid}`;
  fs.rmSync(tmpLink, { force: true });
  fs.symlinkSync(`system-${generation}-link`, tmpLink);
  fs.renameSync(tmpLink, l.systemLink);
  await stopServers(root, log);
  const meta = readJson(path.join(genDir, GENERATION_FILE), {});
  return startServers(root, genDir, listenAddress ?? meta.listenAddress, log);
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
  if (!fs.existsSync(path.join(tmp, SCRIPT_NAME))) fs.copyFileSync(__filename, path.join(tmp, SCRIPT_NAME));
  const meta = {
    generation,
    date: new Date().toISOString(),
    flake: `${flakeDir}#${flakeHost}`,
    listenAddress: opts.listenAddress ?? null,
    apps: manifest.apps.map((a) => a.app),
  };
  fs.writeFileSync(path.join(tmp, GENERATION_FILE), JSON.stringify(meta, null, 2) + '\n');
  fs.renameSync(tmp, genDir);
  log(`activating the configuration... (generation ${generation})`);
  const failed = await activateGeneration(root, generation, opts.listenAddress, log);
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
  const failed = await activateGeneration(opts.root, previous.generation, opts.listenAddress, log);
  return { generation: previous.generation, failed };
}

/** The per-app HTTP server (runs detached, one process per app). */
function serveApp(opts) {
  const manifest = readJson(path.join(opts.generationDir, MANIFEST));
  const meta = readJson(path.join(opts.generationDir, GENERATION_FILE), {});
  const app = manifest.apps.find((a) => a.app === opts.app);
  if (app === undefined) throw new Error(`app ${opts.app} is not in ${MANIFEST}`);
  const generation = meta.generation ?? null;
  const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
    } else if (url.pathname === app.healthPath) {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ app: app.app, fqdn: app.fqdn, generation, status: 'ok' }));
    } else if (url.pathname === '/') {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(
        `<!doctype html><title>${escape(app.name)}</title><h1>${escape(app.name)} on ${escape(app.fqdn)}</h1>` +
          `<p>fedops sandbox activation stand-in, generation ${escape(generation)}. This is not ${escape(app.name)} itself.</p>\n`,
      );
    } else {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
    }
  });
  const ready = path.join(layout(opts.root).runDir, `${app.app}.ready`);
  server.on('error', (err) => {
    console.error(`${new Date().toISOString()} ${app.app}: cannot serve on port ${app.port}: ${err.message}`);
    process.exit(1);
  });
  server.listen(app.port, opts.listenAddress ?? '0.0.0.0', () => {
    fs.writeFileSync(ready, String(process.pid));
    console.log(
      `${new Date().toISOString()} ${app.app} (generation ${generation}) listening on ${opts.listenAddress ?? '0.0.0.0'}:${app.port}`,
    );
  });
  const stop = () => {
    fs.rmSync(ready, { force: true });
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 1000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
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
        await withLock(opts.root, () => stopServers(opts.root, log));
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
