import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { MachineRef, RestoreStrategy } from '@fedops/contracts';
import { FedopsError, FedopsErrorCode } from '@fedops/domain';
import { shellQuote } from '@fedops/service-kit';
import { startLocalMachine, testInfra, waitFor, type LocalMachine } from '@fedops/testing';
import { generateRepositoryPassword } from '../restic/repository-password';
import { parseBackupSummary, ResticCli, ResticError, type ResticSnapshot } from '../restic/restic-cli';
import { S3Repositories, type S3Target } from '../targets/s3-target';
import { MachineRestic } from './machine-restic';
import {
  backupScript,
  machineLayout,
  restoreScript,
  type AppDataPlan,
  type MachineLayout,
} from './machine-scripts';

const execFileAsync = promisify(execFile);

/** An app without databases: the layout's PostgreSQL part is never used. */
const FILES: AppDataPlan = {
  app: 'files',
  dataPaths: ['/var/lib/files'],
  databases: [],
  hooks: { before: [], after: [] },
};

/** An app's data: text, binary, an empty file, an odd name, nested folders, 2 MiB. */
function appFiles(): Map<string, Buffer> {
  return new Map([
    ['notes.txt', Buffer.from(`hello from the tenant ${randomUUID()}\n`)],
    ["it's a name with spaces.txt", Buffer.from('odd name\n')],
    ['empty', Buffer.alloc(0)],
    ['photo.jpg', randomBytes(64 * 1024)],
    ['nested/zeros.bin', Buffer.alloc(10_000)],
    ['nested/deeper/blob.bin', randomBytes(100 * 1024)],
    ['big.bin', randomBytes(2 * 1024 * 1024)],
  ]);
}

/** Replaces `dir` with exactly these files. */
async function writeTree(dir: string, files: Map<string, Buffer>): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  for (const [name, content] of files) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), content);
  }
}

/** What is under `dir`: each file's sha256, each folder as `dir`, by path relative to `dir`. */
async function tree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (rel: string): Promise<void> => {
    for (const entry of await readdir(path.join(dir, rel), { withFileTypes: true })) {
      const name = path.posix.join(rel, entry.name);
      if (entry.isDirectory()) {
        out[name] = 'dir';
        await walk(name);
      } else {
        out[name] = sha256(await readFile(path.join(dir, name)));
      }
    }
  };
  await walk('');
  return out;
}

function sha256(content: Buffer | string): string {
  return createHash('sha256').update(content).digest('hex');
}

async function outcome(run: Promise<unknown>): Promise<unknown> {
  return run.then(
    () => 'it succeeded',
    (e: unknown) => e,
  );
}

interface Tenant {
  tenantId: string;
  /** The local machine, as this tenant's. */
  machine: MachineRef;
}

/**
 * Restic on tenants' machines (real sshd on loopback addresses), over SSH with the S3 port forwarded,
 * against each tenant's repository on the test infrastructure's S3 server (versitygw).
 */
