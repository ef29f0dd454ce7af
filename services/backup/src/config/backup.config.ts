import { commonConfigSpec, loadConfig, parse, type ConfigOf } from '@fedops/service-kit';

export const backupConfigSpec = {
  ...commonConfigSpec,
  backupRootDir: {
    env: 'FEDOPS_BACKUP_ROOT_DIR',
    description: 'local backup target: folder holding one restic repository per tenant',
    parse: parse.absolutePath,
  },
  secretKey: {
    env: 'FEDOPS_SECRET_KEY',
    description: 'key that encrypts repository passwords at rest (32 bytes, base64)',
    parse: parse.base64Key32,
    secret: true,
  },
};
export type BackupConfig = ConfigOf<typeof backupConfigSpec>;

export function readBackupConfig(env: Record<string, string | undefined> = process.env): BackupConfig {
  return loadConfig('backup', backupConfigSpec, env);
}
