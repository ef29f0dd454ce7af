import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SandboxHostManager } from '@fedops/sandbox-host';

/**
 * Destroys every sandbox machine a platform's provisioner recorded under `<platformDataDir>/sandbox`
 * (network namespace, sshd and everything in it, root folder). For cleanup after tests and benchmarks,
 * which may stop before deleting their tenants.
 */
/**
 * Destroys every sandbox machine recorded in one state dir (a simulator's: `<dataDir>/simulators/<kind>`),
 * whoever made them.
 */
export async function destroySandboxHosts(
  stateDir: string,
  namePrefix: string,
  subnet?: string,
): Promise<string[]> {
  if (!existsSync(join(stateDir, 'state.json'))) return [];
  return new SandboxHostManager({
    stateDir,
    namePrefix,
    authorizedKeys: [],
    ...(subnet === undefined ? {} : { subnet }),
  }).destroyAll();
}

export async function destroySandboxMachines(
  platformDataDir: string,
  namePrefix: string,
  /** The /16 the platform was given (FEDOPS_SANDBOX_SUBNET), when not the default. */
  subnet?: string,
): Promise<string[]> {
  const stateDir = join(platformDataDir, 'sandbox');
  if (!existsSync(join(stateDir, 'state.json'))) return [];
  const publicKey = (await readFile(join(platformDataDir, 'keys', 'id_ed25519.pub'), 'utf8')).trim();
  return new SandboxHostManager({
    stateDir,
    namePrefix,
    authorizedKeys: [publicKey],
    ...(subnet === undefined ? {} : { subnet }),
  }).destroyAll();
}
