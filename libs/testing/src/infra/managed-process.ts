import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, fstatSync, openSync } from 'node:fs';
import { open } from 'node:fs/promises';

import { waitFor, type WaitCondition } from '../wait-for';
import { findBindFailure, PortInUseError } from './port-allocation';
import type { RunningComponent } from './types';

/**
 * A long-running infrastructure process (postgres, nats-server, temporal, pdns_server) whose output
 * goes to a log file. It never outlives the Node process that started it:
 * - it is spawned through `setpriv --pdeathsig KILL`, so the kernel kills it if we die (even by SIGKILL);
 * - every live process is also killed from `process.on('exit')`.
 */
export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Size of the log file when this process started: what it wrote begins here. */
  readonly logOffset: number;
  /** Aborted (with a readable reason) when the process exits. */
  readonly exited: AbortSignal;
  /** Gracefully stop: `stopSignal`, wait `graceMs`, then SIGKILL. Resolves once the process is gone. */
  stop(): Promise<void>;
}

/** The reason of `exited`: how the process ended. */
export class ProcessExitedError extends Error {
  override readonly name = 'ProcessExitedError';
  constructor(
    readonly processName: string,
    readonly pid: number,
    readonly code: number | null,
    readonly signal: NodeJS.Signals | null,
  ) {
    super(`${processName} (pid ${pid}) exited with ${signal ? `signal ${signal}` : `code ${String(code)}`}`);
  }
}

export interface SpawnManagedOptions {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly logFile: string;
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Run as this system user (e.g. `postgres`); we are root. */
  readonly runAs?: string;
  /** Signal for a graceful stop. Default SIGTERM (postgres wants SIGINT: "fast" shutdown). */
  readonly stopSignal?: NodeJS.Signals;
  /** How long a graceful stop may take before SIGKILL. Default 10 s. */
  readonly graceMs?: number;
}

export interface SpawnCommand {
  readonly command: string;
  readonly args: readonly string[];
}

const SETPRIV = '/usr/bin/setpriv';

/**
 * Builds the real command line: wrapped in setpriv (parent-death signal, optional user switch) when
 * setpriv is available, else `runuser` for a user switch, else the bare command.
 */
export function buildSpawnCommand(
  command: string,
  args: readonly string[],
  options: { runAs?: string; setprivPath?: string | null },
): SpawnCommand {
  const setpriv = options.setprivPath === undefined ? SETPRIV : options.setprivPath;
  if (setpriv !== null) {
    const userArgs = options.runAs
      ? ['--reuid', options.runAs, '--regid', options.runAs, '--init-groups']
      : [];
    return { command: setpriv, args: ['--pdeathsig', 'KILL', ...userArgs, '--', command, ...args] };
  }
  if (options.runAs) {
    return { command: 'runuser', args: ['-u', options.runAs, '--', command, ...args] };
  }
  return { command, args: [...args] };
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of live) {
      try {
        child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  });
}

