import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

// The stand-in is plain JavaScript shipped to machines; its exports exist for tests.
const realApps = require('./real-apps.js') as {
  waitForBuild(binDir: string, server: string, binaries: string[]): void;
  missingBinaries(binDir: string, binaries: string[]): string[];
};

/** An app servers folder as scripts/ensure-app-servers.sh lays it out, without binaries yet. */
function appServersDir(): { root: string; binDir: string; lock: string } {
  const root = mkdtempSync(path.join(tmpdir(), 'fedops-build-wait-'));
  const binDir = path.join(root, 'dendrite-v0.13.8', 'bin');
  mkdirSync(binDir, { recursive: true });
  return { root, binDir, lock: path.join(root, '.lock') };
}

describe('the stand-in waiting for the app servers build', () => {
  const roots: string[] = [];
  afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

  it('waits while scripts/ensure-app-servers.sh holds its lock, and finds the binary the build left', async () => {
    const { root, binDir, lock } = appServersDir();
    roots.push(root);
    const binary = path.join(binDir, 'dendrite');
    // A build: holds the lock (exclusive, as the script does), writes the binary, then lets go.
    const build = spawn('flock', [
      '--exclusive',
      lock,
      'sh',
      '-c',
      `sleep 1 && printf '#!/bin/sh\\n' > ${binary} && chmod +x ${binary}`,
    ]);
    const exited = new Promise<number | null>((resolve) => build.on('exit', resolve));
    // Until the lock is held, there is nothing to wait for.
    const held = Date.now() + 5_000;
    while (Date.now() < held) {
      const probe = spawn('flock', ['--nonblock', lock, 'true']);
      const code = await new Promise<number | null>((resolve) => probe.on('exit', resolve));
      if (code !== 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(realApps.missingBinaries(binDir, ['dendrite'])).toEqual(['dendrite']);
    realApps.waitForBuild(binDir, 'dendrite', ['dendrite']);
    expect(realApps.missingBinaries(binDir, ['dendrite'])).toEqual([]);
    expect(await exited).toBe(0);
  });

  it('returns at once when no build holds the lock, leaving the missing binary to be reported', () => {
    const { root, binDir, lock } = appServersDir();
    roots.push(root);
    writeFileSync(lock, '');
    chmodSync(lock, 0o644);
    const started = Date.now();
    realApps.waitForBuild(binDir, 'dendrite', ['dendrite']);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(realApps.missingBinaries(binDir, ['dendrite'])).toEqual(['dendrite']);
  });
});
