import { execFileSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';

export interface ProcStat {
  pid: number;
  ppid: number;
  /** utime + stime, in clock ticks. */
  ownTicks: number;
  /** cutime + cstime: children that exited and were waited for, in clock ticks. */
  reapedChildTicks: number;
}

/** Parses /proc/<pid>/stat (the command name may hold spaces and parentheses: fields start after the last `)`). */
export function parseProcStat(text: string): ProcStat {
  const close = text.lastIndexOf(')');
  const pid = Number(text.slice(0, text.indexOf('(')).trim());
  const fields = text.slice(close + 2).split(' ');
  // From the state (field 3 of proc(5)): ppid is field 4, utime..cstime are fields 14..17.
  const at = (field: number): number => Number(fields[field - 3]);
  if (close < 0 || !Number.isInteger(pid) || !Number.isFinite(at(17)))
    throw new Error(`not a /proc/<pid>/stat line: ${text.slice(0, 80)}`);
  return { pid, ppid: at(4), ownTicks: at(14) + at(15), reapedChildTicks: at(16) + at(17) };
}

let ticksPerSecond: number | undefined;

function clockTicksPerSecond(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

async function readStat(pid: number | string): Promise<ProcStat | undefined> {
  try {
    return parseProcStat(await readFile(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined; // gone meanwhile
  }
}

/**
 * CPU time (ms) used so far by each named process and its direct children (PostgreSQL's backends
 * are children of the postmaster), including children that have exited. Linux /proc, 10 ms ticks.
 */
export async function cpuMsByProcess(roots: Record<string, number>): Promise<Record<string, number>> {
  const pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name));
  const stats = (await Promise.all(pids.map((pid) => readStat(pid)))).filter(
    (s): s is ProcStat => s !== undefined,
  );
  const msPerTick = 1000 / clockTicksPerSecond();
  const out: Record<string, number> = {};
  for (const [name, root] of Object.entries(roots)) {
    let ticks = 0;
    for (const s of stats) {
      if (s.pid === root) ticks += s.ownTicks + s.reapedChildTicks;
      else if (s.ppid === root) ticks += s.ownTicks;
    }
    out[name] = ticks * msPerTick;
  }
  return out;
}

/** `after - before` per process. */
export function cpuDelta(
  before: Record<string, number>,
  after: Record<string, number>,
): Record<string, number> {
  return Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - (before[k] ?? 0)]));
}

/** Busy CPU time of the whole machine so far (ms, all cores): user, nice, system, irq, softirq, steal. */
export async function machineBusyMs(): Promise<number> {
  const first = (await readFile('/proc/stat', 'utf8')).split('\n')[0] ?? '';
  const [label, user, nice, system, , , irq, softirq, steal] = first.split(/\s+/);
  if (label !== 'cpu') throw new Error(`unexpected /proc/stat: ${first}`);
  const ticks = [user, nice, system, irq, softirq, steal].reduce((sum, x) => sum + Number(x ?? 0), 0);
  return (ticks * 1000) / clockTicksPerSecond();
}
