import { DEPLOY_HEALTH_TIMEOUT_MS } from '@fedops/contracts';
import { commonConfigSpec, ConfigError, loadConfig, parse, type ConfigOf } from '@fedops/service-kit';

export const deployerConfigSpec = {
  ...commonConfigSpec,
  sshPrivateKeyFile: {
    env: 'FEDOPS_SSH_PRIVATE_KEY_FILE',
    description: "the platform's SSH private key, used to reach machines",
    parse: parse.absolutePath,
  },
  workDir: {
    env: 'FEDOPS_DEPLOYER_WORK_DIR',
    description: 'folder for rendered configurations and known_hosts files',
    parse: parse.absolutePath,
  },
  secretKey: {
    env: 'FEDOPS_SECRET_KEY',
    description: "key that seals the apps' generated secrets at rest (32 bytes, base64)",
    parse: parse.base64Key32,
    secret: true,
  },
  smtpHost: {
    env: 'FEDOPS_SMTP_HOST',
    description:
      "the mail relay apps send through (empty: the apps' own defaults, e.g. Mastodon's local postfix)",
    parse: parse.string,
    default: '',
  },
  smtpPort: {
    env: 'FEDOPS_SMTP_PORT',
    description: 'the mail relay port (STARTTLS)',
    parse: parse.port,
    default: 587,
  },
  smtpUsername: {
    env: 'FEDOPS_SMTP_USERNAME',
    description: 'the mail relay login (required with FEDOPS_SMTP_HOST)',
    parse: parse.string,
    default: '',
  },
  smtpPassword: {
    env: 'FEDOPS_SMTP_PASSWORD',
    description:
      'the mail relay password, delivered to machines as a 0400 file (required with FEDOPS_SMTP_HOST)',
    parse: parse.string,
    default: '',
    secret: true,
  },
  healthTimeoutMs: {
    env: 'FEDOPS_DEPLOYER_HEALTH_TIMEOUT_MS',
    description: 'how long apps may take to become healthy after activation',
    // The deploy activity's timeout budgets this much for health checks (libs/contracts).
    parse: (raw: string) => {
      const ms = parse.positiveInt(raw);
      if (ms > DEPLOY_HEALTH_TIMEOUT_MS) throw new Error(`must be at most ${DEPLOY_HEALTH_TIMEOUT_MS}`);
      return ms;
    },
    default: DEPLOY_HEALTH_TIMEOUT_MS,
  },
  driftCheckIntervalSeconds: {
    env: 'FEDOPS_DRIFT_CHECK_INTERVAL_SECONDS',
    description:
      "how often the Temporal Schedule compares every tenant's last deployment with what its machine runs",
    parse: (raw: string) => {
      const n = Number(raw);
      if (!Number.isInteger(n) || n < 2 || n > 86_400) throw new Error('must be an integer from 2 to 86400');
      return n;
    },
    default: 300,
  },
};
export type DeployerConfig = ConfigOf<typeof deployerConfigSpec>;

export function readDeployerConfig(env: Record<string, string | undefined> = process.env): DeployerConfig {
  const config = loadConfig('deployer', deployerConfigSpec, env);
  if (config.smtpHost !== '' && (config.smtpUsername === '' || config.smtpPassword === '')) {
    throw new ConfigError(
      ['FEDOPS_SMTP_USERNAME and FEDOPS_SMTP_PASSWORD are required with FEDOPS_SMTP_HOST'],
      'deployer',
    );
  }
  return config;
}

/** The relay settings the pipeline renders and delivers, when ops configured one. */
export function smtpRelayOf(config: DeployerConfig): SmtpRelayConfig | undefined {
  return config.smtpHost === ''
    ? undefined
    : {
        host: config.smtpHost,
        port: config.smtpPort,
        username: config.smtpUsername,
        password: config.smtpPassword,
      };
}

export interface SmtpRelayConfig {
  host: string;
  port: number;
  username: string;
  password: string;
}
