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
  sandboxProvider: {
    env: 'FEDOPS_SANDBOX_PROVIDER',
    description:
      "'on': register this host's sandbox as the provider named sandbox at boot (tests, npm start); 'off': not",
    parse: parse.oneOf(['on', 'off'] as const),
    default: 'on' as const,
  },
  secretKey: {
    env: 'FEDOPS_SECRET_KEY',
    description: 'key that seals provider credentials and machine host keys at rest (32 bytes, base64)',
    parse: parse.base64Key32,
    secret: true,
  },
  platformLabel: {
    env: 'FEDOPS_PLATFORM_LABEL',
    description:
      "value of the fedops-platform label on every machine: tells this installation's machines from others' in a shared account",
    parse: (raw: string) => {
      if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(raw))
        throw new Error('must be 1-63 lower-case letters, digits, hyphens');
      return raw;
    },
    default: 'fedops',
  },
  providerPollIntervalMs: {
    env: 'FEDOPS_PROVIDER_POLL_INTERVAL_MS',
    description: "how often drivers poll a provider's task or action while waiting for it",
    parse: (raw: string) => {
      const n = Number(raw);
      if (!Number.isInteger(n) || n < 50 || n > 60_000)
        throw new Error('must be an integer from 50 to 60000');
      return n;
    },
    default: 2000,
  },
  machineReconcileIntervalSeconds: {
    env: 'FEDOPS_MACHINE_RECONCILE_INTERVAL_SECONDS',
    description: 'how often the Temporal Schedule compares the machine inventory with every provider',
    parse: (raw: string) => {
      const n = Number(raw);
      if (!Number.isInteger(n) || n < 10 || n > 86_400)
        throw new Error('must be an integer from 10 to 86400');
      return n;
    },
    default: 300,
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
