/** Parsers for `ip` output. */

export interface InterfaceAddress {
  ifname: string;
  local: string;
  prefixLength: number;
}

/** `ip netns list` prints `name` or `name (id: 3)` per line. */
export function parseNetnsList(output: string): string[] {
  return output
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[0] ?? '')
    .filter((name) => name.length > 0);
}

/** `ip netns pids <ns>` prints one pid per line. */
export function parsePids(output: string): number[] {
  return output
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => /^[0-9]+$/.test(line))
    .map(Number);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `ip -j -4 addr show`: every IPv4 address with its interface. */
export function parseIpAddrJson(output: string): InterfaceAddress[] {
  if (output.trim() === '') return [];
  const raw: unknown = JSON.parse(output);
  if (!Array.isArray(raw)) throw new Error('ip -j addr show did not print a JSON array');
  const result: InterfaceAddress[] = [];
  for (const link of raw) {
    if (!isRecord(link) || typeof link['ifname'] !== 'string' || !Array.isArray(link['addr_info'])) continue;
    for (const info of link['addr_info']) {
      if (!isRecord(info)) continue;
      const { family, local, prefixlen } = info;
      if (family === 'inet' && typeof local === 'string' && typeof prefixlen === 'number') {
        result.push({ ifname: link['ifname'], local, prefixLength: prefixlen });
      }
    }
  }
  return result;
}