describe('MachineRestic: restic on the machine, the repository on S3 through an SSH tunnel', () => {
  let first: LocalMachine;
  let second: LocalMachine;
  let work: string;
  let target: S3Target;
  let repositories: S3Repositories;
  /** restic from here (the control plane), as the snapshot service runs it. */
  let control: ResticCli;
  const runners = new Map<LocalMachine, MachineRestic>();
  /** Tenants whose repository a backup here has initialised. */
  const initialisedTenants = new Set<string>();
  /** One backup of the first machine's files, taken once: the tests that restore read it, none changes it. */
  let taken: {
    tenant: Tenant;
    password: string;
    files: Map<string, Buffer>;
    original: Record<string, string>;
    snapshot: ResticSnapshot;
    totalBytes: number;
    filesProcessed: number;
  };

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'fedops-machine-restic-'));
    target = { ...testInfra().s3, reach: 'ssh-tunnel' };
    repositories = new S3Repositories(target);
    control = new ResticCli({
      backendEnv: repositories.backendEnv(),
      cacheDir: path.join(work, 'cache'),
      timeoutMs: 60_000,
    });
    [first, second] = await Promise.all([startLocalMachine('first'), startLocalMachine('second')]);
    for (const [m, name] of [
      [first, 'first'],
      [second, 'second'],
    ] as const) {
      runners.set(
        m,
        new MachineRestic({ privateKeyFile: m.privateKeyFile, workDir: path.join(work, name) }, repositories),
      );
    }

    const tenant = tenantOn(first);
    const password = generateRepositoryPassword();
    const files = appFiles();
    await writeTree(dataDir(first), files);
    const original = await tree(dataDir(first));
    const { snapshot, totalBytes, filesProcessed } = await backup(first, tenant, password);
    taken = { tenant, password, files, original, snapshot, totalBytes, filesProcessed };
  });

  afterAll(async () => {
    await Promise.all([first?.stop(), second?.stop()]);
    await rm(work, { recursive: true, force: true });
  });

  /** A tenant (its own repository) whose machine is one of the local ones. */
  function tenantOn(m: LocalMachine, tenantId: string = randomUUID()): Tenant {
    return { tenantId, machine: { ...m.machine, tenantId } };
  }

  function runner(m: LocalMachine): MachineRestic {
    const found = runners.get(m);
    if (found === undefined) throw new Error('no runner for this machine');
    return found;
  }

  function dataDir(m: LocalMachine, p = '/var/lib/files'): string {
    return path.join(m.machine.fsRoot, p);
  }

  /** The backed-up files with some gone (a whole folder too), one changed and one added. */
  async function writeDamaged(m: LocalMachine): Promise<void> {
    const files = new Map(taken.files);
    files.delete('notes.txt');
    files.delete('nested/deeper/blob.bin');
    const photo = Buffer.from(files.get('photo.jpg') ?? Buffer.alloc(1));
    photo[0] = (photo[0] ?? 0) ^ 0xff;
    files.set('photo.jpg', photo);
    files.set('extra.txt', Buffer.from('not in the snapshot\n'));
    await writeTree(dataDir(m), files);
  }

  async function backup(
    m: LocalMachine,
    tenant: Tenant,
    password: string,
    options: {
      plan?: AppDataPlan;
      layout?: MachineLayout;
      onStdout?: (chunk: string) => void;
      /** Default: whether a backup of this tenant succeeded here before (as the service records it). */
      initialised?: boolean;
    } = {},
  ): Promise<{ snapshot: ResticSnapshot; totalBytes: number; filesProcessed: number }> {
    const plan = options.plan ?? FILES;
    const layout = options.layout ?? machineLayout(tenant.machine);
    const initialised = options.initialised ?? initialisedTenants.has(tenant.tenantId);
    const stdout = await runner(m).run(
      tenant.machine,
      password,
      (credentials) =>
        backupScript({
          layout,
          plan,
          credentials,
          host: tenant.tenantId,
          tags: [`tenant=${tenant.tenantId}`, `app=${plan.app}`],
          initialised,
        }),
      `backup of ${plan.app}`,
      options.onStdout !== undefined ? { onStdout: options.onStdout } : {},
    );
    const summary = parseBackupSummary(stdout);
    if (summary === undefined) throw new Error(`no summary in the backup's output: ${stdout.slice(-500)}`);
    const found = await control.snapshots(repositories.locationFor(tenant.tenantId), password, {}, [
      summary.snapshotId,
    ]);
    expect(found).toHaveLength(1);
    initialisedTenants.add(tenant.tenantId);
    return {
      snapshot: found[0] as ResticSnapshot,
      totalBytes: summary.totalBytesProcessed,
      filesProcessed: summary.totalFilesProcessed,
    };
  }

  function restore(
    m: LocalMachine,
    tenant: Tenant,
    password: string,
    snapshotBytes: number,
    strategy: RestoreStrategy,
  ): Promise<string> {
    return runner(m).run(
      tenant.machine,
      password,
      (credentials) =>
        restoreScript({
          layout: machineLayout(tenant.machine),
          plan: FILES,
          credentials,
          snapshotId: taken.snapshot.id,
          snapshotBytes,
          strategy,
          runId: randomUUID(),
        }),
      `restore of ${FILES.app}`,
    );
  }

  /** The environment of restic run here on the tenant's repository. */
  function resticEnv(tenantId: string, password: string): Record<string, string> {
    return {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      HOME: work,
      RESTIC_CACHE_DIR: path.join(work, 'cache'),
      RESTIC_REPOSITORY: repositories.locationFor(tenantId),
      RESTIC_PASSWORD: password,
      ...repositories.backendEnv(),
    };
  }

  /** restic run here on the tenant's repository (what ResticCli does not do: restore, unlock, locks). */
  async function resticHere(tenantId: string, password: string, ...args: string[]): Promise<string> {
    return (await execFileAsync('restic', args, { env: resticEnv(tenantId, password) })).stdout;
  }

  /** The repository's locks (who holds each), read from here without taking one. */
  async function locks(
    tenantId: string,
    password: string,
  ): Promise<Array<{ pid: number; hostname: string; exclusive: boolean }>> {
    const restic = (...args: string[]): Promise<string> =>
      resticHere(tenantId, password, '--no-lock', ...args);
    const ids = (await restic('list', 'locks')).split('\n').filter((line) => /^[0-9a-f]{64}$/.test(line));
    const all = await Promise.all(
      ids.map(async (id) => {
        const lock = JSON.parse(await restic('cat', 'lock', id)) as {
          pid: number;
          hostname: string;
          exclusive: boolean;
        };
        return { pid: lock.pid, hostname: lock.hostname, exclusive: lock.exclusive };
      }),
    );
    return all.sort((a, b) => a.pid - b.pid);
  }

  /** What restores left beside the data or in the machine's restore folder. */
  async function leftovers(m: LocalMachine): Promise<string[]> {
    const varLib = path.join(m.machine.fsRoot, 'var/lib');
    const beside = (await readdir(varLib)).filter((name) => name.includes('fedops-old'));
    const restoreDir = path.join(varLib, 'fedops/restore');
    const runs = existsSync(restoreDir) ? await readdir(restoreDir) : [];
    const inRuns = (await Promise.all(runs.map((r) => readdir(path.join(restoreDir, r))))).flat();
    return [...beside, ...inRuns];
  }

  it('backs up a data path on the machine; the snapshot holds the machine-independent paths', async () => {
    const { tenant, password, original, snapshot, totalBytes, filesProcessed } = taken;
    expect(filesProcessed).toBe(Object.values(original).filter((v) => v !== 'dir').length);
    expect(totalBytes).toBeGreaterThan(2 * 1024 * 1024);
    expect(snapshot).toMatchObject({
      hostname: tenant.tenantId,
      tags: [`tenant=${tenant.tenantId}`, 'app=files'],
    });
    expect(snapshot.id).toMatch(/^[0-9a-f]{64}$/);

    // Restored here, the snapshot's tree starts at /var/lib/files, not at the machine's file root.
    const location = repositories.locationFor(tenant.tenantId);
    const restored = path.join(work, `restored-${tenant.tenantId}`);
    await resticHere(tenant.tenantId, password, 'restore', snapshot.id, '--target', restored);
    expect(await readdir(restored)).toEqual(['var']);
    expect((await readdir(path.join(restored, 'var/lib'))).sort()).toEqual(['fedops', 'files']);
    expect(await tree(path.join(restored, 'var/lib/files'))).toEqual(original);
    // The database dumps' folder, empty for an app without databases.
    expect(await readdir(path.join(restored, 'var/lib/fedops/backup-staging/files'))).toEqual([]);
    await control.check(location, password);
  });

  it.each(['safe', 'in-place'] as const)('restores the data path exactly (%s)', async (strategy) => {
    const { tenant, password, original, totalBytes } = taken;
    await writeDamaged(first);
    expect(await tree(dataDir(first))).not.toEqual(original);

    await restore(first, tenant, password, totalBytes, strategy);
    expect(await tree(dataDir(first))).toEqual(original);
    expect(existsSync(path.join(dataDir(first), 'extra.txt'))).toBe(false);
    expect(await leftovers(first)).toEqual([]);
  });

  it("restores one machine's snapshot onto another machine", async () => {
    const { tenant, password, original, totalBytes } = taken;
    await rm(dataDir(second), { recursive: true, force: true });

    await restore(second, tenantOn(second, tenant.tenantId), password, totalBytes, 'safe');
    expect(await tree(dataDir(second))).toEqual(original);
    expect(await leftovers(second)).toEqual([]);
  });

  it('refuses a restore that does not fit on the machine and leaves the live data as it was', async () => {
    const { tenant, password } = taken;
    await writeDamaged(first);
    const live = await tree(dataDir(first));

    for (const strategy of ['safe', 'in-place'] as const) {
      const err = await outcome(restore(first, tenant, password, 10 ** 15, strategy));
      expect(err).toBeInstanceOf(FedopsError);
      expect(err).toMatchObject({ code: FedopsErrorCode.Conflict });
      expect((err as Error).message).toContain('not enough free space');
      expect(await tree(dataDir(first))).toEqual(live);
    }
    expect(await leftovers(first)).toEqual([]);
  });

  it('fails a run with a wrong repository password as wrong-password, and changes nothing', async () => {
    const { tenant, password, totalBytes, snapshot } = taken;
    await writeDamaged(first);
    const live = await tree(dataDir(first));
    const wrong = generateRepositoryPassword();

    // One after the other: two backups of one app at once would share its staging folder.
    const failures = [
      // Recorded as initialised, or not (then the script first looks whether the repository is there).
      await outcome(backup(first, tenant, wrong, { initialised: true })),
      await outcome(backup(first, tenant, wrong, { initialised: false })),
      await outcome(restore(first, tenant, wrong, totalBytes, 'in-place')),
    ];
    for (const err of failures) {
      expect(err).toBeInstanceOf(ResticError);
      expect(err).toMatchObject({ kind: 'wrong-password', retryable: false });
      const { message, stderrTail } = err as ResticError;
      expect(message).toContain('wrong password');
      for (const secret of [password, wrong]) expect(`${message}\n${stderrTail}`).not.toContain(secret);
    }
    expect(await tree(dataDir(first))).toEqual(live);
    const all = await control.snapshots(repositories.locationFor(tenant.tenantId), password);
    expect(all.map((s) => s.id)).toEqual([snapshot.id]);
  });

  it('backs up past the stale lock of a killed backup, and removes stale locks when one blocks it', async () => {
    const tenant = tenantOn(first);
    const password = generateRepositoryPassword();
    const big: AppDataPlan = { ...FILES, app: 'big', dataPaths: ['/var/lib/big'] };
    const bigDir = dataDir(first, '/var/lib/big');
    await mkdir(bigDir, { recursive: true });
    await writeTree(dataDir(first), taken.files);
    const smallFiles = Object.values(taken.original).filter((v) => v !== 'dir').length;
    // 100 MiB of random data (nothing to deduplicate or compress): seconds of work for restic.
    await execFileAsync('sh', ['-c', 'for i in 1 2 3 4; do head -c 26214400 /dev/urandom > "f$i"; done'], {
      cwd: bigDir,
    });
    try {
      // At its first progress line restic holds its lock and is reading the files: killed there.
      // The machine shares this host's process table, so restic there is a process here.
      let killing: Promise<number[]> | undefined;
      const killRestic = async (): Promise<number[]> => {
        const { stdout } = await execFileAsync('pgrep', [
          '-f',
          `restic backup --json --host ${tenant.tenantId}`,
        ]);
        const pids = stdout
          .split('\n')
          .filter((l) => l.length > 0)
          .map(Number);
        for (const pid of pids) process.kill(pid, 'SIGKILL');
        return pids;
      };
      const err = await outcome(
        backup(first, tenant, password, {
          plan: big,
          onStdout: (chunk) => {
            if (killing === undefined && chunk.includes('"message_type":"status"')) killing = killRestic();
          },
        }),
      );
      const killed = await killing;
      expect(killed).toHaveLength(1);
      expect(err).toBeInstanceOf(ResticError);
      expect(err).toMatchObject({ exitCode: 128 + 9 });
      const stale = { pid: killed?.[0], hostname: hostname(), exclusive: false };
      expect(await locks(tenant.tenantId, password)).toEqual([stale]);
      expect(await control.snapshots(repositories.locationFor(tenant.tenantId), password)).toEqual([]);

      // A shared lock does not stop another backup: it goes ahead and leaves only the stale lock.
      // (Of the small app: which data a backup reads does not matter to the locks.)
      const second = await backup(first, tenant, password);
      expect(second.filesProcessed).toBe(smallFiles);
      expect(await locks(tenant.tenantId, password)).toEqual([stale]);

      // An exclusive lock of a killed process (here `restic key passwd`, which holds one while it waits
      // for the new password) blocks backups: the backup removes the stale locks and backs up again.
      // No exclusive lock is taken while another lock exists: the stale one goes first (removed from
      // here, which shares the machine's host name).
      await resticHere(tenant.tenantId, password, 'unlock');
      expect(await locks(tenant.tenantId, password)).toEqual([]);
      const holder = spawn('restic', ['key', 'passwd'], {
        env: resticEnv(tenant.tenantId, password),
        stdio: ['pipe', 'ignore', 'ignore'],
      });
      const ended = new Promise((resolve) => holder.once('close', resolve));
      const holderPid = holder.pid ?? 0;
      await waitFor(
        async () => (await locks(tenant.tenantId, password)).some((l) => l.pid === holderPid && l.exclusive),
        { timeoutMs: 30_000, description: 'restic key passwd to take its exclusive lock' },
      );
      holder.kill('SIGKILL');
      await ended;
      expect(await locks(tenant.tenantId, password)).toEqual([
        { pid: holderPid, hostname: hostname(), exclusive: true },
      ]);

      const third = await backup(first, tenant, password);
      expect(third.filesProcessed).toBe(smallFiles);
      expect(await locks(tenant.tenantId, password)).toEqual([]);
      const all = await control.snapshots(repositories.locationFor(tenant.tenantId), password);
      expect(all.map((s) => s.id).sort()).toEqual([second.snapshot.id, third.snapshot.id].sort());
    } finally {
      await rm(bigDir, { recursive: true, force: true });
    }
  });

  it('runs the hooks around the backup; a hook that reads standard input does not eat the script', async () => {
    const tenant = tenantOn(first);
    const password = generateRepositoryPassword();
    await writeTree(dataDir(first), taken.files);
    const marker = path.join(first.machine.fsRoot, 'var/lib/after-hook');
    await rm(marker, { force: true });
    const plan: AppDataPlan = {
      ...FILES,
      hooks: {
        before: ['cat >/dev/null; echo before > "$root/var/lib/files/before-hook"'],
        after: ['echo after > "$root/var/lib/after-hook"'],
      },
    };
    const layout = { ...machineLayout(tenant.machine), runHooks: true };
    try {
      const { snapshot } = await backup(first, tenant, password, { plan, layout });
      expect(await readFile(marker, 'utf8')).toBe('after\n');
      const restored = path.join(work, `restored-${tenant.tenantId}`);
      await resticHere(tenant.tenantId, password, 'restore', snapshot.id, '--target', restored);
      expect(await tree(path.join(restored, 'var/lib/files'))).toEqual({
        ...taken.original,
        'before-hook': sha256('before\n'),
      });
    } finally {
      await rm(marker, { force: true });
    }
  });

  it('reaches the repository through a port on the machine forwarded for the run only', async () => {
    const s3 = new URL(target.endpoint);
    const tenantId = randomUUID();
    const reach = repositories.machineReach(tenantId);
    expect(reach.forward).toEqual({
      remotePort: expect.any(Number) as number,
      host: s3.hostname,
      port: Number(s3.port),
    });
    expect(reach.repository).toBe(
      `s3:http://127.0.0.1:${reach.forward?.remotePort}/${target.bucket}/${tenantId}`,
    );
    expect(new S3Repositories({ ...target, reach: 'direct' }).machineReach(tenantId)).toEqual({
      repository: repositories.locationFor(tenantId),
    });

    // Restic on the machine reads the repository at 127.0.0.1:<a port of the run's own>, closed afterwards.
    const { tenant, password, snapshot } = taken;
    let repository = '';
    const stdout = await runner(first).run(
      tenant.machine,
      password,
      (credentials) => {
        repository = credentials.repository;
        const env = {
          RESTIC_REPOSITORY: credentials.repository,
          RESTIC_PASSWORD: password,
          ...credentials.backendEnv,
        };
        return [
          'set -eu',
          ...Object.entries(env).map(([name, value]) => `export ${name}=${shellQuote(value)}`),
          'export RESTIC_CACHE_DIR="$(mktemp -d)"',
          'trap \'rm -rf "$RESTIC_CACHE_DIR"\' EXIT',
          'restic --no-lock snapshots --json',
          '',
        ].join('\n');
      },
      'listing snapshots',
    );
    const port = Number(/^s3:http:\/\/127\.0\.0\.1:(\d+)\//.exec(repository)?.[1]);
    expect(port).toBeGreaterThan(0);
    expect(port).not.toBe(Number(s3.port));
    expect((JSON.parse(stdout) as Array<{ id: string }>).map((s) => s.id)).toEqual([snapshot.id]);
    // sshd closes the forwarded port as it ends the connection, a moment after the client exits.
    const refused = (): Promise<boolean> =>
      new Promise((resolve) => {
        const socket = net.connect(port, '127.0.0.1');
        socket.once('connect', () => {
          socket.destroy();
          resolve(false);
        });
        socket.once('error', () => resolve(true));
      });
    await waitFor(refused, { timeoutMs: 10_000, description: `the forwarded port ${port} to close` });
  });
});
