import { randomBytes } from 'node:crypto';
import { Resolver } from 'node:dns/promises';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { freePort, startPowerDns } from '@fedops/testing';
import { parseHostmaster, parseNameservers } from '../../config/dns.config';
import { diffRRsets, planTenantRecords, tenantZone } from '../../record-plan/record-plan';
import { DnsProviderError, type RRset } from '../dns-provider';
import { parseSoa, zoneApex } from '../zone-apex';
import { PowerDnsDriver } from './powerdns.driver';

interface PdnsEndpoint {
  apiUrl: string;
  apiKey: string;
  dnsPort: number;
}

/**
 * The PowerDNS under test: the harness's (jest global setup exports FEDOPS_TEST_PDNS_*), or,
 * when this file runs outside it, one started here by the same harness.
 */
async function pdnsEndpoint(): Promise<{ endpoint: PdnsEndpoint; stop: () => Promise<void> }> {
  const {
    FEDOPS_TEST_PDNS_API_URL: apiUrl,
    FEDOPS_TEST_PDNS_API_KEY: apiKey,
    FEDOPS_TEST_PDNS_DNS_PORT: port,
  } = process.env;
  if (apiUrl && apiKey && port) {
    return { endpoint: { apiUrl, apiKey, dnsPort: Number(port) }, stop: async () => undefined };
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'fedops-pdns-'));
  const pdns = await startPowerDns({ dataDir, ephemeral: true });
  const stop = async (): Promise<void> => {
    await pdns.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  return { endpoint: pdns.endpoint, stop };
}

/** The apex as the dns service builds it from FEDOPS_DNS_NAMESERVERS and FEDOPS_DNS_HOSTMASTER. */
const apex = zoneApex({
  nameservers: parseNameservers('ns1.fedops.test,ns2.fedops.test.'),
  hostmaster: parseHostmaster('dns.admin@fedops.test'),
  negativeTtl: 300,
});

