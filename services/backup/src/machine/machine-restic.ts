import path from 'node:path';
import type { MachineRef } from '@fedops/contracts';
import { FedopsError, FedopsErrorCode } from '@fedops/domain';
import { SshClient } from '@fedops/service-kit';
import { classifyResticFailure, ResticError } from '../restic/restic-cli';
import type { S3Repositories } from '../targets/s3-target';
import { SCRIPT_EXIT, type RunCredentials } from './machine-scripts';

/** A backup of a big tenant is slow; the activity heartbeats meanwhile and may be cancelled. */
const RUN_TIMEOUT_MS = 6 * 60 * 60_000;

export interface MachineRunOptions {
  onStdout?: (chunk: string) => void;
  signal?: AbortSignal;
}

/**
 * Runs the scripts of machine-scripts.ts on a tenant's machine over SSH (host key pinned), with the
 * repository reached the way the target says: directly, or through a port on the machine's loopback
 * forwarded to the storage for this run only.
 */
export class MachineRestic {
  constructor(
    private readonly options: { privateKeyFile: string; workDir: string },
    private readonly repositories: S3Repositories,
  ) {}

  /** Runs `script(credentials)` on the machine; resolves with its standard output. */
  async run(
    machine: MachineRef,
    password: string,
    script: (credentials: RunCredentials) => string,
    what: string,
    options: MachineRunOptions = {},
  ): Promise<string> {
    const reach = this.repositories.machineReach(machine.tenantId);
    const text = script({
      repository: reach.repository,
      password,
      backendEnv: this.repositories.backendEnv(),
    });
    const client = new SshClient({
      host: machine.address,
      port: machine.sshPort,
      user: machine.sshUser,
      hostKey: machine.sshHostKey,
      privateKeyFile: this.options.privateKeyFile,
      workDir: path.join(this.options.workDir, 'ssh'),
    });
    let result;
    try {
      result = await client.exec('sh -s', {
        stdin: text,
        timeoutMs: RUN_TIMEOUT_MS,
        ...(options.signal !== undefined ? { signal: options.signal } : {}),
        ...(options.onStdout !== undefined ? { onStdout: options.onStdout } : {}),
        ...(reach.forward !== undefined ? { remoteForward: reach.forward } : {}),
      });
    } catch (err) {
      throw new FedopsError(
        FedopsErrorCode.ProviderFailed,
        `${what} on machine ${machine.machineId} did not finish: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`,
        { cause: err },
      );
    }
    if (result.code !== 0) throw runFailure(machine, what, result.code, result.stderr);
    return result.stdout;
  }
}

/**
 * The error of a failed run: the script's own `fedops:` message when it gave one (no space, a hook,
 * a dump), restic's classified failure (wrong password, lock, missing repository), or ssh's.
 */
export function runFailure(
  machine: Pick<MachineRef, 'machineId'>,
  what: string,
  code: number,
  stderr: string,
): Error {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  const own = lines.filter((l) => l.startsWith('fedops: ')).pop();
  const tail = lines.slice(-20).join('\n');
  if (own !== undefined) {
    const message = `${what} on machine ${machine.machineId}: ${own.slice('fedops: '.length)}`;
    // No space stays so until someone makes room; a hook or dump may pass on another attempt.
    const error = new FedopsError(
      code === SCRIPT_EXIT.noSpace ? FedopsErrorCode.Conflict : FedopsErrorCode.ProviderFailed,
      message,
      { cause: new Error(tail) },
    );
    return error;
  }
  if (code === 255) {
    return new FedopsError(
      FedopsErrorCode.ProviderFailed,
      `${what}: machine ${machine.machineId} could not be reached over SSH`,
      { cause: new Error(tail) },
    );
  }
  return new ResticError({
    command: what,
    kind: classifyResticFailure(code, stderr),
    exitCode: code,
    stderrTail: tail,
  });
}
