/**
 * Proxmox task ids (pve-common `PVE::UPID`): `UPID:{node}:{pid:08X}:{pstart:08X}:{starttime:08X}:{type}:{id}:{user}:`,
 * trailing colon included. `pstart` (process start in clock ticks since boot) may take 9 hex digits
 * after 497 days of uptime; `user` is `user@realm` or `user@realm!tokenid`.
 */
export interface Upid {
  node: string;
  pid: number;
  pstart: number;
  /** Seconds since the epoch. */
  starttime: number;
  /** Worker type: `qmclone`, `qmstart`, `qmstop`, `qmshutdown`, `qmreboot`, `qmdestroy`, `qmconfig`, `resize`. */
  type: string;
  /** The VMID the worker acts on (for `qmclone` the source VM), or empty. */
  id: string;
  user: string;
}

const UPID_PATTERN =
  /^UPID:([a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?):([0-9A-Fa-f]{8}):([0-9A-Fa-f]{8,9}):([0-9A-Fa-f]{8}):([^:\s/]+):([^:\s/]*):([^:\s/]+):$/;

function hex(value: number, digits: number): string {
  return value.toString(16).toUpperCase().padStart(digits, '0');
}

export function formatUpid(upid: Upid): string {
  return `UPID:${upid.node}:${hex(upid.pid, 8)}:${hex(upid.pstart, 8)}:${hex(upid.starttime, 8)}:${upid.type}:${upid.id}:${upid.user}:`;
}

/** The parts of a UPID, or undefined when it does not parse (Proxmox: `unable to parse worker upid`). */
export function parseUpid(text: string): Upid | undefined {
  const match = UPID_PATTERN.exec(text);
  if (!match) return undefined;
  const [, node, pid, pstart, starttime, type, id, user] = match;
  if (!node || !pid || !pstart || !starttime || !type || id === undefined || !user) return undefined;
  return {
    node,
    pid: parseInt(pid, 16),
    pstart: parseInt(pstart, 16),
    starttime: parseInt(starttime, 16),
    type,
    id,
    user,
  };
}

/** `OK` and `WARNINGS: n` are success (pve-common `status_is_error`); anything else is the error text. */
export function exitStatusIsError(status: string): boolean {
  return !(status === 'OK' || /^WARNINGS: \d+$/.test(status));
}
