import { DEPLOY_HEALTH_TIMEOUT_MS } from '@fedops/contracts';
import { commonConfigSpec, loadConfig, parse, type ConfigOf } from '@fedops/service-kit';

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
};
export type DeployerConfig = ConfigOf<typeof deployerConfigSpec>;

export function readDeployerConfig(env: Record<string, string | undefined> = process.env): DeployerConfig {
  return loadConfig('deployer', deployerConfigSpec, env);
}
