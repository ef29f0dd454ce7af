import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { generateRepositoryPassword } from './repository-password';
import { parseBackupSummary, ResticCli, ResticError } from './restic-cli';

const execFileAsync = promisify(execFile);

/**
 * ResticCli (the commands the backup service runs itself) against the real restic binary, on
 * repositories in local folders. What the machines do (init, backup, restore) is done here with the
 * binary directly; machine-restic.int-spec.ts runs it as the machines do.
 */
describe('ResticCli with the real restic binary', () => {
  let work: string;
  let restic: ResticCli;
  let source: string;

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

  function env(location: string, password: string): Record<string, string> {
    return {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      HOME: work,
      RESTIC_CACHE_DIR: join(work, 'cache'),
      RESTIC_REPOSITORY: location,
      RESTIC_PASSWORD: password,
    };
  }

  /** restic itself, as a machine runs it; its standard output. */
  async function resticHere(location: string, password: string, ...args: string[]): Promise<string> {
    const { stdout } = await execFileAsync('restic', args, { env: env(location, password), cwd: source });
    return stdout;
  }

  /** A new repository (in its own folder) with the password. */
  async function newRepository(): Promise<{ location: string; password: string }> {
    const location = join(work, 'repos', randomBytes(6).toString('hex'));
    const password = generateRepositoryPassword();
    await resticHere(location, password, 'init');
    return { location, password };
  }

  /** A backup of the source folder (relative paths: stored from `/`); the full snapshot id. */
  async function backup(
    location: string,
    password: string,
    tags: string[] = [],
    host = 't1',
  ): Promise<string> {
    const stdout = await resticHere(
      location,
      password,
      'backup',
      '--json',
      '--host',
      host,
      ...tags.flatMap((t) => ['--tag', t]),
      '--',
      '.',
    );
    const shortId = parseBackupSummary(stdout)?.snapshotId;
    if (shortId === undefined) throw new Error(`no backup summary: ${stdout.slice(-300)}`);
    const [found] = await restic.snapshots(location, password, {}, [shortId]);
    if (found === undefined) throw new Error(`snapshot ${shortId} not found`);
    return found.id;
  }

  it('reads the repository id, which proves the password; another password is refused', async () => {
    const { location, password } = await newRepository();
    const id = await restic.repositoryId(location, password);
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(await restic.repositoryId(location, password)).toBe(id);

    const wrong = generateRepositoryPassword();
    const err = await restic.repositoryId(location, wrong).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ResticError);
    expect(err).toMatchObject({ kind: 'wrong-password', retryable: false });
    const { message, stderrTail } = err as ResticError;
    expect(message).toContain('wrong password');
    for (const secret of [password, wrong]) expect(`${message}\n${stderrTail}`).not.toContain(secret);
    await expect(restic.snapshots(location, wrong)).rejects.toMatchObject({ kind: 'wrong-password' });
  });

  it('classifies a repository that is not there as not found', async () => {
    const missing = join(work, 'repos', 'missing');
    await expect(restic.snapshots(missing, generateRepositoryPassword())).rejects.toMatchObject({
      name: 'ResticError',
      kind: 'repository-not-found',
      retryable: false,
    });
    await expect(restic.repositoryId(missing, generateRepositoryPassword())).rejects.toMatchObject({
      kind: 'repository-not-found',
    });
  });

  it('lists snapshots by tag, host and id, and checks every byte of them', async () => {
    const { location, password } = await newRepository();
    const scheduled = await backup(location, password, ['tenant=t1', 'reason=scheduled']);
    const other = await backup(location, password, ['reason=manual'], 't2');

    const listed = await restic.snapshots(location, password, { tags: ['reason=scheduled'] });
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({
      id: scheduled,
      shortId: scheduled.slice(0, 8),
      hostname: 't1',
      tags: ['tenant=t1', 'reason=scheduled'],
      paths: [source],
    });
    expect(listed[0]?.tree).toMatch(/^[0-9a-f]{64}$/);
    expect(await restic.snapshots(location, password, { tags: ['reason=other'] })).toEqual([]);
    expect((await restic.snapshots(location, password, { host: 't2' })).map((s) => s.id)).toEqual([other]);
    expect((await restic.snapshots(location, password)).map((s) => s.id)).toEqual([scheduled, other]);
    expect(await restic.snapshots(location, password, {}, [scheduled.slice(0, 8)])).toEqual(listed);
    await expect(restic.snapshots(location, password, {}, ['not-an-id'])).rejects.toThrow(
      /invalid snapshot id/,
    );
    await expect(restic.snapshots(location, password, { tags: ['bad tag'] })).rejects.toThrow(
      /invalid restic tag/,
    );

    await restic.check(location, password, { readDataSubset: '100%' });
    await expect(restic.check(location, password, { readDataSubset: 'all' })).rejects.toThrow(
      /invalid readDataSubset/,
    );

    // What the snapshot holds, byte for byte (restored by restic itself, as a machine does).
    const target = join(work, 'restored');
    await resticHere(location, password, 'restore', scheduled, '--target', target, '--verify');
    const diff = await execFileAsync('diff', ['-r', source, target]).then(
      () => 0,
      (e: { code?: number }) => e.code ?? -1,
    );
    expect(diff).toBe(0);
  });

  it('forgets the snapshots outside a retention policy, per host, and prunes their data', async () => {
    const { location, password } = await newRepository();
    const first = await backup(location, password);
    await writeFile(join(source, 'media', 'notes.txt'), `changed ${randomBytes(4).toString('hex')}\n`);
    const second = await backup(location, password);
    const third = await backup(location, password);
    const elsewhere = await backup(location, password, [], 't2');

    const forgotten = await restic.forget(location, password, { keepLast: 2 });
    expect(forgotten.removed).toEqual([first]);
    expect(forgotten.kept.sort()).toEqual([second, third, elsewhere].sort());
    await restic.prune(location, password);
    expect((await restic.snapshots(location, password)).map((s) => s.id).sort()).toEqual(
      forgotten.kept.sort(),
    );

    // Only one host's snapshots: the other host's are left alone.
    expect(await restic.forget(location, password, { keepLast: 1 }, { host: 't1' })).toEqual({
      kept: [third],
      removed: [second],
    });
    expect((await restic.snapshots(location, password)).map((s) => s.id).sort()).toEqual(
      [third, elsewhere].sort(),
    );
    await restic.check(location, password);
    await expect(restic.forget(location, password, {})).rejects.toThrow(/keeps nothing/);
  });

  it('classifies a repository held by another process as locked', async () => {
    const { location, password } = await newRepository();
    // A backup reading stdin holds its (non-exclusive) lock until stdin closes; check needs an exclusive one.
    const holder = spawn('restic', ['backup', '--stdin', '--stdin-filename', 'stream'], {
      env: env(location, password),
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    const exited = new Promise<number | null>((resolve) => holder.once('close', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 20_000;
      while ((await readdir(join(location, 'locks')).catch(() => [])).length === 0) {
        if (Date.now() > deadline) throw new Error('the holder never created a lock');
        await new Promise((r) => setTimeout(r, 50));
      }
      await expect(restic.check(location, password)).rejects.toMatchObject({
        kind: 'locked',
        retryable: true,
      });
      await expect(restic.prune(location, password)).rejects.toMatchObject({ kind: 'locked' });
      // A shared lock lets listings through.
      expect(await restic.snapshots(location, password)).toEqual([]);
    } finally {
      holder.stdin?.end('streamed data\n');
      expect(await exited).toBe(0);
    }
    expect(await readdir(join(location, 'locks'))).toEqual([]);
    await restic.check(location, password);
  });
});
