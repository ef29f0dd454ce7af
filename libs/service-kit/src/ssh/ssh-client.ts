import { randomUUID } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { shellCommand, shellQuote } from './shell-quote';

export interface SshClientOptions {
  host: string;
  port: number;
  user: string;
  /** The host's pinned public key line, e.g. `ssh-ed25519 AAAA...` (a trailing comment is ignored). */
  hostKey: string;
  /** Private key used to log in (mode 0600). */
  privateKeyFile: string;
  /** Where the client keeps its known_hosts file. */
  workDir: string;
  /** Binaries; default from PATH. */
  sshBinary?: string;
  tarBinary?: string;
}

export interface ExecOptions {
  /** Kill the session after this long; default 60 s. */
  timeoutMs?: number;
  /** Bytes for the remote command's standard input. */
  stdin?: string | Buffer;
  /** Ends the session (as a timeout does) when aborted: a cancelled activity stops its remote command. */
  signal?: AbortSignal;
  /** Receives the remote command's standard output as it arrives (progress lines), besides the result. */
  onStdout?: (chunk: string) => void;
  /**
   * A port on the machine's loopback forwarded to `host:port` as seen from here, for this command only
   * (its own connection, not the shared one): the machine reaches a service it has no route to.
   */
  remoteForward?: { remotePort: number; host: string; port: number };
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  code: number;
}

const TAIL = 2000;

/** A remote command that failed (non-zero exit, timeout, or ssh itself failing: exit 255). */
export class SshCommandError extends Error {
  override readonly name = 'SshCommandError';
  constructor(
    readonly target: string,
    readonly command: string,
    readonly code: number | null,
    readonly stderrTail: string,
    options?: { cause?: unknown; timedOut?: boolean; cancelled?: boolean },
  ) {
    const what =
      options?.timedOut === true
        ? 'timed out'
        : options?.cancelled === true
          ? 'was cancelled'
          : code === 255
            ? 'ssh failed (exit 255)'
            : `exited ${code ?? 'by signal'}`;
    super(
      `Command on ${target} ${what}: ${command}${stderrTail.length > 0 ? `\n${stderrTail}` : ''}`,
      options,
    );
  }
}

/**
 * Runs commands on a machine with the OpenSSH client. The host key is pinned: the client writes a
 * known_hosts file holding exactly the machine's key and refuses any other (StrictHostKeyChecking=yes),
 * never prompts (BatchMode), and reads no user or system ssh configuration.
 */
export class SshClient {
  readonly knownHostsFile: string;
  /** Socket of the shared connection: one SSH handshake per machine, reused by every command for 30 s. */
  private readonly controlPath: string;
  private readonly target: string;

  constructor(private readonly options: SshClientOptions) {
    const keyParts = options.hostKey.trim().split(/\s+/);
    if (keyParts.length < 2 || !/^(ssh-|ecdsa-|sk-)/.test(keyParts[0] ?? '')) {
      throw new Error(`Host key for ${options.host} is not an OpenSSH public key line`);
    }
    const hostPattern = options.port === 22 ? options.host : `[${options.host}]:${options.port}`;
    const line = `${hostPattern} ${keyParts[0]} ${keyParts[1]}\n`;
    const id = createHash('sha256').update(line).digest('hex').slice(0, 16);
    mkdirSync(options.workDir, { recursive: true, mode: 0o700 });
    this.knownHostsFile = path.join(options.workDir, `known_hosts-${id}`);
    this.controlPath = path.join(options.workDir, `cm-${id}`);
    writeFileSync(this.knownHostsFile, line, { mode: 0o600 });
    this.target = `${options.user}@${options.host}:${options.port}`;
  }

  /** The arguments of every ssh invocation, before the destination. */
  sshArgs(): string[] {
    const o = this.options;
    // prettier-ignore
    return [
      '-F', 'none',
      '-p', String(o.port),
      '-i', o.privateKeyFile,
      '-l', o.user,
      '-o', 'StrictHostKeyChecking=yes',
      '-o', `UserKnownHostsFile=${this.knownHostsFile}`,
      '-o', 'GlobalKnownHostsFile=/dev/null',
      '-o', 'BatchMode=yes',
      '-o', 'ConnectTimeout=10',
      '-o', 'IdentitiesOnly=yes',
      '-o', 'UpdateHostKeys=no',
      '-o', 'LogLevel=ERROR',
      '-o', 'ServerAliveInterval=15',
      '-o', 'ControlMaster=auto',
      '-o', `ControlPath=${this.controlPath}`,
      '-o', 'ControlPersist=30s',
    ];
  }

