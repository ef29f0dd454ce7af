import { randomBytes, randomUUID } from 'node:crypto';
import type { NatsConnection } from 'nats';
import type { DataSource } from 'typeorm';
import { EventPublisher, JsonLogger, ensureEventsStream, openServiceDataSource } from '@fedops/service-kit';
import { connectTestNats, createTestDatabase, dropTestDatabase, testInfra } from '@fedops/testing';
import { TenantZones1764284400002 } from '../migrations/1764284400002-tenant-zones';
import type { RRset } from '../providers/dns-provider';
import { PowerDnsDriver } from '../providers/powerdns/powerdns.driver';
import { parseSoa, zoneApex } from '../providers/zone-apex';
import { tenantZone } from '../record-plan/record-plan';
import { TenantRecordsService } from './tenant-records.service';
import { TenantZoneEntity } from './tenant-zone.entity';

/**
 * The service on real PostgreSQL, NATS and PowerDNS: which zones get their SOA and NS corrected
 * when the platform next writes a tenant's records.
 */
describe('TenantRecordsService and the SOA/NS of existing zones', () => {
  const apex = zoneApex({
    nameservers: ['ns1.fedops.test.', 'ns2.fedops.test.'],
    hostmaster: 'hostmaster.fedops.test.',
    negativeTtl: 300,
  });
  let databaseUrl: string;
  let dataSource: DataSource;
  let nc: NatsConnection;
  let driver: PowerDnsDriver;
  let service: TenantRecordsService;
  const logs: string[] = [];

  beforeAll(async () => {
    const infra = testInfra();
    databaseUrl = await createTestDatabase('dns_records');
    dataSource = await openServiceDataSource({
      url: databaseUrl,
      schema: 'dns',
      entities: [TenantZoneEntity],
      migrations: [TenantZones1764284400002],
    });
    // As the dns service's own user: what it publishes here, it may publish in production.
    nc = await connectTestNats('dns');
    await ensureEventsStream(nc);
    driver = new PowerDnsDriver({ apiUrl: infra.powerdns.apiUrl, apiKey: infra.powerdns.apiKey, apex });
    service = new TenantRecordsService(
      dataSource,
      driver,
      300,
      new EventPublisher(nc, 'dns'),
      new JsonLogger('dns', 'info', (line) => logs.push(line)),
    );
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await nc?.close();
    if (databaseUrl !== undefined) await dropTestDatabase(databaseUrl);
  });

  /** A zone as the driver created it before it wrote a real SOA (PowerDNS's placeholder SOA). */
  async function createZoneTheOldWay(zone: string, nameservers: string[]): Promise<void> {
    const { apiUrl, apiKey } = testInfra().powerdns;
    const res = await fetch(`${apiUrl}/api/v1/servers/localhost/zones`, {
      method: 'POST',
      headers: { 'X-API-Key': apiKey, Accept: 'application/json', 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: zone, kind: 'Native', nameservers }),
    });
    expect(res.status).toBe(201);
  }

  function apexOf(rrsets: RRset[]): { mname: string | undefined; ns: string[] } {
    const soa = rrsets.find((r) => r.type === 'SOA')?.records[0];
    return {
      mname: soa === undefined ? undefined : parseSoa(soa)?.mname,
      ns: [...(rrsets.find((r) => r.type === 'NS')?.records ?? [])].sort(),
    };
  }

  const tenant = (): { tenantId: string; domain: string } => ({
    tenantId: randomUUID(),
    domain: `t${randomBytes(4).toString('hex')}.example.org`,
  });

  it('corrects a zone the platform created earlier when it next writes the tenant records', async () => {
    const { tenantId, domain } = tenant();
    const zone = tenantZone(domain);
    await createZoneTheOldWay(zone, ['ns1.fedops.invalid.']);
    const repo = dataSource.getRepository(TenantZoneEntity);
    await repo.save(repo.create({ tenantId, provider: 'powerdns', zone, zoneCreated: true, records: [] }));
    try {
      const hostnames = [{ app: 'mastodon', fqdn: `social.${domain}`, port: 3000 }];
      await service.apply({ tenantId, domain, hostnames, address: '192.0.2.10' });

      const rrsets = await driver.listRRsets(zone);
      expect(apexOf(rrsets)).toEqual({
        mname: 'ns1.fedops.test.',
        ns: ['ns1.fedops.test.', 'ns2.fedops.test.'],
      });
      expect(rrsets).toContainEqual({ name: `social.${zone}`, type: 'A', ttl: 300, records: ['192.0.2.10'] });
      expect(logs.some((l) => l.includes('zone SOA/NS corrected') && l.includes(tenantId))).toBe(true);
    } finally {
      await service.remove(tenantId); // the platform created the zone: it is deleted
    }
    expect(await driver.deleteZone(zone)).toEqual({ deleted: false });
  });

  it('leaves the SOA and NS of a zone it did not create alone', async () => {
    const { tenantId, domain } = tenant();
    const zone = tenantZone(domain);
    await createZoneTheOldWay(zone, ['ns.customer.example.']);
    try {
      const hostnames = [{ app: 'mastodon', fqdn: `social.${domain}`, port: 3000 }];
      await service.apply({ tenantId, domain, hostnames, address: '192.0.2.10' });

      const rrsets = await driver.listRRsets(zone);
      expect(apexOf(rrsets)).toEqual({
        mname: 'a.misconfigured.dns.server.invalid.',
        ns: ['ns.customer.example.'],
      });
      expect(rrsets).toContainEqual({ name: `social.${zone}`, type: 'A', ttl: 300, records: ['192.0.2.10'] });
      await service.remove(tenantId);
    } finally {
      await driver.deleteZone(zone);
    }
  });
});
