import path from 'node:path';
import { NIXOS_REBUILD_TIMEOUT_MS, type ActivationKind, type MachineRef } from '@fedops/contracts';
import { assertUnreachable } from '@fedops/domain';
import { appServerBinDir } from '@fedops/sandbox-host';
import { SshCommandError, type SshClient } from '@fedops/service-kit';
import { shellCommand, shellQuote } from '@fedops/service-kit';
import { readStandinFiles, STANDIN_SCRIPT_NAME } from './standin-script';

export interface ActivationResult {
  /** The generation now current on the machine. */
  generation: number;
  /** Switched, but something reported trouble (nixos-rebuild exit 4: some units failed). */
  warnings: string[];
}

/** Makes a staged flake the machine's running system, and undoes that. */
export interface Activator {
  /** `signal`: a cancelled activity; it ends the activation's remote command. */
  activate(
    client: SshClient,
    machine: MachineRef,
    stagedDir: string,
    hostname: string,
    signal?: AbortSignal,
  ): Promise<ActivationResult>;
  /** Makes the generation before the current one current again. */
  rollback(client: SshClient, machine: MachineRef): Promise<{ generation: number }>;
}

/** `nixos-rebuild` and the stand-in exit 4 when the switch happened but some units failed. */
const SWITCHED_WITH_FAILED_UNITS = 4;
/** A first start of the real servers (initdb, Gitea's and Dendrite's migrations) on a busy host. */
/**
 * As long as a rebuild may take: the stand-in may wait for scripts/ensure-app-servers.sh to finish
 * building a real server (the first `npm start` builds them in the background), as a rebuild waits
 * for the packages it fetches.
 */
const STANDIN_TIMEOUT_MS = NIXOS_REBUILD_TIMEOUT_MS;

export function systemProfile(machine: MachineRef): string {
  return path.posix.join(machine.fsRoot, 'nix/var/nix/profiles/system');
}

/** The current generation: the number in the `system -> system-<N>-link` profile link, if any. */
export async function currentGeneration(client: SshClient, machine: MachineRef): Promise<number | undefined> {
  const link = systemProfile(machine);
  const { stdout } = await client.execOrThrow(
    `if [ -L ${shellQuote(link)} ]; then readlink ${shellQuote(link)}; fi`,
    {
      timeoutMs: 30_000,
    },
  );
  const m = /system-(\d+)-link\s*$/.exec(stdout.trim());
  return m === null ? undefined : Number(m[1]);
}

async function requireGeneration(client: SshClient, machine: MachineRef, after: string): Promise<number> {
  const generation = await currentGeneration(client, machine);
  if (generation === undefined)
    throw new Error(`No system generation on ${machine.machineId} after ${after}`);
  return generation;
}

/**
 * Real NixOS hosts: `nixos-rebuild switch --flake <dir>#<host>`, and `switch --rollback`, within
 * NIXOS_REBUILD_TIMEOUT_MS (which the deploy activity's timeout leaves room for). The flake says
 * what the machine is (machine.nix); nothing is taken from the host's /etc/nixos. Not exercised by
 * this repository's tests: no NixOS host (nor nixpkgs) is reachable here; the sandbox stand-in
 * keeps the same interface.
 */
export class NixosRebuildActivator implements Activator {
  async activate(
    client: SshClient,
    machine: MachineRef,
    stagedDir: string,
    hostname: string,
    signal?: AbortSignal,
  ): Promise<ActivationResult> {
    const command =
      `NIX_CONFIG='experimental-features = nix-command flakes' ` +
      shellCommand(['nixos-rebuild', 'switch', '--flake', `${stagedDir}#${hostname}`]);
    return this.run(client, machine, command, 'nixos-rebuild switch', signal);
  }

  async rollback(client: SshClient, machine: MachineRef): Promise<{ generation: number }> {
    const { generation } = await this.run(
      client,
      machine,
      'nixos-rebuild switch --rollback',
      'nixos-rebuild --rollback',
    );
    return { generation };
  }

