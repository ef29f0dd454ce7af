import type { RRset } from './dns-provider';
import { apexChanges, apexRRsets, parseSoa, soaContent, zoneApex } from './zone-apex';

const apex = zoneApex({
  nameservers: ['NS1.fedops.test', 'ns2.fedops.test.'],
  hostmaster: 'jane\\.doe.fedops.test.',
  negativeTtl: 300,
});
const zone = 'example.org.';
const placeholderSoa: RRset = {
  name: zone,
  type: 'SOA',
  ttl: 3600,
  records: ['a.misconfigured.dns.server.invalid. hostmaster.example.org. 2026120101 10800 3600 604800 3600'],
};

describe('zoneApex', () => {
  it('makes names absolute and fills the fixed timers', () => {
    expect(apex).toEqual({
      nameservers: ['ns1.fedops.test.', 'ns2.fedops.test.'],
      hostmaster: 'jane\\.doe.fedops.test.',
      refresh: 10800,
      retry: 3600,
      expire: 1209600,
      negativeTtl: 300,
      ttl: 3600,
    });
  });

  it('refuses a zone without name servers', () => {
    expect(() => zoneApex({ nameservers: [], hostmaster: 'h.example.net.', negativeTtl: 300 })).toThrow(
      /at least one name server/,
    );
  });
});

describe('soaContent and parseSoa', () => {
  it('writes the first name server as primary and reads the fields back', () => {
    const content = soaContent(apex, 7);
    expect(content).toBe('ns1.fedops.test. jane\\.doe.fedops.test. 7 10800 3600 1209600 300');
    expect(parseSoa(content)).toEqual({
      mname: 'ns1.fedops.test.',
      rname: 'jane\\.doe.fedops.test.',
      serial: 7,
      refresh: 10800,
      retry: 3600,
      expire: 1209600,
      minimum: 300,
    });
  });

  it.each(['', 'ns1. h. 1 2 3 4', 'ns1. h. 1 2 3 4 x'])('rejects %j', (content) => {
    expect(parseSoa(content)).toBeUndefined();
  });
});

describe('apexRRsets', () => {
  it('is the SOA and the NS set of a new zone', () => {
    expect(apexRRsets(zone, apex)).toEqual([
      {
        name: zone,
        type: 'SOA',
        ttl: 3600,
        records: ['ns1.fedops.test. jane\\.doe.fedops.test. 1 10800 3600 1209600 300'],
      },
      { name: zone, type: 'NS', ttl: 3600, records: ['ns1.fedops.test.', 'ns2.fedops.test.'] },
    ]);
  });
});

describe('apexChanges', () => {
  it('replaces the placeholder SOA keeping its serial, and wrong NS records', () => {
    const current: RRset[] = [
      placeholderSoa,
      { name: zone, type: 'NS', ttl: 3600, records: ['ns1.fedops.invalid.', 'ns2.fedops.invalid.'] },
      { name: `www.${zone}`, type: 'A', ttl: 300, records: ['192.0.2.1'] },
    ];
    expect(apexChanges(zone, current, apex)).toEqual([
      {
        action: 'replace',
        name: zone,
        type: 'SOA',
        ttl: 3600,
        records: ['ns1.fedops.test. jane\\.doe.fedops.test. 2026120101 10800 3600 1209600 300'],
      },
      {
        action: 'replace',
        name: zone,
        type: 'NS',
        ttl: 3600,
        records: ['ns1.fedops.test.', 'ns2.fedops.test.'],
      },
    ]);
  });

  it('changes nothing when SOA and NS match (any serial, case and order insensitive)', () => {
    const current: RRset[] = [
      { name: 'Example.org.', type: 'soa', ttl: 3600, records: [soaContent(apex, 2026120142).toUpperCase()] },
      { name: zone, type: 'NS', ttl: 3600, records: ['ns2.fedops.test.', 'NS1.fedops.test.'] },
    ];
    expect(apexChanges(zone, current, apex)).toEqual([]);
  });

  it('replaces an SOA whose timers or TTL differ, and adds a missing NS set', () => {
    const timers: RRset = { ...placeholderSoa, records: [soaContent({ ...apex, negativeTtl: 3600 }, 5)] };
    expect(apexChanges(zone, [timers], apex).map((c) => c.type)).toEqual(['SOA', 'NS']);
    const ttl: RRset = { ...placeholderSoa, ttl: 86400, records: [soaContent(apex, 5)] };
    expect(apexChanges(zone, [ttl], apex)).toEqual([
      expect.objectContaining({ type: 'SOA', records: [soaContent(apex, 5)] }),
      expect.objectContaining({ type: 'NS' }),
    ]);
  });

  it('replaces an NS set that lacks a configured name server', () => {
    const current: RRset[] = [
      { ...placeholderSoa, records: [soaContent(apex, 5)] },
      { name: zone, type: 'NS', ttl: 3600, records: ['ns1.fedops.test.'] },
    ];
    expect(apexChanges(zone, current, apex).map((c) => c.type)).toEqual(['NS']);
  });
});
