import { createHash } from 'node:crypto';
import { access, mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { run } from '@fedops/sandbox-host';

/**
 * The vendors' own Go clients against the simulators (test helper): each conformance program is a
 * Go module `fedops.local/simulators/conformance/<name>` under simulators/conformance/<name>, built
 * once per version of its sources (go.mod, go.sum, *.go) into
 * ~/.cache/fedops/conformance/<name>-<hash>. Go's own build and module caches make a rebuild cheap;
 * a cold one fetches the modules through the Go module proxy and takes a minute or two.
 */
const CONFORMANCE_DIR = resolve(__dirname, '../../conformance');
const CACHE_DIR = join(homedir(), '.cache', 'fedops', 'conformance');

export interface ConformanceBinary {
  path: string;
  /** How long the build took; absent when the cached binary was used. */
  builtMs?: number;
}

export async function conformanceBinary(name: string): Promise<ConformanceBinary> {
  const moduleDir = join(CONFORMANCE_DIR, name);
  const sources = (await readdir(moduleDir)).filter(
    (f) => f === 'go.mod' || f === 'go.sum' || f.endsWith('.go'),
  );
  const hash = createHash('sha256');
  for (const file of sources.sort()) hash.update(`${file}\0`).update(await readFile(join(moduleDir, file)));
  const path = join(CACHE_DIR, `${name}-${hash.digest('hex').slice(0, 16)}`);
  try {
    await access(path);
    return { path };
  } catch {
    // Not built yet.
  }
  await mkdir(CACHE_DIR, { recursive: true });
  // Built beside its final name, then renamed: a run in parallel never starts a half-written binary.
  const partial = `${path}.${process.pid}.partial`;
  const started = Date.now();
  try {
    // The Go that is installed (no toolchain download), the module's go.sum as it is, no VCS stamp.
    await run(
      'env',
      [
        'GOTOOLCHAIN=local',
        'go',
        '-C',
        moduleDir,
        'build',
        '-mod=readonly',
        '-buildvcs=false',
        '-o',
        partial,
        '.',
      ],
      { timeoutMs: 10 * 60_000 },
    );
    await rename(partial, path);
  } finally {
    await rm(partial, { force: true });
  }
  return { path, builtMs: Date.now() - started };
}
