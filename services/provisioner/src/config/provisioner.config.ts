import { commonConfigSpec, loadConfig, parse, type ConfigOf } from '@fedops/service-kit';

export const provisionerConfigSpec = {
  ...commonConfigSpec,
  sandboxStateDir: {
    env: 'FEDOPS_SANDBOX_STATE_DIR',
    description: 'folder holding sandbox machines (root folders, host keys, address allocations)',
    parse: parse.absolutePath,
  },
  sandboxPrefix: {
    env: 'FEDOPS_SANDBOX_PREFIX',
    description: 'prefix of network namespace names, so several platforms on one host never collide',
    parse: (raw: string) => {
      if (!/^[a-z][a-z0-9]{1,5}$/.test(raw)) throw new Error('must be 2-6 lower-case letters or digits');
      return raw;
    },
    default: 'fo',
  },
  sandboxSubnet: {
    env: 'FEDOPS_SANDBOX_SUBNET',
    description: 'IPv4 /16 the sandbox machines take their addresses from',
    parse: (raw: string) => {
      if (!/^\d{1,3}\.\d{1,3}\.0\.0\/16$/.test(raw))
        throw new Error('must be an IPv4 /16 like 10.213.0.0/16');
      return raw;
    },
    default: '10.213.0.0/16',
  },
  sandboxBootDelayMs: {
    env: 'FEDOPS_SANDBOX_BOOT_DELAY_MS',
    description: 'simulated boot time of a sandbox machine (real VMs take tens of seconds)',
    parse: (raw: string) => {
      const n = Number(raw);
      if (!Number.isInteger(n) || n < 0) throw new Error('must be a non-negative integer');
      return n;
    },
    default: 0,
  },
  sshPublicKeyFile: {
    env: 'FEDOPS_SSH_PUBLIC_KEY_FILE',
    description: "the platform's SSH public key, authorised on every machine it creates",
    parse: parse.absolutePath,
  },
};
export type ProvisionerConfig = ConfigOf<typeof provisionerConfigSpec>;

export function readProvisionerConfig(
  env: Record<string, string | undefined> = process.env,
): ProvisionerConfig {
  return loadConfig('provisioner', provisionerConfigSpec, env);
}
