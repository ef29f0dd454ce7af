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
  healthTimeoutMs: {
    env: 'FEDOPS_DEPLOYER_HEALTH_TIMEOUT_MS',
    description: 'how long apps may take to become healthy after activation',
    parse: parse.positiveInt,
    default: 120_000,
  },
};
export type DeployerConfig = ConfigOf<typeof deployerConfigSpec>;

export function readDeployerConfig(env: Record<string, string | undefined> = process.env): DeployerConfig {
  return loadConfig('deployer', deployerConfigSpec, env);
}
