import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { startLocalMachine, type LocalMachine } from '@fedops/testing';
import { SshClient, SshCommandError } from './ssh-client';

describe('SshClient against a real sshd', () => {
  let m: LocalMachine;
  let work: string;
  const client = (over: Partial<ConstructorParameters<typeof SshClient>[0]> = {}): SshClient =>
    new SshClient({
      host: m.machine.address,
      port: m.machine.sshPort,
      user: m.machine.sshUser,
      hostKey: m.machine.sshHostKey,
      privateKeyFile: m.privateKeyFile,
      workDir: work,
      ...over,
    });

  beforeAll(async () => {
    m = await startLocalMachine('ssh-test');
    work = mkdtempSync(path.join(tmpdir(), 'fedops-ssh-work-'));
  });
  afterAll(async () => {
    await m.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('pins exactly the given host key', () => {
    const c = client();
    const [type, key] = m.machine.sshHostKey.split(' ');
    expect(readFileSync(c.knownHostsFile, 'utf8')).toBe(
      `[${m.machine.address}]:${m.machine.sshPort} ${type} ${key}\n`,
    );
    expect(c.sshArgs()).toEqual(
      expect.arrayContaining(['StrictHostKeyChecking=yes', 'BatchMode=yes', 'ConnectTimeout=10']),
    );
  });

  it('runs a command and reports stdout, stderr and exit code', async () => {
    const c = client();
    await expect(c.exec('echo out; echo err >&2; exit 3')).resolves.toEqual({
      stdout: 'out\n',
      stderr: 'err\n',
      code: 3,
    });
    await expect(c.exec('cat', { stdin: 'piped "input"' })).resolves.toMatchObject({
      stdout: 'piped "input"',
      code: 0,
    });
  });

  it('throws with command, exit code and stderr tail from execOrThrow', async () => {
    const error = await client()
      .execOrThrow('echo boom >&2; exit 7')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SshCommandError);
    expect(error).toMatchObject({ code: 7, command: 'echo boom >&2; exit 7', stderrTail: 'boom' });
    expect((error as Error).message).toContain('exited 7');
  });

  it('refuses a host whose key does not match the pinned one', async () => {
    const other = path.join(work, 'other_host_key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
    const wrong = client({
      hostKey: readFileSync(`${other}.pub`, 'utf8'),
      workDir: path.join(work, 'wrong'),
    });
    const marker = path.join(work, 'should-not-exist');
    const result = await wrong.exec(`touch ${marker}`);
    expect(result.code).toBe(255);
    expect(existsSync(marker)).toBe(false);
    expect(result.stderr).toMatch(/host key/i);
    await expect(wrong.execOrThrow('true')).rejects.toThrow(/ssh failed \(exit 255\)/);
  });

  it('times out a command that runs too long', async () => {
    await expect(client().exec('sleep 5', { timeoutMs: 300 })).rejects.toThrow(/timed out/);
  });

  it('ends the remote command when its signal is aborted, and says it was cancelled', async () => {
    const marker = path.join(work, 'cancelled-command-ran-on');
    const controller = new AbortController();
    const started = Date.now();
    const run = client().exec(`sleep 3 && touch ${marker}`, { timeoutMs: 30_000, signal: controller.signal });
    setTimeout(() => controller.abort(new Error('activity cancelled')), 300);
    await expect(run).rejects.toThrow(/was cancelled/);
    expect(Date.now() - started).toBeLessThan(2500);
    // Had the remote shell survived its session, it would have made the marker by now.
    await new Promise((resolve) => setTimeout(resolve, 3500));
    expect(existsSync(marker)).toBe(false);
  });

  it('uploads a folder, replacing what was there', async () => {
    const local = path.join(work, 'upload-src');
    mkdirSync(path.join(local, 'apps'), { recursive: true });
    writeFileSync(path.join(local, 'flake.nix'), '{ }\n');
    writeFileSync(path.join(local, 'apps', "it's a file.nix"), 'x');
    const remote = path.join(m.machine.fsRoot, 'etc/fedops/staging/abc');
    mkdirSync(remote, { recursive: true });
    writeFileSync(path.join(remote, 'stale'), 'old');
    await client().upload(local, remote);
    expect(readFileSync(path.join(remote, 'flake.nix'), 'utf8')).toBe('{ }\n');
    expect(readFileSync(path.join(remote, 'apps', "it's a file.nix"), 'utf8')).toBe('x');
    expect(existsSync(path.join(remote, 'stale'))).toBe(false);
  });

  it('writes a file with a mode', async () => {
    const remote = path.join(m.machine.fsRoot, 'etc/fedops/bin/tool');
    await client().writeFile(remote, '#!/bin/sh\necho hi\n', 0o755);
    expect(execFileSync(remote, { encoding: 'utf8' })).toBe('hi\n');
  });
});
