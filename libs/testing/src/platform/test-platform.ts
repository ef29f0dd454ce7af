import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dropServiceRoles } from '../infra/service-roles';
import { createTestDatabase, dropTestDatabase, testInfra } from '../jest/test-infra';
import { fetchToken } from '../oidc/fetch-token';
import { startOidcIssuer, type OidcIssuerHandle } from '../oidc/oidc-issuer';
import { platformServiceRolesPlan, provisionPlatformDatabase } from './platform-database';
import { Platform, type PlatformOptions } from './platform-runner';
import { repoRoot } from './repo-root';
import { destroySandboxMachines } from './sandbox-cleanup';

export interface TestPlatform {
  platform: Platform;
  issuer: OidcIssuerHandle;
  apiUrl: string;
  /** Access tokens of the seeded callers. */
  tokens: { ops: string; acme: string; globex: string };
  dataDir: string;
  stop(): Promise<void>;
}

/**
 * The whole platform for an end-to-end test: the five services as processes, on the
 * infrastructure of the jest global setup, with its own database, issuer and sandbox prefix.
 */
export async function startTestPlatform(
  name: string,
  overrides: Partial<
    Pick<PlatformOptions, 'sandboxBootDelayMs' | 'extraEnv' | 'logLevel' | 'portPicker'>
  > = {},
): Promise<TestPlatform> {
  const infra = testInfra();
  const dataDir = await mkdtemp(join(tmpdir(), `fedops-e2e-${name}-`));
  const issuer = await startOidcIssuer({ dataDir: join(dataDir, 'oidc') });
  const databaseUrl = await createTestDatabase(name);
  // Roles belong to the whole server, which test files share: each platform has its own.
  const rolePrefix = `fedops_${randomBytes(4).toString('hex')}`;
  const rolesPlan = platformServiceRolesPlan(new URL(databaseUrl).pathname.slice(1), rolePrefix);
  let platform: Platform | undefined;
  /** Whatever a test left behind (a failed test never reaches its own cleanup) goes with the platform. */
  const cleanUp = async (): Promise<void> => {
    await platform?.stop();
    await issuer.stop();
    await destroySandboxMachines(dataDir, 'fte');
    await dropTestDatabase(databaseUrl);
    await dropServiceRoles(infra.postgres.url, rolesPlan);
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    const database = await provisionPlatformDatabase({ adminUrl: databaseUrl, dataDir, rolePrefix });
    platform = await Platform.start({
      repoRoot: repoRoot(),
      dataDir,
      infra,
      databaseUrls: database.urls,
      oidcIssuerUrl: issuer.issuerUrl,
      sandboxPrefix: 'fte',
      ...overrides,
      extraEnv: {
        ...overrides.extraEnv,
        // Tests poll one token hard; the rate-limit test sets its own low limit.
        'tenant-api': { FEDOPS_RATE_LIMIT_REQUESTS: '100000', ...overrides.extraEnv?.['tenant-api'] },
      },
    });
    const [ops, acme, globex] = await Promise.all([
      fetchToken(issuer.issuerUrl, issuer.clients.ops),
      fetchToken(issuer.issuerUrl, issuer.clients.acme),
      fetchToken(issuer.issuerUrl, issuer.clients.globex),
    ]);
    const running = platform;
    return {
      platform: running,
      issuer,
      apiUrl: running.apiUrl,
      tokens: { ops, acme, globex },
      dataDir,
      stop: cleanUp,
    };
  } catch (err) {
    await cleanUp();
    throw err;
  }
}
