import { execFile } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** `go env GOPATH` (with `go` on PATH or in /usr/local/go/bin), or undefined where there is no Go. */
export async function goEnvGoPath(): Promise<string | undefined> {
  for (const go of ['go', '/usr/local/go/bin/go']) {
    try {
      const { stdout } = await execFileAsync(go, ['env', 'GOPATH'], { timeout: 10_000 });
      const value = stdout.trim();
      if (value) return value;
    } catch {
      // no go here
    }
  }
  return undefined;
}

/** The first of `candidates` that is an executable file, or undefined. */
export async function firstExecutable(candidates: readonly string[]): Promise<string | undefined> {
  for (const candidate of candidates) {
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // try the next one
    }
  }
  return undefined;
}