describe('PowerDnsDriver against a real pdns_server', () => {
  let endpoint: PdnsEndpoint;
  let stop: () => Promise<void> = async () => undefined;
  let driver: PowerDnsDriver;
  let resolver: Resolver;
  // A fresh zone per run, so a shared server never sees a clash with another test.
  const domain = `t${randomBytes(4).toString('hex')}.example.org`;
  const zone = tenantZone(domain);
  const hostnames = [
    { app: 'mastodon', fqdn: `social.${domain}`, port: 3000 },
    { app: 'pixelfed', fqdn: `photos.${domain}`, port: 8080 },
  ];

  beforeAll(async () => {
    ({ endpoint, stop } = await pdnsEndpoint());
    driver = new PowerDnsDriver({
      apiUrl: endpoint.apiUrl,
      apiKey: endpoint.apiKey,
      apex,
      timeoutMs: 5000,
      retry: { attempts: 2, baseDelayMs: 50, maxDelayMs: 200 },
    });
    resolver = new Resolver({ timeout: 1000, tries: 1 });
    resolver.setServers([`127.0.0.1:${endpoint.dnsPort}`]);
  });

  afterAll(async () => {
    await driver?.deleteZone(zone).catch(() => undefined);
    await stop();
  });

  it('manages a tenant zone end to end and answers real DNS queries', async () => {
    expect(await driver.ensureZone(zone)).toEqual({ created: true });
    expect(await driver.ensureZone(zone)).toEqual({ created: false });

    // Apply the plan.
    const owned = hostnames.map((h) => h.fqdn);
    const plan1 = planTenantRecords({ domain, hostnames, address: '192.0.2.10' });
    const changes1 = diffRRsets(await driver.listRRsets(zone), plan1, owned);
    expect(changes1).toHaveLength(2);
    await driver.replaceRRsets(zone, changes1);
    expect(diffRRsets(await driver.listRRsets(zone), plan1, owned)).toEqual([]); // converged
    await eventually(async () => expect(await resolver.resolve4(`social.${domain}`)).toEqual(['192.0.2.10']));

    const listed = await driver.listRRsets(zone);
    expect(listed).toEqual(
      expect.arrayContaining([
        { name: `social.${zone}`, type: 'A', ttl: 300, records: ['192.0.2.10'] },
        { name: zone, type: 'NS', ttl: 3600, records: ['ns1.fedops.test.', 'ns2.fedops.test.'] },
      ]),
    );

    // A record the platform does not own survives every later change.
    await driver.replaceRRsets(zone, [
      { action: 'replace', name: `blog.${zone}`, type: 'A', ttl: 300, records: ['198.51.100.7'] },
    ]);

    // Move the tenant: only the address changes.
    const plan2 = planTenantRecords({ domain, hostnames, address: '192.0.2.20' });
    await driver.replaceRRsets(zone, diffRRsets(await driver.listRRsets(zone), plan2, owned));
    await eventually(async () => expect(await resolver.resolve4(`social.${domain}`)).toEqual(['192.0.2.20']));

    // Remove the tenant's records.
    const removal = diffRRsets(await driver.listRRsets(zone), [], owned);
    expect(removal.map((c) => `${c.action} ${c.name} ${c.type}`)).toEqual([
      `delete photos.${zone} A`,
      `delete social.${zone} A`,
    ]);
    await driver.replaceRRsets(zone, removal);
    await eventually(async () => {
      await expect(resolver.resolve4(`social.${domain}`)).rejects.toMatchObject({
        code: expect.stringMatching(/^(ENOTFOUND|ENODATA)$/) as string,
      });
    });
    const remaining = await driver.listRRsets(zone);
    expect(remaining.filter((r) => r.type === 'A').map((r) => r.name)).toEqual([`blog.${zone}`]);
    await driver.replaceRRsets(zone, removal); // deleting again is a no-op, not an error

    expect(await driver.deleteZone(zone)).toEqual({ deleted: true });
    expect(await driver.deleteZone(zone)).toEqual({ deleted: false });
    await expect(driver.listRRsets(zone)).rejects.toMatchObject({ status: 404, retryable: false });
  });

  it('creates zones with the configured SOA and NS, as the API lists them and DNS serves them', async () => {
    const apexDomain = `soa${randomBytes(4).toString('hex')}.example.org`;
    const apexZone = tenantZone(apexDomain);
    try {
      expect(await driver.ensureZone(apexZone)).toEqual({ created: true });
      const listed = await driver.listRRsets(apexZone);
      expect(parseSoa(rrsetOf(listed, 'SOA').records[0] ?? '')).toMatchObject({
        mname: 'ns1.fedops.test.',
        rname: 'dns\\.admin.fedops.test.',
        refresh: 10800,
        retry: 3600,
        expire: 1209600,
        minimum: 300,
      });
      expect(rrsetOf(listed, 'NS').records).toEqual(['ns1.fedops.test.', 'ns2.fedops.test.']);

      expect(await resolver.resolveSoa(apexDomain)).toMatchObject({
        nsname: 'ns1.fedops.test',
        hostmaster: 'dns\\.admin.fedops.test', // the escaped dot: dns.admin@fedops.test
        minttl: 300,
      });
      expect((await resolver.resolveNs(apexDomain)).sort()).toEqual(['ns1.fedops.test', 'ns2.fedops.test']);
      expect(await driver.ensureZoneApex(apexZone)).toEqual({ corrected: false });
    } finally {
      await driver.deleteZone(apexZone);
    }
  });

  it('raises the SOA serial on every record change', async () => {
    const serialDomain = `serial${randomBytes(4).toString('hex')}.example.org`;
    const serialZone = tenantZone(serialDomain);
    try {
      await driver.ensureZone(serialZone);
      const serialOverDns = async (): Promise<number> => (await resolver.resolveSoa(serialDomain)).serial;
      const first = await serialOverDns();
      expect(first).toBeGreaterThan(1);
      for (const address of ['192.0.2.1', '192.0.2.2']) {
        const before = await serialOverDns();
        await driver.replaceRRsets(serialZone, [
          { action: 'replace', name: `www.${serialZone}`, type: 'A', ttl: 300, records: [address] },
        ]);
        await eventually(async () => expect(await serialOverDns()).toBeGreaterThan(before));
      }
    } finally {
      await driver.deleteZone(serialZone);
    }
  });

  it('corrects a zone created with PowerDNS placeholder SOA, keeping its other records', async () => {
    const oldDomain = `old${randomBytes(4).toString('hex')}.example.org`;
    const oldZone = tenantZone(oldDomain);
    // How the driver created zones before: NS only, so PowerDNS synthesised its placeholder SOA.
    const created = await fetch(`${endpoint.apiUrl}/api/v1/servers/localhost/zones`, {
      method: 'POST',
      headers: {
        'X-API-Key': endpoint.apiKey,
        Accept: 'application/json',
        'Content-Type': 'application/json',
      },
      body: JSON.stringify({ name: oldZone, kind: 'Native', nameservers: ['ns1.fedops.invalid.'] }),
    });
    expect(created.status).toBe(201);
    try {
      await driver.replaceRRsets(oldZone, [
        { action: 'replace', name: `www.${oldZone}`, type: 'A', ttl: 300, records: ['192.0.2.7'] },
      ]);
      const before = await resolver.resolveSoa(oldDomain);
      expect(before.nsname).toBe('a.misconfigured.dns.server.invalid');

      expect(await driver.ensureZone(oldZone)).toEqual({ created: false });
      expect(await driver.ensureZoneApex(oldZone)).toEqual({ corrected: true });
      await eventually(async () => {
        const after = await resolver.resolveSoa(oldDomain);
        expect(after).toMatchObject({ nsname: 'ns1.fedops.test', hostmaster: 'dns\\.admin.fedops.test' });
        expect(after.serial).toBeGreaterThan(before.serial); // secondaries notice the change
      });
      expect((await resolver.resolveNs(oldDomain)).sort()).toEqual(['ns1.fedops.test', 'ns2.fedops.test']);
      expect(await resolver.resolve4(`www.${oldDomain}`)).toEqual(['192.0.2.7']);
      expect(await driver.ensureZoneApex(oldZone)).toEqual({ corrected: false }); // idempotent
    } finally {
      await driver.deleteZone(oldZone);
    }
  });

  it('maps a 4xx to a DnsProviderError carrying PowerDNS message, without retrying', async () => {
    const badZone = tenantZone(`bad${randomBytes(4).toString('hex')}.example.org`);
    await driver.ensureZone(badZone);
    try {
      const err = await driver
        .replaceRRsets(badZone, [
          { action: 'replace', name: `txt.${badZone}`, type: 'TXT', ttl: 300, records: ['not quoted'] },
        ])
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(err).toBeInstanceOf(DnsProviderError);
      const e = err as DnsProviderError;
      expect(e.status).toBe(422);
      expect(e.retryable).toBe(false);
      expect(e.providerMessage).toMatch(/should start with quote/);
      expect(e.message).toContain(e.providerMessage);
      // The PATCH was all or nothing: no TXT record exists.
      expect((await driver.listRRsets(badZone)).filter((r) => r.type === 'TXT')).toEqual([]);
    } finally {
      await driver.deleteZone(badZone);
    }
  });

  it('reports a wrong API key as a 401 DnsProviderError', async () => {
    const wrong = new PowerDnsDriver({ apiUrl: endpoint.apiUrl, apiKey: 'wrong-key', apex });
    await expect(wrong.listRRsets(zone)).rejects.toMatchObject({
      name: 'DnsProviderError',
      status: 401,
      retryable: false,
    });
  });

  it('retries and then reports an unreachable server as a retryable error', async () => {
    const port = await freePort();
    const unreachable = new PowerDnsDriver({
      apiUrl: `http://127.0.0.1:${port}`,
      apiKey: 'k',
      apex,
      retry: { attempts: 2, baseDelayMs: 10, maxDelayMs: 10 },
    });
    await expect(unreachable.ensureZone(zone)).rejects.toMatchObject({
      name: 'DnsProviderError',
      retryable: true,
      status: undefined,
      message: expect.stringContaining('attempt 2/2') as string,
    });
  });
});

function rrsetOf(rrsets: RRset[], type: string): RRset {
  const found = rrsets.find((r) => r.type === type);
  if (found === undefined) throw new Error(`no ${type} RRset in ${JSON.stringify(rrsets)}`);
  return found;
}

/** Retries an assertion until it passes or the deadline expires (DNS answers may lag an API write). */
async function eventually(check: () => Promise<void>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await delay(100);
    }
  }
}