  private async run(
    client: SshClient,
    machine: MachineRef,
    command: string,
    what: string,
    signal?: AbortSignal,
  ): Promise<ActivationResult> {
    const result = await client.exec(command, {
      timeoutMs: NIXOS_REBUILD_TIMEOUT_MS,
      ...(signal === undefined ? {} : { signal }),
    });
    const warnings: string[] = [];
    if (result.code === SWITCHED_WITH_FAILED_UNITS) warnings.push(lastLines(result.stderr));
    else if (result.code !== 0)
      throw new SshCommandError(machine.address, command, result.code, lastLines(result.stderr));
    return { generation: await requireGeneration(client, machine, what), warnings };
  }
}

export interface SandboxStandinOptions {
  nodeBinary?: string;
  /**
   * Folders of the real servers' binaries by server name, passed as `--app-server <name>=<dir>`;
   * default: where scripts/ensure-app-servers.sh builds them (libs/sandbox-host's appServerBinDir).
   * The machines share the host's filesystem, so the host's folders are theirs.
   */
  appServers?: Record<string, string>;
}

/** Where the sandbox host keeps the real servers the stand-in runs (Dendrite, Gitea). */
export function defaultAppServers(): Record<string, string> {
  return { dendrite: appServerBinDir('dendrite'), gitea: appServerBinDir('gitea') };
}

/**
 * Sandbox hosts: ships the SANDBOX ACTIVATION STAND-IN (the sandbox-standin folder: the script and
 * its app-servers/*.js) next to the flake and runs it with the machine's Node. It keeps
 * nixos-rebuild's interface and generation layout under the machine's fsRoot; it runs the real
 * servers this host has (Dendrite, Gitea, on one machine PostgreSQL) and serves a stand-in health
 * endpoint for every other app.
 */
export class SandboxStandinActivator implements Activator {
  constructor(private readonly options: SandboxStandinOptions = {}) {}

  async activate(
    client: SshClient,
    machine: MachineRef,
    stagedDir: string,
    hostname: string,
    signal?: AbortSignal,
  ): Promise<ActivationResult> {
    for (const file of await readStandinFiles()) {
      await client.writeFile(path.posix.join(stagedDir, file.path), file.content, file.mode);
    }
    const script = path.posix.join(stagedDir, STANDIN_SCRIPT_NAME);
    return this.run(client, machine, script, ['switch', '--flake', `${stagedDir}#${hostname}`], signal);
  }

  async rollback(client: SshClient, machine: MachineRef): Promise<{ generation: number }> {
    const script = path.posix.join(systemProfile(machine), STANDIN_SCRIPT_NAME);
    const { generation } = await this.run(client, machine, script, ['switch', '--rollback']);
    return { generation };
  }

  private async run(
    client: SshClient,
    machine: MachineRef,
    script: string,
    action: string[],
    signal?: AbortSignal,
  ): Promise<ActivationResult> {
    const appServers = Object.entries(this.options.appServers ?? defaultAppServers()).sort(([a], [b]) =>
      a.localeCompare(b, 'en'),
    );
    const command = shellCommand([
      this.options.nodeBinary ?? '/usr/bin/node',
      script,
      '--root',
      machine.fsRoot,
      '--listen-address',
      machine.address,
      ...appServers.flatMap(([name, dir]) => ['--app-server', `${name}=${dir}`]),
      ...action,
    ]);
    const result = await client.exec(command, {
      timeoutMs: STANDIN_TIMEOUT_MS,
      ...(signal === undefined ? {} : { signal }),
    });
    const warnings: string[] = [];
    if (result.code === SWITCHED_WITH_FAILED_UNITS) warnings.push(lastLines(result.stderr));
    else if (result.code !== 0)
      throw new SshCommandError(machine.address, command, result.code, lastLines(result.stderr));
    return { generation: await requireGeneration(client, machine, action.join(' ')), warnings };
  }
}

export function activatorFor(kind: ActivationKind, options: SandboxStandinOptions = {}): Activator {
  switch (kind) {
    case 'nixos-rebuild':
      return new NixosRebuildActivator();
    case 'sandbox-standin':
      return new SandboxStandinActivator(options);
    default:
      return assertUnreachable(kind, 'activation kind');
  }
}

function lastLines(text: string, count = 15): string {
  return text.trim().split('\n').slice(-count).join('\n');
}
