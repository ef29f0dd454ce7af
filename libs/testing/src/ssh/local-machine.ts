/**
 * Test helper: a real OpenSSH
 * server on a loopback address of its own, standing in for a sandbox machine until
 * libs/sandbox-host provides namespaced ones. Each machine gets its own 127.x.y.z address, so the
 * catalog's fixed app ports never collide with anything else on 127.0.0.1.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { MachineRef } from '@fedops/contracts';
import { findBindFailure, PortInUseError, startOnPorts } from '../infra';
import { repoRoot } from '../platform/repo-root';

export interface LocalMachine {
  machine: MachineRef;
  /** Private key that the machine's root accepts. */
  privateKeyFile: string;
  /** Scratch folder of this machine (keys, logs, fsRoot). */
  dir: string;
  stop(): Promise<void>;
}

export function randomLoopbackAddress(): string {
  const octet = (): number => 1 + Math.floor(Math.random() * 250);
  return `127.${100 + Math.floor(Math.random() * 100)}.${octet()}.${octet()}`;
}

async function waitUntil(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function sshBanner(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, host);
    socket.setTimeout(1000);
    socket.once('data', (d) => {
      socket.destroy();
      resolve(d.toString().startsWith('SSH-'));
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

async function startSshd(o: {
  address: string;
  port: number;
  dir: string;
  hostKey: string;
  authorized: string;
  log: string;
}): Promise<ChildProcess> {
  const logStart = sizeOf(o.log);
  // prettier-ignore
  const args = [
    '-D', '-f', '/dev/null', '-h', o.hostKey, '-E', o.log,
    '-o', `ListenAddress=${o.address}`, '-o', `Port=${o.port}`,
    '-o', `AuthorizedKeysFile=${o.authorized}`, '-o', `PidFile=${path.join(o.dir, 'sshd.pid')}`,
    '-o', 'PermitRootLogin=prohibit-password', '-o', 'StrictModes=no', '-o', 'UsePAM=no',
    '-o', 'PasswordAuthentication=no',
  ];
  const sshd: ChildProcess = spawn('/usr/sbin/sshd', args, { stdio: 'ignore' });
  let exited = false;
  sshd.once('exit', () => (exited = true));
  try {
    await waitUntil(`sshd on ${o.address}:${o.port}`, async () => {
      if (exited) {
        const output = readFileSync(o.log, 'utf8').slice(logStart);
        const failure = findBindFailure(output, [o.port]);
        if (failure) throw new PortInUseError('sshd', failure.port, failure.evidence);
        throw new Error(`sshd exited: ${output}`);
      }
      return sshBanner(o.address, o.port);
    });
  } catch (err) {
    sshd.kill('SIGKILL');
    throw err;
  }
  return sshd;
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

export async function startLocalMachine(tenantId: string): Promise<LocalMachine> {
  const dir = mkdtempSync(path.join(tmpdir(), 'fedops-machine-'));
  const fsRoot = path.join(dir, 'root');
  mkdirSync(fsRoot);
  mkdirSync('/run/sshd', { recursive: true });
  const hostKey = path.join(dir, 'host_ed25519');
  const clientKey = path.join(dir, 'id_ed25519');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'fedops-test-host', '-f', hostKey]);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'fedops-test-client', '-f', clientKey]);
  const authorized = path.join(dir, 'authorized_keys');
  writeFileSync(authorized, readFileSync(`${clientKey}.pub`), { mode: 0o600 });
  const address = randomLoopbackAddress();
  const log = path.join(dir, 'sshd.log');
  // A port chosen free can be taken before sshd binds it: startOnPorts starts again on another.
  let sshd: ChildProcess;
  let port: number;
  try {
    const started = await startOnPorts({
      component: `sshd on ${address}`,
      names: ['ssh'],
      requested: {},
      start: ({ ssh }) => startSshd({ address, port: ssh, dir, hostKey, authorized, log }),
    });
    sshd = started.value;
    port = started.ports.ssh;
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  let exited = sshd.exitCode !== null;
  sshd.once('exit', () => (exited = true));
  const machine: MachineRef = {
    machineId: `local-${address}`,
    tenantId,
    provider: 'sandbox',
    providerId: '00000000-0000-4000-8000-000000000001',
    location: 'local',
    address,
    sshPort: port,
    sshUser: 'root',
    sshHostKey: readFileSync(`${hostKey}.pub`, 'utf8').trim(),
    fsRoot,
    activation: 'sandbox-standin',
  };
  return {
    machine,
    privateKeyFile: clientKey,
    dir,
    async stop() {
      stopStandinServers(fsRoot);
      if (!exited) {
        const gone = new Promise((r) => sshd.once('exit', r));
        sshd.kill('SIGTERM');
        await gone;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The deployer's activation stand-in (plain JavaScript, run from its source folder). */
const STANDIN_SCRIPT = path.join(
  repoRoot(),
  'services/deployer/src/activation/sandbox-standin/fedops-standin-activate.js',
);

/** Stops every stand-in app server of a machine root: via the stand-in's own `stop`, then checks. */
export function stopStandinServers(fsRoot: string): void {
  const script = STANDIN_SCRIPT;
  execFileSync(process.execPath, [script, '--root', fsRoot, 'stop'], { stdio: 'ignore' });
  const left = standinPids(fsRoot);
  for (const pid of left) process.kill(pid, 'SIGKILL');
}

/** Pids of live processes whose command line names this root's stand-in app servers or front nginx. */
export function standinPids(fsRoot: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const zombie = stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
      const front = cmd[0]?.startsWith('nginx: master process') === true && cmd[0].includes(fsRoot);
      if (!zombie && ((cmd.includes('serve-app') && cmd.includes(fsRoot)) || front)) pids.push(Number(entry));
    } catch {
      // process ended meanwhile
    }
  }
  return pids;
}
