import path from 'node:path';
import type { ActivationKind, MachineRef } from '@fedops/contracts';
import { assertUnreachable } from '@fedops/domain';
import { SshCommandError, type SshClient } from '../ssh/ssh-client';
import { shellCommand, shellQuote } from '../ssh/shell-quote';
import { readStandinScript, STANDIN_SCRIPT_NAME } from './standin-script';

export interface ActivationResult {
  /** The generation now current on the machine. */
  generation: number;
  /** Switched, but something reported trouble (nixos-rebuild exit 4: some units failed). */
  warnings: string[];
}

/** Makes a staged flake the machine's running system, and undoes that. */
export interface Activator {
  activate(
    client: SshClient,
    machine: MachineRef,
    stagedDir: string,
    hostname: string,
  ): Promise<ActivationResult>;
  /** Makes the generation before the current one current again. */
  rollback(client: SshClient, machine: MachineRef): Promise<{ generation: number }>;
}

/** `nixos-rebuild` and the stand-in exit 4 when the switch happened but some units failed. */
const SWITCHED_WITH_FAILED_UNITS = 4;
const REBUILD_TIMEOUT_MS = 30 * 60_000;

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
 * Real NixOS hosts: `nixos-rebuild switch --flake <dir>#<host>`, and `switch --rollback`.
 * The machine's own hardware-configuration.nix becomes the flake's hardware.nix (a flake cannot
 * import paths outside itself). Not exercised by this repository's tests: no NixOS host (nor
 * nixpkgs) is reachable here; the sandbox stand-in keeps the same interface.
 */
export class NixosRebuildActivator implements Activator {
  async activate(
    client: SshClient,
    machine: MachineRef,
    stagedDir: string,
    hostname: string,
  ): Promise<ActivationResult> {
    const hardware = path.posix.join(machine.fsRoot, 'etc/nixos/hardware-configuration.nix');
    const dir = shellQuote(stagedDir);
    const command =
      `cd ${dir} && { [ -e hardware.nix ] || cp ${shellQuote(hardware)} hardware.nix; } && ` +
      `NIX_CONFIG='experimental-features = nix-command flakes' ` +
      shellCommand(['nixos-rebuild', 'switch', '--flake', `${stagedDir}#${hostname}`]);
    return this.run(client, machine, command, 'nixos-rebuild switch');
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
  ): Promise<ActivationResult> {
    const result = await client.exec(command, { timeoutMs: REBUILD_TIMEOUT_MS });
    const warnings: string[] = [];
    if (result.code === SWITCHED_WITH_FAILED_UNITS) warnings.push(lastLines(result.stderr));
    else if (result.code !== 0)
      throw new SshCommandError(machine.address, command, result.code, lastLines(result.stderr));
    return { generation: await requireGeneration(client, machine, what), warnings };
  }
}

/**
 * Sandbox hosts: ships the SANDBOX ACTIVATION STAND-IN (sandbox-standin/fedops-standin-activate.js)
 * next to the flake and runs it with the machine's Node. It keeps nixos-rebuild's interface and
 * generation layout under the machine's fsRoot, and serves each app's health endpoint on the
 * machine's address instead of running the app.
 */
export class SandboxStandinActivator implements Activator {
  constructor(private readonly options: { nodeBinary?: string } = {}) {}

  async activate(
    client: SshClient,
    machine: MachineRef,
    stagedDir: string,
    hostname: string,
  ): Promise<ActivationResult> {
    const script = path.posix.join(stagedDir, STANDIN_SCRIPT_NAME);
    await client.writeFile(script, await readStandinScript(), 0o755);
    return this.run(client, machine, script, ['switch', '--flake', `${stagedDir}#${hostname}`]);
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
  ): Promise<ActivationResult> {
    const command = shellCommand([
      this.options.nodeBinary ?? '/usr/bin/node',
      script,
      '--root',
      machine.fsRoot,
      '--listen-address',
      machine.address,
      ...action,
    ]);
    const result = await client.exec(command, { timeoutMs: 120_000 });
    const warnings: string[] = [];
    if (result.code === SWITCHED_WITH_FAILED_UNITS) warnings.push(lastLines(result.stderr));
    else if (result.code !== 0)
      throw new SshCommandError(machine.address, command, result.code, lastLines(result.stderr));
    return { generation: await requireGeneration(client, machine, action.join(' ')), warnings };
  }
}

export function activatorFor(kind: ActivationKind, options: { nodeBinary?: string } = {}): Activator {
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
