import { ConfigError, commonConfigSpec, loadConfig, parse } from './config';

const validEnv = {
  FEDOPS_HTTP_PORT: '8080',
  FEDOPS_DATABASE_URL: 'postgres://fedops:secret@127.0.0.1:5432/fedops',
  FEDOPS_NATS_URL: 'nats://127.0.0.1:4222',
  FEDOPS_NATS_USER: 'svc',
  FEDOPS_NATS_PASSWORD: 'nats-secret',
  FEDOPS_TEMPORAL_ADDRESS: '127.0.0.1:7233',
};

describe('loadConfig', () => {
  it('reads typed values and applies defaults', () => {
    const config = loadConfig('svc', commonConfigSpec, validEnv);
    expect(config).toEqual({
      httpPort: 8080,
      httpHost: '127.0.0.1',
      databaseUrl: validEnv.FEDOPS_DATABASE_URL,
      natsUrl: validEnv.FEDOPS_NATS_URL,
      natsUser: 'svc',
      natsPassword: 'nats-secret',
      temporalAddress: '127.0.0.1:7233',
      temporalNamespace: 'default',
      logLevel: 'info',
    });
  });

  it('lists every missing and every bad variable in one error, hiding secrets', () => {
    let error: unknown;
    try {
      loadConfig('svc', commonConfigSpec, {
        FEDOPS_HTTP_PORT: '99999',
        FEDOPS_DATABASE_URL: 'mysql://user:hunter2@db/x',
        FEDOPS_NATS_USER: 'svc.*',
        FEDOPS_LOG_LEVEL: 'loud',
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const { problems, message } = error as ConfigError;
    expect(problems).toEqual([
      'FEDOPS_HTTP_PORT="99999" is invalid: must be a TCP port (0-65535)',
      'FEDOPS_DATABASE_URL=<hidden> is invalid: must use postgres or postgresql',
      expect.stringMatching(/^FEDOPS_NATS_URL is required/),
      'FEDOPS_NATS_USER="svc.*" is invalid: must be letters, digits, - or _',
      expect.stringMatching(/^FEDOPS_NATS_PASSWORD is required/),
      expect.stringMatching(/^FEDOPS_TEMPORAL_ADDRESS is required/),
      'FEDOPS_LOG_LEVEL="loud" is invalid: must be one of debug, info, warn, error',
    ]);
    expect(message).toMatch(/^svc: invalid configuration:/);
    expect(message).not.toContain('hunter2');
  });
});

describe('parsers', () => {
  it('accept good values and reject bad ones', () => {
    expect(parse.hostPort('temporal:7233')).toBe('temporal:7233');
    expect(() => parse.hostPort('temporal')).toThrow('must be host:port');
    expect(parse.boolean('yes')).toBe(true);
    expect(() => parse.boolean('maybe')).toThrow();
    expect(() => parse.absolutePath('relative/dir')).toThrow('absolute');
    expect(() => parse.base64Key32(Buffer.alloc(16).toString('base64'))).toThrow('32 bytes');
    expect(parse.base64Key32(Buffer.alloc(32).toString('base64'))).toHaveLength(44);
    expect(() => parse.positiveInt('0')).toThrow();
  });
});
