import { spawn } from 'node:child_process';

export interface RunOptions {
  /** Kill the command and fail after this long (default 30 s). */
  timeoutMs?: number;
  /** Resolve with the result instead of throwing when the exit code is not 0. */
  allowFailure?: boolean;
  /** Written to the command's stdin (which is otherwise closed). */
  input?: string;
}

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** A command that could not start, timed out or exited with a non-zero code. */
export class CommandFailedError extends Error {
  constructor(
    readonly command: string,
    readonly args: readonly string[],
    readonly exitCode: number | null,
    readonly stderr: string,
    options?: { cause?: unknown },
  ) {
    const shown = [command, ...args].join(' ');
    const detail = stderr.trim().split('\n').slice(-3).join(' | ');
    super(
      `Command failed (exit ${exitCode ?? 'none'}): ${shown}${detail ? `: ${detail}` : ''}`,
      // The captured stderr is the cause unless a lower-level error (spawn failure, timeout) is given.
      { cause: options?.cause ?? (stderr.trim() ? new Error(stderr.trim()) : undefined) },
    );
    this.name = 'CommandFailedError';
  }
}

/** Runs a command without a shell and collects its output. */
export function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  return new Promise<RunResult>((resolve, reject) => {
    const child = spawn(command, args, { stdio: 'pipe' });
    // A command that exits without reading all of its input must not fail us with EPIPE.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new CommandFailedError(command, args, null, '', { cause: err }));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const result = {
        exitCode: code ?? -1,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
      };
      if (timedOut) {
        reject(
          new CommandFailedError(command, args, code, result.stderr, {
            cause: new Error(`timed out after ${timeoutMs} ms`),
          }),
        );
      } else if (code !== 0 && !options.allowFailure) {
        reject(new CommandFailedError(command, args, code, result.stderr));
      } else {
        resolve(result);
      }
    });
  });
}
