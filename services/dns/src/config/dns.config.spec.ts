import { ConfigError } from '@fedops/service-kit';
import { parseHostmaster, parseNameservers, readDnsConfig } from './dns.config';

const baseEnv = {
  FEDOPS_HTTP_PORT: '8083',
  FEDOPS_DATABASE_URL: 'postgres://fedops:pw@127.0.0.1:5432/fedops',
  FEDOPS_NATS_URL: 'nats://127.0.0.1:4222',
  FEDOPS_NATS_USER: 'dns',
  FEDOPS_NATS_PASSWORD: 'pw',
  FEDOPS_TEMPORAL_ADDRESS: '127.0.0.1:7233',
  FEDOPS_POWERDNS_API_URL: 'http://127.0.0.1:8081',
  FEDOPS_POWERDNS_API_KEY: 'key',
};

function problemsOf(env: Record<string, string>): string[] {
  try {
    readDnsConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('readDnsConfig: the zones SOA and NS', () => {
  it('reads name servers, hostmaster and negative TTL', () => {
    const config = readDnsConfig({
      ...baseEnv,
      FEDOPS_DNS_NAMESERVERS: 'NS1.example.net., ns2.example.net',
      FEDOPS_DNS_HOSTMASTER: 'hostmaster@example.net',
      FEDOPS_DNS_NEGATIVE_TTL: '600',
    });
    expect(config).toMatchObject({
      nameservers: ['ns1.example.net.', 'ns2.example.net.'],
      hostmaster: 'hostmaster.example.net.',
      negativeTtl: 600,
    });
  });

  it('requires the name servers and the hostmaster, with no default that could reach production', () => {
    const problems = problemsOf(baseEnv);
    expect(problems).toEqual([
      expect.stringMatching(/^FEDOPS_DNS_NAMESERVERS is required/),
      expect.stringMatching(/^FEDOPS_DNS_HOSTMASTER is required/),
    ]);
    expect(
      readDnsConfig({
        ...baseEnv,
        FEDOPS_DNS_NAMESERVERS: 'ns1.example.net',
        FEDOPS_DNS_HOSTMASTER: 'h@example.net',
      }).negativeTtl,
    ).toBe(300);
  });

  it('names every bad variable in one error', () => {
    expect(
      problemsOf({
        ...baseEnv,
        FEDOPS_DNS_NAMESERVERS: 'ns1.example.net,ns_2.example.net',
        FEDOPS_DNS_HOSTMASTER: 'hostmaster',
        FEDOPS_DNS_NEGATIVE_TTL: '-1',
      }),
    ).toEqual([
      'FEDOPS_DNS_NAMESERVERS="ns1.example.net,ns_2.example.net" is invalid: "ns_2.example.net" is not a host name: label "ns_2" is not a valid DNS label (letters, digits and inner hyphens, 1-63 characters)',
      'FEDOPS_DNS_HOSTMASTER="hostmaster" is invalid: must be an email address (hostmaster@example.net) or an SOA RNAME (hostmaster.example.net.)',
      'FEDOPS_DNS_NEGATIVE_TTL="-1" is invalid: must be a positive integer',
    ]);
  });
});

describe('parseNameservers', () => {
  it('returns absolute lower-case host names in the given order (the first is the SOA primary)', () => {
    expect(parseNameservers(' ns2.Example.net , ns1.example.net., ')).toEqual([
      'ns2.example.net.',
      'ns1.example.net.',
    ]);
  });

  it.each([
    ['', /at least one name server/],
    [' , ', /at least one name server/],
    ['localhost', /"localhost" is not a host name: must have at least two labels/],
    ['ns1.example.net,ns1.example.net.', /"ns1.example.net" is listed twice/],
    ['192.0.2.1', /"192.0.2.1" is not a host name: top-level label must not be numeric/],
    ['ns1..example.net', /"ns1..example.net" is not a host name/],
  ])('rejects %j', (raw, message) => {
    expect(() => parseNameservers(raw)).toThrow(message);
  });
});

describe('parseHostmaster: email address or RNAME to the SOA RNAME', () => {
  it.each([
    ['hostmaster@example.net', 'hostmaster.example.net.'],
    ['hostmaster@Example.NET.', 'hostmaster.example.net.'],
    ['jane.doe@example.net', 'jane\\.doe.example.net.'],
    ['dns+ops@fedops.localhost', 'dns+ops.fedops.localhost.'],
    ['hostmaster.example.net.', 'hostmaster.example.net.'],
    ['hostmaster.example.net', 'hostmaster.example.net.'],
    ['jane\\.doe.example.net.', 'jane\\.doe.example.net.'],
  ])('%j -> %j', (raw, rname) => {
    expect(parseHostmaster(raw)).toBe(rname);
  });

  it.each([
    ['hostmaster', /email address .* or an SOA RNAME/],
    ['a@b@example.net', /email address .* or an SOA RNAME/],
    ['@example.net', /"" is not a mailbox name/],
    ['.jane@example.net', /".jane" is not a mailbox name/],
    ['jane..doe@example.net', /"jane..doe" is not a mailbox name/],
    ['jane doe@example.net', /"jane doe" is not a mailbox name/],
    ['jane;x@example.net', /"jane;x" is not a mailbox name/],
    ['hostmaster@localhost', /"localhost" is not a mail domain/],
    ['hostmaster.localhost.', /"localhost" is not a mail domain/],
    [`${'a'.repeat(64)}@example.net`, /at most 63 characters/],
  ])('rejects %j', (raw, message) => {
    expect(() => parseHostmaster(raw)).toThrow(message);
  });
});
