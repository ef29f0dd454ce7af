import { commonConfigSpec, loadConfig, parse, type ConfigOf } from '@fedops/service-kit';

export const dnsConfigSpec = {
  ...commonConfigSpec,
  powerdnsApiUrl: {
    env: 'FEDOPS_POWERDNS_API_URL',
    description: 'PowerDNS Authoritative HTTP API base URL',
    parse: parse.url(['http', 'https']),
  },
  powerdnsApiKey: {
    env: 'FEDOPS_POWERDNS_API_KEY',
    description: 'PowerDNS API key (X-API-Key)',
    parse: parse.string,
    secret: true,
  },
  powerdnsServerId: {
    env: 'FEDOPS_POWERDNS_SERVER_ID',
    description: 'PowerDNS server id in API paths',
    parse: parse.string,
    default: 'localhost',
  },
  nameservers: {
    env: 'FEDOPS_DNS_NAMESERVERS',
    description: 'comma-separated NS names written into zones the platform creates',
    parse: (raw: string) =>
      raw
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0),
    default: ['ns1.fedops.invalid.', 'ns2.fedops.invalid.'],
  },
  recordTtl: {
    env: 'FEDOPS_DNS_RECORD_TTL',
    description: 'TTL of tenant records in seconds (low, so migrations switch quickly)',
    parse: parse.positiveInt,
    default: 300,
  },
};
export type DnsConfig = ConfigOf<typeof dnsConfigSpec>;

export function readDnsConfig(env: Record<string, string | undefined> = process.env): DnsConfig {
  return loadConfig('dns', dnsConfigSpec, env);
}