  /**
   * Runs a shell command line on the machine; resolves with its exit code (also when non-zero).
   * The command runs in a session of its own whose id is kept in a file on the machine, so that a
   * timeout or an abort can end all of it: sshd does not signal a command without a terminal when
   * the connection closes, and a `nixos-rebuild` would otherwise run on.
   */
  exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const pidFile = `/tmp/fedops-ssh-${randomUUID()}.pid`;
    const wrapped =
      `setsid -w sh -c ${shellQuote(`echo $$ > ${pidFile}; ${command}`)}; ` +
      `rc=$?; rm -f ${pidFile}; exit $rc`;
    const forward = options.remoteForward;
    // ssh takes the first value of an option: these come before sshArgs' shared ControlPath.
    // prettier-ignore
    const forwardArgs = forward === undefined ? [] : [
      '-o', 'ControlPath=none',
      '-o', 'ExitOnForwardFailure=yes',
      '-R', `127.0.0.1:${forward.remotePort}:${forward.host}:${forward.port}`,
    ];
    const child = spawn(
      this.options.sshBinary ?? 'ssh',
      [...forwardArgs, ...this.sshArgs(), this.options.host, '--', wrapped],
      {
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    child.stdin?.on('error', () => undefined); // remote side may exit before reading all input
    child.stdin?.end(options.stdin ?? '');
    if (options.onStdout !== undefined) {
      const onStdout = options.onStdout;
      const decoder = new StringDecoder('utf8'); // a character may be split across chunks
      child.stdout?.on('data', (d: Buffer) => onStdout(decoder.write(d)));
    }
    return this.collect(child, command, options.timeoutMs ?? 60_000, options.signal, pidFile);
  }

  /** Ends a command started by exec: TERM to its whole session, by the id it left on the machine. */
  private async endRemote(pidFile: string): Promise<void> {
    const file = shellQuote(pidFile);
    const kill = spawn(
      this.options.sshBinary ?? 'ssh',
      [
        ...this.sshArgs(),
        this.options.host,
        '--',
        `if [ -f ${file} ]; then kill -TERM -- "-$(cat ${file})" 2>/dev/null; rm -f ${file}; fi`,
      ],
      { stdio: 'ignore' },
    );
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        kill.kill('SIGKILL');
        resolve();
      }, 10_000);
      kill.on('close', () => {
        clearTimeout(timer);
        resolve();
      });
      kill.on('error', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Like exec, but a non-zero exit rejects with SshCommandError. */
  async execOrThrow(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const result = await this.exec(command, options);
    if (result.code !== 0) throw new SshCommandError(this.target, command, result.code, tail(result.stderr));
    return result;
  }

  /**
   * Writes a file on the machine (parent folders created), atomically via a temporary name that only
   * root can read until it gets its mode, so a secret is never readable by others on the way.
   */
  async writeFile(remotePath: string, content: string | Buffer, mode = 0o644): Promise<void> {
    const tmp = `${remotePath}.tmp-${process.pid}`;
    await this.execOrThrow(
      `umask 077 && mkdir -p ${shellQuote(path.posix.dirname(remotePath))} && cat > ${shellQuote(tmp)} && ` +
        `chmod ${mode.toString(8)} ${shellQuote(tmp)} && mv -f ${shellQuote(tmp)} ${shellQuote(remotePath)}`,
      { stdin: content },
    );
  }

  /** Copies a local folder's contents to `remoteDir` (created; existing contents are replaced). */
  async upload(localDir: string, remoteDir: string, options: { timeoutMs?: number } = {}): Promise<void> {
    const remote = `rm -rf ${shellQuote(remoteDir)} && mkdir -p ${shellQuote(remoteDir)} && tar -C ${shellQuote(remoteDir)} --no-same-owner -xf -`;
    const tar = spawn(
      this.options.tarBinary ?? 'tar',
      ['-C', localDir, '--owner=0', '--group=0', '--numeric-owner', '-cf', '-', '.'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const ssh = spawn(this.options.sshBinary ?? 'ssh', [...this.sshArgs(), this.options.host, '--', remote], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    ssh.stdin?.on('error', () => undefined);
    if (tar.stdout !== null && ssh.stdin !== null) tar.stdout.pipe(ssh.stdin);
    let tarErr = '';
    tar.stderr?.on('data', (d: Buffer) => (tarErr = tail(tarErr + d.toString())));
    const tarDone = new Promise<number | null>((resolve) => {
      tar.on('error', () => resolve(-1));
      tar.on('close', (code) => resolve(code));
    });
    const [sshResult, tarCode] = await Promise.all([
      this.collect(ssh, `upload ${localDir} -> ${remoteDir}`, options.timeoutMs ?? 120_000),
      tarDone,
    ]);
    if (tarCode !== 0) throw new Error(`tar of ${localDir} failed (exit ${tarCode}): ${tarErr}`);
    if (sshResult.code !== 0) {
      throw new SshCommandError(this.target, remote, sshResult.code, tail(sshResult.stderr));
    }
  }

  private collect(
    child: ChildProcess,
    command: string,
    timeoutMs: number,
    signal?: AbortSignal,
    pidFile?: string,
  ): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      let ended: 'timeout' | 'aborted' | undefined;
      child.stdout?.on('data', (d: Buffer) => stdout.push(d));
      child.stderr?.on('data', (d: Buffer) => stderr.push(d));
      const end = (why: 'timeout' | 'aborted'): void => {
        if (ended !== undefined) return;
        ended = why;
        // First the remote command's whole session, then this session's client. The shared
        // connection stays: closing it would also cut the other sessions it carries.
        void (pidFile === undefined ? Promise.resolve() : this.endRemote(pidFile)).finally(() => {
          child.kill('SIGTERM');
          setTimeout(() => child.kill('SIGKILL'), 2000).unref();
        });
      };
      const timer = setTimeout(() => end('timeout'), timeoutMs);
      const onAbort = (): void => end('aborted');
      if (signal?.aborted === true) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      child.on('error', (err) => {
        done();
        reject(new SshCommandError(this.target, command, null, '', { cause: err }));
      });
      child.on('close', (code) => {
        done();
        const result = {
          stdout: Buffer.concat(stdout).toString('utf8'),
          stderr: Buffer.concat(stderr).toString('utf8'),
          code: code ?? -1,
        };
        if (ended === 'timeout') {
          reject(new SshCommandError(this.target, command, code, tail(result.stderr), { timedOut: true }));
        } else if (ended === 'aborted') {
          reject(
            new SshCommandError(this.target, command, code, tail(result.stderr), {
              cause: signal?.reason,
              cancelled: true,
            }),
          );
        } else {
          resolve(result);
        }
      });
    });
  }
}

function tail(text: string): string {
  const trimmed = text.trim();
  return trimmed.length > TAIL ? '…' + trimmed.slice(-TAIL) : trimmed;
}

export { shellCommand, shellQuote };
