import { validateDomain } from '@fedops/domain';
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
    description:
      'comma-separated host names of the name servers of the zones the platform creates (NS records; the first is the SOA primary)',
    parse: parseNameservers,
  },
  hostmaster: {
    env: 'FEDOPS_DNS_HOSTMASTER',
    description:
      'SOA contact of those zones: an email address (hostmaster@example.net) or an SOA RNAME (hostmaster.example.net.)',
    parse: parseHostmaster,
  },
  negativeTtl: {
    env: 'FEDOPS_DNS_NEGATIVE_TTL',
    description: 'SOA minimum of those zones: seconds resolvers cache that a name does not exist',
    parse: parse.positiveInt,
    default: 300,
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

/** `ns1.example.net, NS2.example.net.` -> `['ns1.example.net.', 'ns2.example.net.']`: host names, at least one, no repeats. */
export function parseNameservers(raw: string): string[] {
  const names = raw
    .split(',')
    .map((s) => s.trim().toLowerCase().replace(/\.$/, ''))
    .filter((s) => s.length > 0);
  if (names.length === 0) throw new Error('must name at least one name server');
  const problems = names.flatMap((name) =>
    validateDomain(name).map((e) => `"${name}" is not a host name: ${e.message}`),
  );
  const repeated = names.filter((name, i) => names.indexOf(name) !== i);
  if (repeated.length > 0) problems.push(`"${repeated[0]}" is listed twice`);
  if (problems.length > 0) throw new Error(problems.join('; '));
  return names.map((name) => `${name}.`);
}

/** Characters of a mailbox local part (RFC 5322 atext); none needs quoting in a DNS name but the dot. */
const ATEXT = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]";
const LOCAL_PART = new RegExp(`^${ATEXT}+(\\.${ATEXT}+)*$`);
/** The first label of an RNAME: atext, with dots escaped as `\.`. */
const RNAME_MAILBOX = new RegExp(`^(${ATEXT}+(?:\\\\\\.${ATEXT}+)*)\\.(.+)$`);
const HOSTMASTER_SHAPE =
  'must be an email address (hostmaster@example.net) or an SOA RNAME (hostmaster.example.net.)';

/**
 * The SOA RNAME (RFC 1035 3.3.13) of a hostmaster given as an email address or as an RNAME:
 * `hostmaster@example.net` -> `hostmaster.example.net.`, `jane.doe@example.net` ->
 * `jane\.doe.example.net.` (a dot in the mailbox is escaped, or it would read jane@doe.example.net).
 */
export function parseHostmaster(raw: string): string {
  const value = raw.trim();
  let mailbox: string;
  let domain: string;
  const at = value.split('@');
  if (at.length === 2) {
    const [local = '', host = ''] = at;
    if (!LOCAL_PART.test(local)) throw new Error(`${HOSTMASTER_SHAPE}; "${local}" is not a mailbox name`);
    mailbox = local.replace(/\./g, '\\.');
    domain = host;
  } else if (at.length === 1) {
    const match = RNAME_MAILBOX.exec(value.replace(/\.$/, ''));
    if (match === null) throw new Error(HOSTMASTER_SHAPE);
    [, mailbox = '', domain = ''] = match;
  } else {
    throw new Error(HOSTMASTER_SHAPE);
  }
  if (mailbox.replace(/\\\./g, '.').length > 63)
    throw new Error('the mailbox name must be at most 63 characters');
  const problems = validateDomain(domain);
  if (problems.length > 0) {
    throw new Error(`"${domain}" is not a mail domain: ${problems.map((p) => p.message).join('; ')}`);
  }
  return `${mailbox}.${domain.toLowerCase().replace(/\.$/, '')}.`;
}
