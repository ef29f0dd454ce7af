import { isAbsolute, join, resolve } from 'node:path';

/** How `npm start` runs: read once from the environment, every bad variable listed together. */
export interface LauncherConfig {
  /** FEDOPS_DATA_DIR, default `<repo>/.fedops`. */
  readonly dataDir: string;
  /**
   * FEDOPS_PORTS: `fixed` (default) = the LOCAL_PORTS, the same URLs on every start; `free` = ports
   * chosen free (a launcher under test, beside a developer's `npm start`).
   */
  readonly ports: 'fixed' | 'free';
  /** FEDOPS_SANDBOX_PREFIX: network-namespace prefix of sandbox machines, default `fo`. */
  readonly sandboxPrefix: string;
  /** FEDOPS_SANDBOX_SUBNET: their /16; default the provisioner's. */
  readonly sandboxSubnet: string | undefined;
  /** FEDOPS_SIMULATOR_BOOT_DELAY_MS: how long a simulated provider's new VM boots, default 3000. */
  readonly simulatorBootDelayMs: number;
}

export function readLauncherConfig(env: NodeJS.ProcessEnv, repoRoot: string): LauncherConfig {
  const problems: string[] = [];
  const dataDir = env['FEDOPS_DATA_DIR'] ?? join(repoRoot, '.fedops');
  const ports = env['FEDOPS_PORTS'] ?? 'fixed';
  if (ports !== 'fixed' && ports !== 'free')
    problems.push(`FEDOPS_PORTS must be "fixed" or "free", got "${ports}"`);
  const sandboxPrefix = env['FEDOPS_SANDBOX_PREFIX'] ?? 'fo';
  if (!/^[a-z][a-z0-9]{1,5}$/.test(sandboxPrefix))
    problems.push(`FEDOPS_SANDBOX_PREFIX must be 2-6 lower-case letters or digits, got "${sandboxPrefix}"`);
  const sandboxSubnet = env['FEDOPS_SANDBOX_SUBNET'];
  if (sandboxSubnet !== undefined && !/^\d{1,3}\.\d{1,3}\.0\.0\/16$/.test(sandboxSubnet))
    problems.push(`FEDOPS_SANDBOX_SUBNET must be an IPv4 /16 like 10.213.0.0/16, got "${sandboxSubnet}"`);
  const bootDelay = env['FEDOPS_SIMULATOR_BOOT_DELAY_MS'] ?? '3000';
  if (!/^\d{1,6}$/.test(bootDelay))
    problems.push(`FEDOPS_SIMULATOR_BOOT_DELAY_MS must be a number of milliseconds, got "${bootDelay}"`);
  if (problems.length > 0) throw new Error(`Invalid launcher configuration:\n  ${problems.join('\n  ')}`);
  return {
    dataDir: isAbsolute(dataDir) ? dataDir : resolve(dataDir),
    ports: ports as 'fixed' | 'free',
    sandboxPrefix,
    sandboxSubnet,
    simulatorBootDelayMs: Number(bootDelay),
  };
}
