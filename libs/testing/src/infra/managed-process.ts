import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, closeSync } from 'node:fs';
import { open } from 'node:fs/promises';

import { waitFor, type WaitCondition } from '../wait-for';

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
  /** Aborted (with a readable reason) when the process exits. */
  readonly exited: AbortSignal;
  /** Gracefully stop: `stopSignal`, wait `graceMs`, then SIGKILL. Resolves once the process is gone. */
  stop(): Promise<void>;
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
      const how = signal ? `signal ${signal}` : `code ${String(code)}`;
      exitController.abort(new Error(`${options.name} (pid ${pid}) exited with ${how}`));
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

  return { name: options.name, pid, logFile: options.logFile, exited: exitController.signal, stop };
}

/**
 * Waits until `probe` succeeds while the process is alive. On failure (deadline, or the process
 * exited) the error names the process and carries the tail of its log file.
 */
export async function waitUntilReady<T>(
  proc: ManagedProcess,
  probe: WaitCondition<T>,
  options: { description: string; timeoutMs?: number; intervalMs?: number },
): Promise<T> {
  try {
    return await waitFor(probe, {
      description: options.description,
      timeoutMs: options.timeoutMs ?? 60_000,
      intervalMs: options.intervalMs ?? 100,
      signal: proc.exited,
    });
  } catch (error: unknown) {
    const message = error instanceof Error ? error.message : String(error);
    const tail = await logTail(proc.logFile);
    throw new Error(`${proc.name} is not ready: ${message}\n--- last lines of ${proc.logFile} ---\n${tail}`, {
      cause: error,
    });
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
