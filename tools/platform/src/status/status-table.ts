import { formatDuration } from '../supervisor/restart-policy';
import type { ComponentStatus } from '../supervisor/supervisor';

const COLUMNS = ['COMPONENT', 'STATE', 'PID', 'RESTARTS', 'UPTIME', 'LAST EXIT', 'LOG'] as const;

/** Pure: the status as an aligned text table, then one line per problem. */
export function renderStatusTable(components: readonly ComponentStatus[]): string {
  const rows = components.map((c) => [
    c.name,
    c.state,
    c.pid === null ? '-' : String(c.pid),
    String(c.restarts),
    c.uptimeMs === null ? '-' : formatDuration(c.uptimeMs),
    c.lastExit === null ? '-' : `${c.lastExit.how} at ${c.lastExit.at.slice(11, 19)}`,
    c.logFile ?? '-',
  ]);
  const widths = COLUMNS.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]?.length ?? 0)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const problems = components.flatMap((c) => (c.problem === null ? [] : [`${c.name}: ${c.problem}`]));
  return [line(COLUMNS), ...rows.map(line), ...(problems.length > 0 ? ['', ...problems] : [])].join('\n');
}
