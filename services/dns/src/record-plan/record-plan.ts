import { isIP } from 'node:net';
import type { AppHostname, DnsRecordSummary } from '@fedops/contracts';
import { FedopsError, normaliseDomain, type FieldError } from '@fedops/domain';
import { absoluteName, type RRset, type RRsetChange } from '../providers/dns-provider';

/** Low so a migration can switch the address within minutes. */
export const DEFAULT_TENANT_TTL = 300;

/** Record types the platform writes for tenants; only these are ever removed at owned names. */
export const PLATFORM_RECORD_TYPES: ReadonlySet<string> = new Set(['A', 'AAAA', 'CNAME']);

export interface TenantRecordPlanInput {
  /** The tenant's domain, e.g. `example.org`; it is also the zone (see `tenantZone`). */
  domain: string;
  hostnames: AppHostname[];
  /** IPv4 or IPv6 address of the tenant's machine. */
  address: string;
  ttl?: number;
}

/**
 * The zone that holds a tenant's records. Choice: the tenant's own domain is the zone
 * (`example.org.`), so each tenant has one zone and deleting it never touches another tenant.
 */
export function tenantZone(domain: string): string {
  return absoluteName(normaliseDomain(domain));
}

/**
 * The RRsets a tenant should have: one A (IPv4) or AAAA (IPv6) RRset per distinct app hostname,
 * all pointing at the machine. Names are absolute and lower-case; the result is sorted by name.
 */
export function planTenantRecords(input: TenantRecordPlanInput): RRset[] {
  const errors: FieldError[] = [];
  const ttl = input.ttl ?? DEFAULT_TENANT_TTL;
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > 2_147_483_647) {
    errors.push({ field: 'ttl', message: 'must be an integer between 1 and 2147483647' });
  }
  const family = isIP(input.address);
  if (family === 0 || input.address.includes('%')) {
    errors.push({ field: 'address', message: `"${input.address}" is not a global IP address` });
  }
  const zone = tenantZone(input.domain);
  const names = new Set<string>();
  input.hostnames.forEach((h, i) => {
    const fqdn = absoluteName(h.fqdn);
    if (fqdn !== zone && !fqdn.endsWith(`.${zone}`)) {
      errors.push({ field: `hostnames[${i}].fqdn`, message: `"${h.fqdn}" is not inside ${zone}` });
    } else {
      names.add(fqdn);
    }
  });
  if (errors.length > 0) throw FedopsError.validation(errors);

  const type = family === 6 ? 'AAAA' : 'A';
  const content = family === 6 ? canonicalIpv6(input.address) : input.address;
  return [...names].sort().map((name) => ({ name, type, ttl, records: [content] }));
}

/**
 * The smallest set of whole-RRset changes turning `current` into `desired`.
 * Only names in `ownedNames` or in `desired` are touched, and at those names only the platform's
 * record types (A, AAAA, CNAME): SOA, NS, TXT, MX and records at names the platform never wrote
 * (e.g. another tenant's, or the customer's own) are left alone. Deletions come first so a type
 * change at a name (A -> AAAA, CNAME -> A) never conflicts inside one PATCH.
 */
export function diffRRsets(current: RRset[], desired: RRset[], ownedNames: Iterable<string>): RRsetChange[] {
  const owned = new Set<string>([...ownedNames].map(absoluteName));
  for (const d of desired) owned.add(absoluteName(d.name));
  const desiredByKey = new Map(desired.map((d) => [rrsetKey(d), d]));
  const currentByKey = new Map(current.map((c) => [rrsetKey(c), c]));

  const deletions: RRsetChange[] = [];
  for (const [key, c] of currentByKey) {
    const name = absoluteName(c.name);
    if (!owned.has(name) || !PLATFORM_RECORD_TYPES.has(c.type.toUpperCase())) continue;
    if (!desiredByKey.has(key)) deletions.push({ action: 'delete', name, type: c.type.toUpperCase() });
  }
  const replacements: RRsetChange[] = [];
  for (const [key, d] of desiredByKey) {
    const c = currentByKey.get(key);
    if (c !== undefined && c.ttl === d.ttl && sameRecords(c.records, d.records)) continue;
    replacements.push({
      action: 'replace',
      name: absoluteName(d.name),
      type: d.type.toUpperCase(),
      ttl: d.ttl,
      records: [...d.records],
    });
  }
  return [...sortChanges(deletions), ...sortChanges(replacements)];
}

/** The plan as reported to workflows: names without the trailing dot, one entry per record. */
export function toRecordSummaries(rrsets: RRset[]): DnsRecordSummary[] {
  return rrsets.flatMap((r) => {
    const type = r.type.toUpperCase();
    if (type !== 'A' && type !== 'AAAA' && type !== 'CNAME' && type !== 'TXT') return [];
    return r.records.map((content) => ({ name: r.name.replace(/\.$/, ''), type, content, ttl: r.ttl }));
  });
}

function rrsetKey(r: { name: string; type: string }): string {
  return `${absoluteName(r.name)} ${r.type.toUpperCase()}`;
}

function sameRecords(a: string[], b: string[]): boolean {
  const norm = (xs: string[]): string[] => [...new Set(xs.map((x) => x.trim().toLowerCase()))].sort();
  const na = norm(a);
  const nb = norm(b);
  return na.length === nb.length && na.every((x, i) => x === nb[i]);
}

function sortChanges(changes: RRsetChange[]): RRsetChange[] {
  return [...changes].sort((x, y) => rrsetKey(x).localeCompare(rrsetKey(y)));
}

/** RFC 5952 form (lower-case, zeros compressed), the form PowerDNS returns. */
function canonicalIpv6(address: string): string {
  return new URL(`http://[${address}]/`).hostname.slice(1, -1);
}
