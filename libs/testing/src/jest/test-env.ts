import type { InfraEndpoints } from '../infra/types';

/** The environment variables through which the jest global setup hands the infrastructure to tests. */
export const TEST_ENV = {
  infra: 'FEDOPS_TEST_INFRA',
  pgUrl: 'FEDOPS_TEST_PG_URL',
  natsUrl: 'FEDOPS_TEST_NATS_URL',
  /** The NATS admin user (every permission); each service's own user is in FEDOPS_TEST_INFRA. */
  natsUser: 'FEDOPS_TEST_NATS_USER',
  natsPassword: 'FEDOPS_TEST_NATS_PASSWORD',
  temporalAddress: 'FEDOPS_TEST_TEMPORAL_ADDRESS',
  pdnsApiUrl: 'FEDOPS_TEST_PDNS_API_URL',
  pdnsApiKey: 'FEDOPS_TEST_PDNS_API_KEY',
  pdnsDnsPort: 'FEDOPS_TEST_PDNS_DNS_PORT',
} as const;

/** Pure: the variables to export for a set of endpoints. */
export function infraToEnv(endpoints: InfraEndpoints): Record<string, string> {
  return {
    [TEST_ENV.infra]: JSON.stringify(endpoints),
    [TEST_ENV.pgUrl]: endpoints.postgres.url,
    [TEST_ENV.natsUrl]: endpoints.nats.url,
    [TEST_ENV.natsUser]: endpoints.nats.admin.user,
    [TEST_ENV.natsPassword]: endpoints.nats.admin.password,
    [TEST_ENV.temporalAddress]: endpoints.temporal.address,
    [TEST_ENV.pdnsApiUrl]: endpoints.powerdns.apiUrl,
    [TEST_ENV.pdnsApiKey]: endpoints.powerdns.apiKey,
    [TEST_ENV.pdnsDnsPort]: String(endpoints.powerdns.dnsPort),
  };
}

/** Pure: reads the endpoints back (FEDOPS_TEST_INFRA), or explains what is missing. */
export function infraFromEnv(env: Record<string, string | undefined>): InfraEndpoints {
  const raw = env[TEST_ENV.infra];
  if (!raw) {
    throw new Error(
      `${TEST_ENV.infra} is not set: the test infrastructure is not running. Run tests through jest from ` +
        `the repository root (its global setup libs/testing/src/jest/global-setup.ts starts it, unless ` +
        `FEDOPS_TEST_INFRA_SKIP=1).`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error: unknown) {
    throw new Error(`${TEST_ENV.infra} is not valid JSON`, { cause: error });
  }
  if (!isInfraEndpoints(parsed)) throw new Error(`${TEST_ENV.infra} does not describe all five components`);
  return parsed;
}

function isInfraEndpoints(value: unknown): value is InfraEndpoints {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  const pg = v['postgres'] as Record<string, unknown> | undefined;
  const nats = v['nats'] as Record<string, unknown> | undefined;
  const natsAdmin = nats?.['admin'] as Record<string, unknown> | undefined;
  const temporal = v['temporal'] as Record<string, unknown> | undefined;
  const pdns = v['powerdns'] as Record<string, unknown> | undefined;
  const s3 = v['s3'] as Record<string, unknown> | undefined;
  return (
    typeof nats?.['url'] === 'string' &&
    typeof natsAdmin?.['password'] === 'string' &&
    typeof nats['services'] === 'object' &&
    typeof pg?.['url'] === 'string' &&
    typeof pg['port'] === 'number' &&
    typeof temporal?.['address'] === 'string' &&
    typeof pdns?.['apiUrl'] === 'string' &&
    typeof pdns['apiKey'] === 'string' &&
    typeof pdns['dnsPort'] === 'number' &&
    typeof s3?.['endpoint'] === 'string' &&
    typeof s3['accessKeyId'] === 'string' &&
    typeof s3['secretAccessKey'] === 'string' &&
    typeof s3['bucket'] === 'string'
  );
}