export async function spawnManaged(options: SpawnManagedOptions): Promise<ManagedProcess> {
  installExitHook();
  const real = buildSpawnCommand(options.command, options.args, {
    ...(options.runAs ? { runAs: options.runAs } : {}),
    setprivPath: existsSync(SETPRIV) ? SETPRIV : null,
  });
  const logFd = openSync(options.logFile, 'a');
  const logOffset = fstatSync(logFd).size;
  let child: ChildProcess;
  try {
    child = spawn(real.command, [...real.args], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', logFd, logFd],
      detached: false,
    });
  } finally {
    closeSync(logFd);
  }

  await new Promise<void>((resolve, reject) => {
    child.once('spawn', () => resolve());
    child.once('error', (error) =>
      reject(new Error(`Could not start ${options.name} (${options.command})`, { cause: error })),
    );
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${options.name} started without a pid`);
  live.add(child);

  const exitController = new AbortController();
  const exitPromise = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(child);
      exitController.abort(new ProcessExitedError(options.name, pid, code, signal));
      resolve();
    });
  });

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(options.stopSignal ?? 'SIGTERM');
      const graceful = await Promise.race([
        exitPromise.then(() => true),
        new Promise<false>((resolve) => setTimeout(() => resolve(false), options.graceMs ?? 10_000).unref()),
      ]);
      if (!graceful) {
        child.kill('SIGKILL');
        await exitPromise;
      }
    })();
    return stopping;
  };

  return {
    name: options.name,
    pid,
    logFile: options.logFile,
    logOffset,
    exited: exitController.signal,
    stop,
  };
}

export interface WaitUntilReadyOptions {
  readonly description: string;
  readonly timeoutMs?: number;
  readonly intervalMs?: number;
  /** The process' ports, so a bind failure names which one was taken. */
  readonly ports?: readonly number[];
}

/** Spawns a process and waits until `probe` succeeds (waitUntilReady); one that never gets ready is stopped. */
export async function spawnUntilReady(
  spawnOptions: SpawnManagedOptions,
  probe: WaitCondition<unknown>,
  readyOptions: WaitUntilReadyOptions,
): Promise<ManagedProcess> {
  const proc = await spawnManaged(spawnOptions);
  try {
    await waitUntilReady(proc, probe, readyOptions);
  } catch (error: unknown) {
    await proc.stop();
    throw error;
  }
  return proc;
}

/** A native component as the harness hands it out: its server process, its ports and what it serves. */
export function nativeComponent<E>(
  proc: ManagedProcess,
  endpoint: E,
  ports: Readonly<Record<string, number>>,
): RunningComponent<E> {
  return {
    endpoint,
    pid: proc.pid,
    logFile: proc.logFile,
    ports,
    exited: proc.exited,
    stop: () => proc.stop(),
  };
}

/**
 * Waits until `probe` succeeds while the process is alive. On failure (deadline, or the process
 * exited) the error names the process and carries the tail of its log file. When the process writes
 * that a bind failed ("address already in use") it fails at once with a PortInUseError naming which
 * of `ports` it was, if the output says (some servers, like PowerDNS' webserver, keep running).
 */
export async function waitUntilReady<T>(
  proc: ManagedProcess,
  probe: WaitCondition<T>,
  options: WaitUntilReadyOptions,
): Promise<T> {
  const bindFailed = new AbortController();
  const bindFailure = async (): Promise<PortInUseError | undefined> => {
    const failure = findBindFailure(await outputSinceStart(proc), options.ports ?? []);
    return failure && new PortInUseError(proc.name, failure.port, failure.evidence);
  };
  try {
    return await waitFor(
      async () => {
        const failure = await bindFailure();
        if (failure !== undefined) {
          bindFailed.abort(failure);
          return false;
        }
        return probe();
      },
      {
        description: options.description,
        timeoutMs: options.timeoutMs ?? 60_000,
        intervalMs: options.intervalMs ?? 100,
        signal: AbortSignal.any([proc.exited, bindFailed.signal]),
      },
    );
  } catch (error: unknown) {
    const failure = await bindFailure(); // also when it exited before we read its output
    if (failure !== undefined)
      throw new PortInUseError(proc.name, failure.port, failure.evidence, { cause: error });
    const message = error instanceof Error ? error.message : String(error);
    const tail = await logTail(proc.logFile);
    throw new Error(`${proc.name} is not ready: ${message}\n--- last lines of ${proc.logFile} ---\n${tail}`, {
      cause: error,
    });
  }
}

/** What the process wrote to its log since it started (the last `maxBytes` of it). */
export async function outputSinceStart(
  proc: Pick<ManagedProcess, 'logFile' | 'logOffset'>,
  maxBytes = 65_536,
): Promise<string> {
  let handle;
  try {
    handle = await open(proc.logFile, 'r');
  } catch {
    return '';
  }
  try {
    const { size } = await handle.stat();
    const start = Math.max(proc.logOffset, size - maxBytes);
    if (size <= start) return '';
    const buffer = Buffer.alloc(size - start);
    await handle.read(buffer, 0, buffer.length, start);
    return buffer.toString('utf8');
  } finally {
    await handle.close();
  }
}

/** The last `lines` lines of a (possibly large or missing) log file. */
export async function logTail(file: string, lines = 40, maxBytes = 16_384): Promise<string> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch {
    return '(no log file)';
  }
  try {
    const { size } = await handle.stat();
    const start = Math.max(0, size - maxBytes);
    const buffer = Buffer.alloc(size - start);
    await handle.read(buffer, 0, buffer.length, start);
    const text = buffer.toString('utf8').trimEnd();
    return text === '' ? '(log is empty)' : text.split('\n').slice(-lines).join('\n');
  } finally {
    await handle.close();
  }
}
