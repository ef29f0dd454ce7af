/**
 * IPv4 arithmetic for sandbox hosts: the configured subnet is cut into /30 blocks, one per host.
 * In block k, `.1` (offset 1) is the host end of the veth pair and `.2` (offset 2) the namespace end.
 */

export interface Ipv4Subnet {
  /** Network address as an unsigned 32-bit number. */
  base: number;
  prefixLength: number;
}

export interface HostBlock {
  index: number;
  /** Network address of the /30, e.g. `10.213.0.4`. */
  network: string;
  /** Address of the host end of the veth pair (`.1` of the block). */
  hostAddress: string;
  /** Address of the namespace end (`.2` of the block): the machine's address. */
  address: string;
  prefixLength: 30;
}

/** A range of addresses already used by something else on the host, as [first, last] inclusive. */
export interface TakenRange {
  first: number;
  last: number;
}

const BLOCK_SIZE = 4;

export function ipv4ToNumber(text: string): number {
  const parts = text.split('.');
  if (parts.length !== 4) throw new Error(`Not an IPv4 address: "${text}"`);
  let value = 0;
  for (const part of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) throw new Error(`Not an IPv4 address: "${text}"`);
    const octet = Number(part);
    if (octet > 255) throw new Error(`Not an IPv4 address: "${text}"`);
    value = value * 256 + octet;
  }
  return value;
}

export function numberToIpv4(value: number): string {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new Error(`Not an IPv4 number: ${value}`);
  }
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

/** Parses `a.b.c.d/n`; the address must be the network address and the subnet must hold at least one /30. */
export function parseSubnet(cidr: string): Ipv4Subnet {
  const match = /^([0-9.]+)\/([0-9]{1,2})$/.exec(cidr.trim());
  if (!match || match[1] === undefined || match[2] === undefined) {
    throw new Error(`Not an IPv4 subnet in CIDR notation: "${cidr}"`);
  }
  const base = ipv4ToNumber(match[1]);
  const prefixLength = Number(match[2]);
  if (prefixLength > 30) throw new Error(`Subnet ${cidr} is smaller than one /30 block`);
  if (prefixLength < 8) throw new Error(`Subnet ${cidr} is larger than a /8; use a private range`);
  if (base % 2 ** (32 - prefixLength) !== 0) {
    throw new Error(`Subnet ${cidr} is not aligned: its host bits are not zero`);
  }
  return { base, prefixLength };
}

export function formatSubnet(subnet: Ipv4Subnet): string {
  return `${numberToIpv4(subnet.base)}/${subnet.prefixLength}`;
}

export function blockCount(subnet: Ipv4Subnet): number {
  return 2 ** (32 - subnet.prefixLength) / BLOCK_SIZE;
}

export function blockAt(subnet: Ipv4Subnet, index: number): HostBlock {
  if (!Number.isInteger(index) || index < 0 || index >= blockCount(subnet)) {
    throw new Error(`Block ${index} is outside subnet ${formatSubnet(subnet)}`);
  }
  const network = subnet.base + index * BLOCK_SIZE;
  return {
    index,
    network: numberToIpv4(network),
    hostAddress: numberToIpv4(network + 1),
    address: numberToIpv4(network + 2),
    prefixLength: 30,
  };
}

/** The block whose namespace end is `address`; throws if the address is not a namespace end in the subnet. */
export function blockOfAddress(subnet: Ipv4Subnet, address: string): HostBlock {
  const value = ipv4ToNumber(address);
  const offset = value - subnet.base;
  if (offset < 0 || offset >= 2 ** (32 - subnet.prefixLength)) {
    throw new Error(`Address ${address} is outside subnet ${formatSubnet(subnet)}`);
  }
  if (offset % BLOCK_SIZE !== 2) {
    throw new Error(`Address ${address} is not the namespace end (.2) of a /30 block`);
  }
  return blockAt(subnet, (offset - 2) / BLOCK_SIZE);
}

/** The addresses covered by an interface address `local/prefixLength` (its whole network). */
export function rangeOfInterfaceAddress(local: string, prefixLength: number): TakenRange {
  const value = ipv4ToNumber(local);
  const size = 2 ** (32 - Math.min(Math.max(prefixLength, 0), 32));
  const first = value - (value % size);
  return { first, last: first + size - 1 };
}

/**
 * Lowest free block: not in `usedIndexes` (blocks recorded in the state file) and not overlapping
 * any `taken` range (addresses already configured on the host, e.g. by another state dir).
 * Returns undefined when the subnet is full.
 */
export function allocateBlock(
  subnet: Ipv4Subnet,
  usedIndexes: ReadonlySet<number>,
  taken: readonly TakenRange[] = [],
): HostBlock | undefined {
  const count = blockCount(subnet);
  for (let index = 0; index < count; index++) {
    if (usedIndexes.has(index)) continue;
    const first = subnet.base + index * BLOCK_SIZE;
    const last = first + BLOCK_SIZE - 1;
    if (taken.some((range) => range.first <= last && range.last >= first)) continue;
    return blockAt(subnet, index);
  }
  return undefined;
}
