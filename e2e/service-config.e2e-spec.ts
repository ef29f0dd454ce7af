import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { SERVICE_NAMES, repoRoot } from '@fedops/testing';

const REQUIRED: Record<(typeof SERVICE_NAMES)[number], string[]> = {
  'tenant-api': [
    'FEDOPS_HTTP_PORT',
    'FEDOPS_DATABASE_URL',
    'FEDOPS_NATS_URL',
    'FEDOPS_NATS_USER',
    'FEDOPS_NATS_PASSWORD',
    'FEDOPS_TEMPORAL_ADDRESS',
    'FEDOPS_OIDC_ISSUER_URL',
  ],
  provisioner: ['FEDOPS_HTTP_PORT', 'FEDOPS_SANDBOX_STATE_DIR', 'FEDOPS_SSH_PUBLIC_KEY_FILE'],
  dns: ['FEDOPS_HTTP_PORT', 'FEDOPS_POWERDNS_API_URL', 'FEDOPS_POWERDNS_API_KEY'],
  deployer: [
    'FEDOPS_HTTP_PORT',
    'FEDOPS_SSH_PRIVATE_KEY_FILE',
    'FEDOPS_DEPLOYER_WORK_DIR',
    'FEDOPS_SECRET_KEY',
  ],
  backup: [
    'FEDOPS_HTTP_PORT',
    'FEDOPS_SSH_PRIVATE_KEY_FILE',
    'FEDOPS_BACKUP_WORK_DIR',
    'FEDOPS_BACKUP_S3_ENDPOINT',
    'FEDOPS_BACKUP_S3_SECRET_ACCESS_KEY',
    'FEDOPS_SECRET_KEY',
  ],
};

describe('a service started with bad configuration', () => {
  it.each(SERVICE_NAMES)('%s exits with one message naming every missing variable', (name) => {
    const run = spawnSync(process.execPath, [join(repoRoot(), 'services', name, 'dist', 'main.js')], {
      env: { PATH: process.env['PATH'] ?? '' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.status).toBe(78);
    expect(run.stderr).toMatch(new RegExp(`^${name}: invalid configuration:`));
    for (const variable of REQUIRED[name]) expect(run.stderr).toContain(`${variable} is required`);
  });

  it('names a bad value without echoing a secret', () => {
    const run = spawnSync(process.execPath, [join(repoRoot(), 'services', 'backup', 'dist', 'main.js')], {
      env: {
        PATH: process.env['PATH'] ?? '',
        FEDOPS_HTTP_PORT: 'eighty',
        FEDOPS_DATABASE_URL: 'postgres://fedops:hunter2@127.0.0.1/fedops',
        FEDOPS_NATS_URL: 'http://not-nats',
        FEDOPS_NATS_USER: 'backup',
        FEDOPS_NATS_PASSWORD: 'nats-hunter3',
        FEDOPS_TEMPORAL_ADDRESS: '127.0.0.1:7233',
        FEDOPS_BACKUP_WORK_DIR: 'relative/backups',
        FEDOPS_BACKUP_S3_SECRET_ACCESS_KEY: 's3-hunter4',
        FEDOPS_BACKUP_S3_REACH: 'carrier-pigeon',
        FEDOPS_SECRET_KEY: 'c2hvcnQ=',
      },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.status).toBe(78);
    expect(run.stderr).toContain('FEDOPS_HTTP_PORT="eighty" is invalid: must be a TCP port');
    expect(run.stderr).toContain('FEDOPS_NATS_URL="http://not-nats" is invalid: must use nats');
    expect(run.stderr).toContain(
      'FEDOPS_BACKUP_WORK_DIR="relative/backups" is invalid: must be an absolute path',
    );
    expect(run.stderr).toContain(
      'FEDOPS_BACKUP_S3_REACH="carrier-pigeon" is invalid: must be one of direct, ssh-tunnel',
    );
    expect(run.stderr).toContain('FEDOPS_SECRET_KEY=<hidden> is invalid: must be 32 bytes');
    expect(run.stderr).not.toContain('hunter2');
    expect(run.stderr).not.toContain('c2hvcnQ=');
    expect(run.stderr).not.toContain('nats-hunter3');
    expect(run.stderr).not.toContain('s3-hunter4');
  });
});
