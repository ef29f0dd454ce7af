import { generateNatsCredentials } from '../infra/nats-credentials';
import type { InfraEndpoints } from '../infra/types';
import { TEST_ENV, infraFromEnv, infraToEnv } from './test-env';
import { testDatabaseName } from './test-infra';

const endpoints: InfraEndpoints = {
  postgres: {
    host: '127.0.0.1',
    port: 5432,
    user: 'u',
    password: 'p',
    database: 'd',
    url: 'postgres://u:p@127.0.0.1:5432/d',
  },
  nats: { url: 'nats://127.0.0.1:4222', ...generateNatsCredentials() },
  temporal: { address: '127.0.0.1:7233', namespace: 'default' },
  powerdns: { apiUrl: 'http://127.0.0.1:8081', apiKey: 'k', dnsPort: 5353, serverId: 'localhost' },
  s3: {
    endpoint: 'http://127.0.0.1:7070',
    region: 'us-east-1',
    accessKeyId: 'AK',
    secretAccessKey: 'sk',
    bucket: 'fedops-backups',
  },
};

describe('test environment variables', () => {
  it('exports every endpoint and reads them back', () => {
    const env = infraToEnv(endpoints);
    expect(env).toMatchObject({
      FEDOPS_TEST_PG_URL: 'postgres://u:p@127.0.0.1:5432/d',
      FEDOPS_TEST_NATS_URL: 'nats://127.0.0.1:4222',
      FEDOPS_TEST_NATS_USER: 'admin',
      FEDOPS_TEST_NATS_PASSWORD: endpoints.nats.admin.password,
      FEDOPS_TEST_TEMPORAL_ADDRESS: '127.0.0.1:7233',
      FEDOPS_TEST_PDNS_API_URL: 'http://127.0.0.1:8081',
      FEDOPS_TEST_PDNS_API_KEY: 'k',
      FEDOPS_TEST_PDNS_DNS_PORT: '5353',
    });
    expect(infraFromEnv(env)).toEqual(endpoints);
  });

  it('explains when the infrastructure is not running', () => {
    expect(() => infraFromEnv({})).toThrow(/FEDOPS_TEST_INFRA is not set/);
  });

  it('rejects a malformed description', () => {
    expect(() => infraFromEnv({ [TEST_ENV.infra]: '{' })).toThrow(/not valid JSON/);
    expect(() => infraFromEnv({ [TEST_ENV.infra]: '{"nats":{"url":"x"}}' })).toThrow(/all five components/);
  });
});

describe('testDatabaseName', () => {
  it('makes a safe identifier from any file name', () => {
    expect(testDatabaseName('Tenant API: repo.int-spec', 'ab12')).toBe('tenant_api_repo_int_spec_ab12');
    expect(testDatabaseName('123', 'ab12')).toBe('test_ab12');
    expect(testDatabaseName('x'.repeat(100), 'ab12')).toHaveLength(63);
  });
});
