import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { ResticCli, ResticError } from './restic-cli';
import { LocalDirectoryTarget, ResticRepositoryManager } from './repository-manager';

describe('restic repositories with the real restic binary', () => {
  let work: string;
  let restic: ResticCli;
  let manager: ResticRepositoryManager;
  let source: string;
  const tenantId = `tenant-${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'fedops-restic-test-'));
    restic = new ResticCli({ cacheDir: join(work, 'cache'), timeoutMs: 60_000 });
    manager = new ResticRepositoryManager({ rootDir: join(work, 'repos'), restic });
    source = join(work, 'src');
    await mkdir(join(source, 'media', 'nested'), { recursive: true });
    await writeFile(join(source, 'db.dump'), randomBytes(256 * 1024));
    await writeFile(join(source, 'media', 'nested', 'photo.jpg'), randomBytes(64 * 1024));
    await writeFile(join(source, 'media', 'notes.txt'), 'hello from the tenant\n');
  });

  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('is restic 0.14 or newer', async () => {
    expect(await restic.version()).toMatch(/^0\.(1[4-9]|[2-9]\d)\.\d+$/);
  });

  it('creates a repository once, backs up, lists, restores byte for byte, and deletes it', async () => {
    const first = await manager.ensureRepository(tenantId);
    expect(first).toMatchObject({ created: true, location: join(work, 'repos', tenantId) });
    expect(first.repositoryId).toMatch(/^[0-9a-f]{64}$/);
    expect(first.password.length).toBeGreaterThanOrEqual(40);
    expect((await stat(join(first.location, 'config'))).isFile()).toBe(true);

    // Second time (e.g. a retried activity) with the stored password: detected as existing.
    const second = await manager.ensureRepository(tenantId, first.password);
    expect(second).toEqual({ ...first, created: false });

    const { location, password } = first;
    const backup = await restic.backup(location, password, ['.'], {
      cwd: source,
      tags: ['tenant:' + tenantId, 'scheduled'],
      host: tenantId,
    });
    expect(backup.snapshotId).toMatch(/^[0-9a-f]{64}$/);
    expect(backup).toMatchObject({ filesNew: 3, incomplete: false });

    const snapshots = await restic.snapshots(location, password, { tags: ['scheduled'] });
    expect(snapshots).toHaveLength(1);
    expect(snapshots[0]).toMatchObject({
      id: backup.snapshotId,
      shortId: backup.snapshotId.slice(0, 8),
      hostname: tenantId,
      tags: ['tenant:' + tenantId, 'scheduled'],
    });
    expect(await restic.snapshots(location, password, { tags: ['other'] })).toEqual([]);

    await restic.check(location, password, { readDataSubset: '100%' });

    const target = join(work, 'restored');
    await restic.restore(location, password, backup.snapshotId, target);
    for (const file of ['db.dump', 'media/nested/photo.jpg', 'media/notes.txt']) {
      const restored = await readFile(join(target, file));
      expect(restored.equals(await readFile(join(source, file)))).toBe(true);
    }

    // Retention: three snapshots, keep the last two.
    await writeFile(join(source, 'media', 'notes.txt'), 'changed\n');
    const second2 = await restic.backup(location, password, ['.'], { cwd: source, host: tenantId });
    const third = await restic.backup(location, password, ['.'], { cwd: source, host: tenantId });
    expect(second2.filesChanged).toBe(1);
    const forgotten = await restic.forget(location, password, { keepLast: 2 });
    expect(forgotten.removed).toEqual([backup.snapshotId]);
    expect(forgotten.kept.sort()).toEqual([second2.snapshotId, third.snapshotId].sort());
    await restic.prune(location, password);
    expect((await restic.snapshots(location, password)).map((s) => s.id).sort()).toEqual(
      forgotten.kept.sort(),
    );

    expect(await manager.deleteRepository(location)).toEqual({ deleted: true });
    expect(existsSync(location)).toBe(false);
    expect(await manager.deleteRepository(location)).toEqual({ deleted: false });
    await expect(restic.snapshots(location, password)).rejects.toMatchObject({
      name: 'ResticError',
      kind: 'repository-not-found',
      exitCode: 1,
    });
  });

  it('classifies a wrong password, also when ensuring an existing repository', async () => {
    const id = `${tenantId}-pw`;
    const repo = await manager.ensureRepository(id);
    try {
      const err = await restic.snapshots(repo.location, 'not-the-password').then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ResticError);
      expect(err).toMatchObject({ kind: 'wrong-password', retryable: false });
      expect((err as ResticError).message).toContain('wrong password');
      expect((err as ResticError).message).not.toContain(repo.password);
      // Ensuring without the stored password cannot silently "succeed".
      await expect(manager.ensureRepository(id)).rejects.toMatchObject({ kind: 'wrong-password' });
    } finally {
      await manager.deleteRepository(repo.location);
    }
  });

  it('classifies a repository held by another process as locked', async () => {
    const repo = await manager.ensureRepository(`${tenantId}-lock`);
    // A backup reading stdin holds its (non-exclusive) lock until stdin closes; check needs an exclusive one.
    const holder = spawn('restic', ['backup', '--stdin', '--stdin-filename', 'stream'], {
      env: {
        PATH: process.env['PATH'] ?? '/usr/bin:/bin',
        HOME: work,
        RESTIC_REPOSITORY: repo.location,
        RESTIC_PASSWORD: repo.password,
        RESTIC_CACHE_DIR: join(work, 'cache'),
      },
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    const exited = new Promise<number | null>((resolve) => holder.once('close', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 20_000;
      while ((await readdir(join(repo.location, 'locks')).catch(() => [])).length === 0) {
        if (Date.now() > deadline) throw new Error('the holder never created a lock');
        await delay(50);
      }
      await expect(restic.check(repo.location, repo.password)).rejects.toMatchObject({
        kind: 'locked',
        retryable: true,
      });
    } finally {
      holder.stdin?.end('streamed data\n');
      expect(await exited).toBe(0);
      await manager.deleteRepository(repo.location);
    }
  });

  it('refuses to delete anything outside the backup root', async () => {
    const target = new LocalDirectoryTarget(join(work, 'repos'));
    await expect(target.remove(join(work, 'src'))).rejects.toThrow(/not a repository folder/);
    await expect(target.remove(join(work, 'repos', '..', 'src'))).rejects.toThrow(/not a repository folder/);
    expect(existsSync(join(source, 'db.dump'))).toBe(true);
    expect(() => manager.locationFor('../escape')).toThrow(/tenantId/);
  });
});
