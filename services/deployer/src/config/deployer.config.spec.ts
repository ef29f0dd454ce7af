import { ConfigError } from '@fedops/service-kit';
import { readDeployerConfig, smtpRelayOf } from './deployer.config';

const base = {
  FEDOPS_DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/db',
  FEDOPS_NATS_URL: 'nats://127.0.0.1:4222',
  FEDOPS_NATS_USER: 'deployer',
  FEDOPS_NATS_PASSWORD: 'x',
  FEDOPS_TEMPORAL_ADDRESS: '127.0.0.1:7233',
  FEDOPS_HTTP_PORT: '8082',
  FEDOPS_SSH_PRIVATE_KEY_FILE: '/keys/id',
  FEDOPS_DEPLOYER_WORK_DIR: '/work',
  FEDOPS_SECRET_KEY: Buffer.alloc(32, 1).toString('base64'),
};

describe('deployer configuration: the mail relay', () => {
  it('is absent unless FEDOPS_SMTP_HOST is set, and port 587 by default', () => {
    expect(smtpRelayOf(readDeployerConfig(base))).toBeUndefined();
    expect(
      smtpRelayOf(
        readDeployerConfig({
          ...base,
          FEDOPS_SMTP_HOST: 'smtp.example.net',
          FEDOPS_SMTP_USERNAME: 'fedops',
          FEDOPS_SMTP_PASSWORD: 's3cret',
        }),
      ),
    ).toEqual({ host: 'smtp.example.net', port: 587, username: 'fedops', password: 's3cret' });
  });

  it('refuses a relay host without its login, naming both variables', () => {
    const error = (() => {
      try {
        readDeployerConfig({ ...base, FEDOPS_SMTP_HOST: 'smtp.example.net' });
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain(
      'FEDOPS_SMTP_USERNAME and FEDOPS_SMTP_PASSWORD are required with FEDOPS_SMTP_HOST',
    );
  });

  it('refuses a health timeout the deploy activity has no room for', () => {
    expect(() => readDeployerConfig({ ...base, FEDOPS_DEPLOYER_HEALTH_TIMEOUT_MS: '600000' })).toThrow(
      /FEDOPS_DEPLOYER_HEALTH_TIMEOUT_MS=.*must be at most 120000/,
    );
  });
});
