import { commonConfigSpec, loadConfig, parse, type ConfigOf } from '@fedops/service-kit';
import { S3_TARGET_REACHES } from '../targets/s3-target';

export const backupConfigSpec = {
  ...commonConfigSpec,
  secretKey: {
    env: 'FEDOPS_SECRET_KEY',
    description: 'key that seals repository passwords at rest (32 bytes, base64)',
    parse: parse.base64Key32,
    secret: true,
  },
  sshPrivateKeyFile: {
    env: 'FEDOPS_SSH_PRIVATE_KEY_FILE',
    description: "the platform's SSH private key: restic runs on the tenants' machines, where the data is",
    parse: parse.absolutePath,
  },
  workDir: {
    env: 'FEDOPS_BACKUP_WORK_DIR',
    description: "folder for known_hosts files and restic's cache of the repositories' metadata",
    parse: parse.absolutePath,
  },
  deletedTenantGraceDays: {
    env: 'FEDOPS_BACKUP_DELETED_TENANT_GRACE_DAYS',
    description: "how long a deleted tenant's repository is kept (restorable) before it may be purged",
    parse: parse.positiveInt,
    default: 30,
  },
  purgeIntervalSeconds: {
    env: 'FEDOPS_BACKUP_PURGE_INTERVAL_SECONDS',
    description:
      'how often the repositories of deleted tenants are looked at for purging (past their grace period)',
    parse: parse.positiveInt,
    default: 3600,
  },
  s3Endpoint: {
    env: 'FEDOPS_BACKUP_S3_ENDPOINT',
    description:
      'the S3-compatible storage holding one restic repository per tenant, e.g. https://s3.example.net',
    parse: parse.url(['http', 'https']),
  },
  s3Region: {
    env: 'FEDOPS_BACKUP_S3_REGION',
    description: "the storage's region",
    parse: parse.string,
    default: 'us-east-1',
  },
  s3Bucket: {
    env: 'FEDOPS_BACKUP_S3_BUCKET',
    description: 'the bucket (created by the first restic init when missing); each tenant gets a prefix',
    parse: (raw: string): string => {
      if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(raw)) throw new Error('must be an S3 bucket name');
      return raw;
    },
  },
  s3AccessKeyId: {
    env: 'FEDOPS_BACKUP_S3_ACCESS_KEY_ID',
    description: 'access key of the storage',
    parse: parse.string,
  },
  s3SecretAccessKey: {
    env: 'FEDOPS_BACKUP_S3_SECRET_ACCESS_KEY',
    description: 'secret key of the storage; handed to a machine for one backup or restore run only',
    parse: parse.string,
    secret: true,
  },
  s3Reach: {
    env: 'FEDOPS_BACKUP_S3_REACH',
    description:
      '`direct`: machines reach the endpoint themselves; `ssh-tunnel`: through a port the backup service ' +
      'forwards over its SSH connection for the run (machines without a route to the storage)',
    parse: parse.oneOf(S3_TARGET_REACHES),
    default: 'direct' as const,
  },
};
export type BackupConfig = ConfigOf<typeof backupConfigSpec>;

export function readBackupConfig(env: Record<string, string | undefined> = process.env): BackupConfig {
  return loadConfig('backup', backupConfigSpec, env);
}
