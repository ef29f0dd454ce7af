import { FedopsError } from '@fedops/domain';
import type { RRset } from '../providers/dns-provider';
import { diffRRsets, planTenantRecords, tenantZone, toRecordSummaries } from './record-plan';

const hostnames = [
  { app: 'mastodon', fqdn: 'social.example.org', port: 3000 },
  { app: 'pixelfed', fqdn: 'Photos.Example.org', port: 8080 },
];

describe('tenantZone', () => {
  it('is the tenant domain, absolute and lower-case', () => {
    expect(tenantZone('Example.ORG')).toBe('example.org.');
    expect(tenantZone('example.org.')).toBe('example.org.');
  });
});

describe('planTenantRecords', () => {
  it('plans one A RRset per hostname with the default TTL', () => {
    expect(planTenantRecords({ domain: 'example.org', hostnames, address: '192.0.2.10' })).toEqual([
      { name: 'photos.example.org.', type: 'A', ttl: 300, records: ['192.0.2.10'] },
      { name: 'social.example.org.', type: 'A', ttl: 300, records: ['192.0.2.10'] },
    ]);
  });

  it('plans AAAA in canonical form for an IPv6 address, with a given TTL', () => {
    const plan = planTenantRecords({
      domain: 'example.org',
      hostnames,
      address: '2001:DB8:0:0::10',
      ttl: 60,
    });
    expect(plan.map((r) => [r.type, r.ttl, r.records])).toEqual([
      ['AAAA', 60, ['2001:db8::10']],
      ['AAAA', 60, ['2001:db8::10']],
    ]);
  });

  it('merges duplicate hostnames and allows the apex', () => {
    const plan = planTenantRecords({
      domain: 'example.org',
      hostnames: [
        ...hostnames,
        { app: 'x', fqdn: 'social.example.org.', port: 1 },
        { app: 'y', fqdn: 'example.org', port: 2 },
      ],
      address: '192.0.2.10',
    });
    expect(plan.map((r) => r.name)).toEqual(['example.org.', 'photos.example.org.', 'social.example.org.']);
  });

  it('rejects out-of-zone hostnames, bad addresses and bad TTLs with field errors', () => {
    let caught: unknown;
    try {
      planTenantRecords({
        domain: 'example.org',
        hostnames: [{ app: 'm', fqdn: 'social.notexample.org', port: 1 }],
        address: '300.1.1.1',
        ttl: 0,
      });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(FedopsError);
    expect((caught as FedopsError).details.fields?.map((f) => f.field)).toEqual([
      'ttl',
      'address',
      'hostnames[0].fqdn',
    ]);
  });
});

describe('diffRRsets', () => {
  const soa: RRset = {
    name: 'example.org.',
    type: 'SOA',
    ttl: 3600,
    records: ['a.misconfigured.dns.server.invalid. hostmaster.example.org. 1 10800 3600 604800 3600'],
  };
  const desired = planTenantRecords({ domain: 'example.org', hostnames, address: '192.0.2.10' });

  it('creates every desired RRset in an empty zone', () => {
    expect(diffRRsets([soa], desired, [])).toEqual([
      { action: 'replace', name: 'photos.example.org.', type: 'A', ttl: 300, records: ['192.0.2.10'] },
      { action: 'replace', name: 'social.example.org.', type: 'A', ttl: 300, records: ['192.0.2.10'] },
    ]);
  });

  it('changes nothing when the zone already matches (case and order insensitive)', () => {
    const current: RRset[] = [
      soa,
      { name: 'SOCIAL.example.org.', type: 'a', ttl: 300, records: ['192.0.2.10'] },
      desired[0]!,
    ];
    expect(diffRRsets(current, desired, ['social.example.org', 'photos.example.org'])).toEqual([]);
  });

  it('replaces RRsets whose address or TTL changed', () => {
    const current: RRset[] = [
      { name: 'photos.example.org.', type: 'A', ttl: 300, records: ['192.0.2.99'] },
      { name: 'social.example.org.', type: 'A', ttl: 3600, records: ['192.0.2.10'] },
    ];
    expect(diffRRsets(current, desired, []).map((c) => `${c.action} ${c.name}`)).toEqual([
      'replace photos.example.org.',
      'replace social.example.org.',
    ]);
  });

  it('deletes platform records at owned names that are no longer desired, deletions first', () => {
    const current: RRset[] = [
      soa,
      { name: 'old.example.org.', type: 'A', ttl: 300, records: ['192.0.2.10'] },
      { name: 'social.example.org.', type: 'CNAME', ttl: 300, records: ['elsewhere.example.net.'] },
    ];
    expect(diffRRsets(current, desired, ['old.example.org.', 'social.example.org.'])).toEqual([
      { action: 'delete', name: 'old.example.org.', type: 'A' },
      { action: 'delete', name: 'social.example.org.', type: 'CNAME' },
      { action: 'replace', name: 'photos.example.org.', type: 'A', ttl: 300, records: ['192.0.2.10'] },
      { action: 'replace', name: 'social.example.org.', type: 'A', ttl: 300, records: ['192.0.2.10'] },
    ]);
  });

  it('never deletes records at names the platform does not own, nor SOA/NS/TXT at owned names', () => {
    const current: RRset[] = [
      soa,
      { name: 'example.org.', type: 'NS', ttl: 3600, records: ['ns1.example.net.'] },
      { name: 'blog.example.org.', type: 'A', ttl: 300, records: ['198.51.100.1'] },
      { name: 'social.example.org.', type: 'TXT', ttl: 300, records: ['"verification"'] },
    ];
    expect(diffRRsets(current, [], ['social.example.org.', 'example.org.'])).toEqual([]);
  });

  it('removes everything the platform wrote when nothing is desired', () => {
    expect(
      diffRRsets(
        [soa, ...desired],
        [],
        desired.map((d) => d.name),
      ),
    ).toEqual([
      { action: 'delete', name: 'photos.example.org.', type: 'A' },
      { action: 'delete', name: 'social.example.org.', type: 'A' },
    ]);
  });
});

describe('toRecordSummaries', () => {
  it('lists one summary per record with relative names', () => {
    expect(
      toRecordSummaries([{ name: 'social.example.org.', type: 'A', ttl: 300, records: ['192.0.2.10'] }]),
    ).toEqual([{ name: 'social.example.org', type: 'A', content: '192.0.2.10', ttl: 300 }]);
  });
});
