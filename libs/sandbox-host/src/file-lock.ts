import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Holds an exclusive flock(2) on `path` while `task` runs, so processes sharing the file do not
 * interleave. The lock is held by a `flock` child process waiting on its stdin: when the task ends
 * we close stdin; when this process dies the pipe closes too, so a crash never leaves a stale lock.
 */
export async function withFileLock<T>(path: string, timeoutMs: number, task: () => Promise<T>): Promise<T> {
  await mkdir(dirname(path), { recursive: true });
  const seconds = Math.max(1, Math.ceil(timeoutMs / 1000));
  const child = spawn(
    'flock',
    ['--exclusive', '--timeout', String(seconds), path, 'sh', '-c', 'echo locked; exec cat >/dev/null'],
    {
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const acquired = await new Promise<boolean>((resolve) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      if (out.includes('locked')) resolve(true);
    });
    child.on('error', () => resolve(false));
    void exited.then(() => resolve(false));
  });
  if (!acquired) {
    const code = await exited;
    throw new Error(
      `Could not lock ${path} within ${seconds} s (flock exit ${code ?? 'none'})${stderr ? `: ${stderr.trim()}` : ''}`,
    );
  }
  try {
    return await task();
  } finally {
    child.stdin.end();
    await exited;
  }
}
