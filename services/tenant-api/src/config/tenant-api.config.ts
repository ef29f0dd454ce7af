import { commonConfigSpec, loadConfig, parse, type ConfigOf } from '@fedops/service-kit';

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
