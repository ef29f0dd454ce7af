import { commonConfigSpec, loadConfig, parse, type ConfigOf } from '@fedops/service-kit';
import { parseSeedOrganisations, type SeedOrganisation } from '../organisations/organisation-seed';

export const tenantApiConfigSpec = {
  ...commonConfigSpec,
  oidcIssuerUrl: {
    env: 'FEDOPS_OIDC_ISSUER_URL',
    description: 'OpenID Connect issuer whose access tokens the API accepts',
    parse: parse.url(['http', 'https']),
  },
  oidcAudience: {
    env: 'FEDOPS_OIDC_AUDIENCE',
    description: 'audience (aud) the access tokens must carry',
    parse: parse.string,
    default: 'fedops-api',
  },
  rateLimitRequests: {
    env: 'FEDOPS_RATE_LIMIT_REQUESTS',
    description: 'requests each token may make per rate-limit window (a burst may spend them at once)',
    parse: parse.positiveInt,
    default: 600,
  },
  rateLimitWindowSeconds: {
    env: 'FEDOPS_RATE_LIMIT_WINDOW_SECONDS',
    description: 'the rate-limit window in seconds',
    parse: parse.positiveInt,
    default: 60,
  },
  seedOrganisations: {
    env: 'FEDOPS_SEED_ORGANISATIONS',
    description:
      'organisations created at start when missing, `id[=name],...` (development and tests; in production ops staff create them)',
    parse: parseSeedOrganisations,
    default: [] as SeedOrganisation[],
  },
  backupIntervalHours: {
    env: 'FEDOPS_BACKUP_INTERVAL_HOURS',
    description:
      "hours between the scheduled backups of a new tenant (its policy's intervalHours; 0: manual backups only)",
    parse: (raw: string): number => {
      const n = Number(raw);
      if (!Number.isInteger(n) || n < 0 || n > 168) throw new Error('must be an integer from 0 to 168');
      return n;
    },
    default: 24,
  },
  publicUrl: {
    env: 'FEDOPS_PUBLIC_URL',
    description: 'base URL clients use to reach this API (for links in responses)',
    parse: parse.url(['http', 'https']),
    default: '',
  },
};
export type TenantApiConfig = ConfigOf<typeof tenantApiConfigSpec>;

export function readTenantApiConfig(env: Record<string, string | undefined> = process.env): TenantApiConfig {
  return loadConfig('tenant-api', tenantApiConfigSpec, env);
}
