import { validateLabel } from './names';
import { blockOfAddress, formatSubnet, parseSubnet, type Ipv4Subnet } from './subnet';
import { validatePublicKeyLine } from './ssh-keys';

interface HostEntryBase {
  label: string;
  /** Network namespace name, also the host end of the veth pair. */
  name: string;
  /** The namespace end of the veth pair: the machine's address. */
  address: string;
  /** ISO 8601: when the name and address were reserved. */
  createdAt: string;
}

/** One host as recorded in `<stateDir>/state.json`. Paths are derived from stateDir and name, not stored. */
export interface HostRecord extends HostEntryBase {
  status: 'ready';
  /** Host public key line `type base64`. */
  hostKey: string;
  /**
   * The host's own authorized_keys lines, when it was made with an identity (ensureHost's second
   * argument); absent: the manager's `authorizedKeys` option applies, as before identities existed.
   */
  authorizedKeys?: string[];
}

/**
 * A host being created: its name and address are taken, its namespace, key and sshd may not exist
 * yet. The creator holds the label's lock; a reservation found by whoever gets that lock next was left
 * by a creation that crashed, and is completed (ensureHost) or removed (destroyHost).
 */
export interface HostReservation extends HostEntryBase {
  status: 'creating';
}

export type HostEntry = HostRecord | HostReservation;

export interface SandboxState {
  version: 1;
  subnet: string;
  namePrefix: string;
  hosts: HostEntry[];
}

export function emptyState(subnet: string, namePrefix: string): SandboxState {
  return { version: 1, subnet: formatSubnet(parseSubnet(subnet)), namePrefix, hosts: [] };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

interface Seen {
  labels: Set<string>;
  names: Set<string>;
  addresses: Set<string>;
}

function parseHost(
  entry: unknown,
  at: string,
  subnet: Ipv4Subnet | undefined,
  namePrefix: string | undefined,
  seen: Seen,
  problems: string[],
): HostEntry | undefined {
  if (!isRecord(entry)) {
    problems.push(`${at}: must be an object`);
    return undefined;
  }
  const { label, name, address, hostKey, createdAt, authorizedKeys, status = 'ready' } = entry;
  const before = problems.length;
  if (typeof label !== 'string') problems.push(`${at}.label: must be a string`);
  else {
    const problem = validateLabel(label);
    if (problem) problems.push(`${at}.label: ${problem}`);
    if (seen.labels.has(label)) problems.push(`${at}.label: duplicate "${label}"`);
    seen.labels.add(label);
  }
  if (typeof name !== 'string') problems.push(`${at}.name: must be a string`);
  else {
    if (namePrefix !== undefined && !new RegExp(`^${namePrefix}-[0-9a-f]{8}$`).test(name)) {
      problems.push(`${at}.name: "${name}" is not "${namePrefix}-" followed by 8 hex digits`);
    }
    if (seen.names.has(name)) problems.push(`${at}.name: duplicate "${name}"`);
    seen.names.add(name);
  }
  if (typeof address !== 'string') problems.push(`${at}.address: must be a string`);
  else {
    if (subnet) {
      try {
        blockOfAddress(subnet, address);
      } catch (err) {
        problems.push(`${at}.address: ${messageOf(err)}`);
      }
    }
    if (seen.addresses.has(address)) problems.push(`${at}.address: duplicate ${address}`);
    seen.addresses.add(address);
  }
  if (status !== 'ready' && status !== 'creating') {
    problems.push(`${at}.status: must be "ready" or "creating", got ${JSON.stringify(status)}`);
  }
  // A reservation has no host key yet; a ready host must have one.
  if (status !== 'creating' || hostKey !== undefined) {
    if (typeof hostKey !== 'string') problems.push(`${at}.hostKey: must be a string`);
    else {
      const problem = validatePublicKeyLine(hostKey);
      if (problem) problems.push(`${at}.hostKey: ${problem}`);
    }
  }
  if (typeof createdAt !== 'string' || Number.isNaN(Date.parse(createdAt))) {
    problems.push(`${at}.createdAt: must be an ISO date string`);
  }
  const keys = parseAuthorizedKeys(authorizedKeys, `${at}.authorizedKeys`, problems);
  if (
    problems.length !== before ||
    typeof label !== 'string' ||
    typeof name !== 'string' ||
    typeof address !== 'string' ||
    typeof createdAt !== 'string'
  ) {
    return undefined;
  }
  if (status === 'creating') return { label, name, address, createdAt, status };
  if (typeof hostKey !== 'string') return undefined;
  const record: HostRecord = { label, name, address, hostKey, createdAt, status: 'ready' };
  if (keys) record.authorizedKeys = keys;
  return record;
}

/** Optional list of public key lines: absent is fine, present must be a non-empty list of valid lines. */
function parseAuthorizedKeys(value: unknown, at: string, problems: string[]): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length === 0) {
    problems.push(`${at}: must be a non-empty array of public key lines`);
    return undefined;
  }
  const lines: string[] = [];
  value.forEach((line: unknown, i) => {
    if (typeof line !== 'string') problems.push(`${at}[${i}]: must be a string`);
    else {
      const problem = validatePublicKeyLine(line);
      if (problem) problems.push(`${at}[${i}]: ${problem}`);
      else lines.push(line);
    }
  });
  return lines.length === value.length ? lines : undefined;
}

/**
 * Parses and validates the state file, listing every problem found. Labels, names and addresses must
 * be unique (reservations included), so a damaged file can never hand out one address twice. Entries
 * without `status` (files written before reservations existed) are ready hosts.
 */
export function parseState(text: string): SandboxState {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new Error('Sandbox state file is not valid JSON', { cause: err });
  }
  if (!isRecord(raw)) throw new Error('Sandbox state file must hold a JSON object');
  const problems: string[] = [];
  if (raw['version'] !== 1) problems.push(`version: expected 1, got ${JSON.stringify(raw['version'])}`);

  let subnet: Ipv4Subnet | undefined;
  const subnetText = raw['subnet'];
  if (typeof subnetText !== 'string') problems.push('subnet: must be a string');
  else {
    try {
      subnet = parseSubnet(subnetText);
    } catch (err) {
      problems.push(`subnet: ${messageOf(err)}`);
    }
  }

  const prefixRaw = raw['namePrefix'];
  let namePrefix: string | undefined;
  if (typeof prefixRaw === 'string' && /^[a-z][a-z0-9]{0,5}$/.test(prefixRaw)) namePrefix = prefixRaw;
  else problems.push(`namePrefix: must be 1-6 lowercase letters or digits, got ${JSON.stringify(prefixRaw)}`);

  const hosts: HostEntry[] = [];
  const hostsRaw = raw['hosts'];
  if (!Array.isArray(hostsRaw)) problems.push('hosts: must be an array');
  else {
    const seen: Seen = { labels: new Set(), names: new Set(), addresses: new Set() };
    hostsRaw.forEach((entry: unknown, i) => {
      const host = parseHost(entry, `hosts[${i}]`, subnet, namePrefix, seen, problems);
      if (host) hosts.push(host);
    });
  }

  if (problems.length > 0 || !subnet || namePrefix === undefined) {
    throw new Error(`Sandbox state file is invalid: ${problems.join('; ')}`);
  }
  return { version: 1, subnet: formatSubnet(subnet), namePrefix, hosts };
}

export function serializeState(state: SandboxState): string {
  return `${JSON.stringify(state, null, 2)}\n`;
}
