import { absoluteName, type RRset, type RRsetChange } from './dns-provider';

/**
 * What a self-hosted provider (PowerDNS) writes at the apex of the zones the platform creates: the
 * SOA without its serial (the provider keeps and bumps that) and the NS set. Names are absolute.
 */
export interface ZoneApex {
  /** Authoritative name servers (NS records); the first is the SOA MNAME, the primary. */
  nameservers: string[];
  /** SOA RNAME: the hostmaster's mailbox as a domain name, `hostmaster.example.net.`. */
  hostmaster: string;
  /** SOA timers in seconds; refresh, retry and expire only matter to secondaries using AXFR. */
  refresh: number;
  retry: number;
  expire: number;
  /** SOA MINIMUM: how long resolvers cache that a name does not exist (RFC 2308). */
  negativeTtl: number;
  /** TTL of the SOA and NS RRsets. */
  ttl: number;
}

/** The timers not taken from configuration (RFC 1912 ranges; expire two weeks). */
export const DEFAULT_APEX_TIMERS = { refresh: 10_800, retry: 3_600, expire: 1_209_600, ttl: 3_600 };

export function zoneApex(input: {
  nameservers: string[];
  hostmaster: string;
  negativeTtl: number;
}): ZoneApex {
  if (input.nameservers.length === 0) throw new Error('a zone needs at least one name server');
  return {
    ...DEFAULT_APEX_TIMERS,
    nameservers: input.nameservers.map(absoluteName),
    hostmaster: absoluteName(input.hostmaster),
    negativeTtl: input.negativeTtl,
  };
}

export interface Soa {
  mname: string;
  rname: string;
  serial: number;
  refresh: number;
  retry: number;
  expire: number;
  minimum: number;
}

/** SOA content in presentation format: `mname rname serial refresh retry expire minimum`. */
export function soaContent(apex: ZoneApex, serial: number): string {
  const primary = apex.nameservers[0];
  if (primary === undefined) throw new Error('a zone needs at least one name server');
  return [primary, apex.hostmaster, serial, apex.refresh, apex.retry, apex.expire, apex.negativeTtl].join(
    ' ',
  );
}

/** Parses SOA content; `undefined` when it is not seven fields with numeric timers. */
export function parseSoa(content: string): Soa | undefined {
  const fields = content.trim().split(/\s+/);
  if (fields.length !== 7) return undefined;
  const [mname, rname, ...numbers] = fields as [string, string, ...string[]];
  const values = numbers.map(Number);
  if (!values.every((n) => Number.isInteger(n) && n >= 0)) return undefined;
  const [serial, refresh, retry, expire, minimum] = values as [number, number, number, number, number];
  return { mname, rname, serial, refresh, retry, expire, minimum };
}

/** The SOA and NS RRsets of a new zone. */
export function apexRRsets(zone: string, apex: ZoneApex, serial = 1): RRset[] {
  const name = absoluteName(zone);
  return [
    { name, type: 'SOA', ttl: apex.ttl, records: [soaContent(apex, serial)] },
    { name, type: 'NS', ttl: apex.ttl, records: [...apex.nameservers] },
  ];
}

/**
 * The changes that bring a zone's SOA and NS to `apex`, or none when they already match (names
 * compared case-insensitively, the serial ignored). A replaced SOA keeps the current serial: the
 * provider's serial policy (PowerDNS SOA-EDIT-API) then raises it, so secondaries see the change.
 */
export function apexChanges(zone: string, current: RRset[], apex: ZoneApex): RRsetChange[] {
  const name = absoluteName(zone);
  const at = (type: string): RRset | undefined =>
    current.find((r) => absoluteName(r.name) === name && r.type.toUpperCase() === type);
  const changes: RRsetChange[] = [];

  const soaNow = at('SOA');
  const soa = soaNow?.records.length === 1 ? parseSoa(soaNow.records[0] ?? '') : undefined;
  const soaMatches =
    soa !== undefined &&
    soaNow?.ttl === apex.ttl &&
    sameName(soa.mname, apex.nameservers[0] ?? '') &&
    sameName(soa.rname, apex.hostmaster) &&
    soa.refresh === apex.refresh &&
    soa.retry === apex.retry &&
    soa.expire === apex.expire &&
    soa.minimum === apex.negativeTtl;
  if (!soaMatches) {
    changes.push({
      action: 'replace',
      name,
      type: 'SOA',
      ttl: apex.ttl,
      records: [soaContent(apex, soa?.serial ?? 1)],
    });
  }

  const nsNow = at('NS');
  const nsNames = (records: string[]): string => [...new Set(records.map(absoluteName))].sort().join(' ');
  const nsMatches =
    nsNow !== undefined && nsNow.ttl === apex.ttl && nsNames(nsNow.records) === nsNames(apex.nameservers);
  if (!nsMatches) {
    changes.push({ action: 'replace', name, type: 'NS', ttl: apex.ttl, records: [...apex.nameservers] });
  }
  return changes;
}

function sameName(a: string, b: string): boolean {
  return absoluteName(a) === absoluteName(b);
}
