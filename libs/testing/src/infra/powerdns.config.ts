/** Pure config rendering for pdns_server 4.7 with the gsqlite3 backend (see shared/specs/powerdns.md). */

export const PDNS_SQLITE_SCHEMA = '/usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql';

export interface PdnsConfigInput {
  readonly databaseFile: string;
  readonly apiKey: string;
  readonly webserverPort: number;
  readonly dnsPort: number;
  readonly socketDir: string;
}

export function pdnsConfigEntries(input: PdnsConfigInput): Array<[string, string]> {
  for (const [key, value] of Object.entries(input)) {
    if (/[\r\n]/.test(String(value))) throw new Error(`pdns config value ${key} must be a single line`);
  }
  return [
    ['launch', 'gsqlite3'],
    ['gsqlite3-database', input.databaseFile],
    ['api', 'yes'],
    ['api-key', input.apiKey],
    ['webserver', 'yes'],
    ['webserver-address', '127.0.0.1'],
    ['webserver-port', String(input.webserverPort)],
    ['webserver-allow-from', '127.0.0.0/8'],
    ['local-address', '127.0.0.1'],
    ['local-port', String(input.dnsPort)],
    ['socket-dir', input.socketDir],
    ['guardian', 'no'],
    ['daemon', 'no'],
    ['disable-syslog', 'yes'],
    ['write-pid', 'no'],
    // Answer from the database at once: tests change records and query them right away.
    ['cache-ttl', '0'],
    ['negquery-cache-ttl', '0'],
    ['query-cache-ttl', '0'],
    ['zone-cache-refresh-interval', '0'],
    ['receiver-threads', '1'],
    ['distributor-threads', '1'],
  ];
}

export function renderPdnsConfig(input: PdnsConfigInput): string {
  const lines = pdnsConfigEntries(input).map(([key, value]) => `${key}=${value}`);
  return `# Written by @fedops/testing; regenerated on every start.\n${lines.join('\n')}\n`;
}
