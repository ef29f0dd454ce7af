import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { generateRepositoryPassword } from './repository-password';
import { ResticCli, ResticError } from './restic-cli';

/** ResticCli against the real restic binary, on repositories in local folders. */
describe('ResticCli with the real restic binary', () => {
  let work: string;
  let restic: ResticCli;
  let source: string;
  /** A fresh repository folder's location (restic creates the folder). */
  const newRepository = (): string => join(work, 'repos', randomBytes(6).toString('hex'));

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'fedops-restic-test-'));
    restic = new ResticCli({ cacheDir: join(work, 'cache'), timeoutMs: 60_000 });
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

  it('creates a repository once and opens it again; another password is refused', async () => {
    const location = newRepository();
    const password = generateRepositoryPassword();
    expect(password).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const first = await restic.init(location, password);
    expect(first.created).toBe(true);
    expect(first.repositoryId).toMatch(/^[0-9a-f]{64}$/);
    expect((await stat(join(location, 'config'))).isFile()).toBe(true);

    // Again (a retried activity) with the stored password: the same repository, opened.
    expect(await restic.init(location, password)).toEqual({
      created: false,
      repositoryId: first.repositoryId,
    });
    expect(await restic.repositoryId(location, password)).toBe(first.repositoryId);

    // With a password nobody stored: never a silent success.
    await expect(restic.init(location, generateRepositoryPassword())).rejects.toMatchObject({
      name: 'ResticError',
      kind: 'wrong-password',
      retryable: false,
    });
  });

  it('backs up, lists, checks, restores byte for byte and forgets by a retention policy', async () => {
    const location = newRepository();
    const password = generateRepositoryPassword();
    await restic.init(location, password);

    const backup = await restic.backup(location, password, ['.'], {
      cwd: source,
      tags: ['tenant=t1', 'reason=scheduled'],
      host: 't1',
    });
    expect(backup.snapshotId).toMatch(/^[0-9a-f]{64}$/);
    expect(backup).toMatchObject({ filesNew: 3, incomplete: false, totalFilesProcessed: 3 });

    const snapshots = await restic.snapshots(location, password, { tags: ['reason=scheduled'] });
    expect(snapshots).toHaveLength(1);
    expect(snapshots[0]).toMatchObject({
      id: backup.snapshotId,
      shortId: backup.snapshotId.slice(0, 8),
      hostname: 't1',
      tags: ['tenant=t1', 'reason=scheduled'],
    });
    expect(await restic.snapshots(location, password, { tags: ['reason=other'] })).toEqual([]);
    expect(await restic.snapshots(location, password, {}, [backup.snapshotId.slice(0, 8)])).toEqual(
      snapshots,
    );

    await restic.check(location, password, { readDataSubset: '100%' });

    const target = join(work, 'restored');
    await restic.restore(location, password, backup.snapshotId, target);
    for (const file of ['db.dump', 'media/nested/photo.jpg', 'media/notes.txt']) {
      const restored = await readFile(join(target, file));
      expect(restored.equals(await readFile(join(source, file)))).toBe(true);
    }
    const only = join(work, 'restored-notes');
    await restic.restore(location, password, backup.snapshotId, only, { include: ['/media/notes.txt'] });
    expect(await readdir(join(only, 'media'))).toEqual(['notes.txt']);

    // Retention: three snapshots, keep the last two.
    await writeFile(join(source, 'media', 'notes.txt'), 'changed\n');
    const second = await restic.backup(location, password, ['.'], { cwd: source, host: 't1' });
    const third = await restic.backup(location, password, ['.'], { cwd: source, host: 't1' });
    expect(second).toMatchObject({ filesChanged: 1, filesUnmodified: 2 });
    const forgotten = await restic.forget(location, password, { keepLast: 2 });
    expect(forgotten.removed).toEqual([backup.snapshotId]);
    expect(forgotten.kept.sort()).toEqual([second.snapshotId, third.snapshotId].sort());
    await restic.prune(location, password);
    expect((await restic.snapshots(location, password)).map((s) => s.id).sort()).toEqual(
      forgotten.kept.sort(),
    );
    await restic.check(location, password);
  });

  it('classifies a repository that is not there as not found', async () => {
    await expect(restic.snapshots(newRepository(), generateRepositoryPassword())).rejects.toMatchObject({
      name: 'ResticError',
      kind: 'repository-not-found',
      retryable: false,
    });
  });

  it('classifies a wrong password and never prints it', async () => {
    const location = newRepository();
    const password = generateRepositoryPassword();
    await restic.init(location, password);
    const wrong = generateRepositoryPassword();
    const err = await restic.snapshots(location, wrong).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ResticError);
    expect(err).toMatchObject({ kind: 'wrong-password', retryable: false });
    const { message, stderrTail } = err as ResticError;
    expect(message).toContain('wrong password');
    for (const secret of [password, wrong]) expect(`${message}\n${stderrTail}`).not.toContain(secret);
  });

  it('classifies a repository held by another process as locked, and unlock leaves a live lock', async () => {
    const location = newRepository();
    const password = generateRepositoryPassword();
    await restic.init(location, password);
    // A backup reading stdin holds its (non-exclusive) lock until stdin closes; check needs an exclusive one.
    const holder = spawn('restic', ['backup', '--stdin', '--stdin-filename', 'stream'], {
      env: {
        PATH: process.env['PATH'] ?? '/usr/bin:/bin',
        HOME: work,
        RESTIC_REPOSITORY: location,
        RESTIC_PASSWORD: password,
        RESTIC_CACHE_DIR: join(work, 'cache'),
      },
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    const exited = new Promise<number | null>((resolve) => holder.once('close', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 20_000;
      while ((await readdir(join(location, 'locks')).catch(() => [])).length === 0) {
        if (Date.now() > deadline) throw new Error('the holder never created a lock');
        await delay(50);
      }
      await expect(restic.check(location, password)).rejects.toMatchObject({
        kind: 'locked',
        retryable: true,
      });
      // The holder is alive: unlock keeps its lock.
      await restic.unlock(location, password);
      expect(await readdir(join(location, 'locks'))).toHaveLength(1);
    } finally {
      holder.stdin?.end('streamed data\n');
      expect(await exited).toBe(0);
    }
    expect(await readdir(join(location, 'locks'))).toEqual([]);
    await restic.check(location, password);
  });
});
