/** A column of a table: its heading and how a row shows in it. */
export interface Column<T> {
  header: string;
  value: (row: T) => string;
}

/**
 * Rows as an aligned text table for people: a heading line, then one line per row, columns two
 * spaces apart, the last column not padded. Cells are one line (newlines and tabs become spaces);
 * widths count characters as the terminal shows them (wide CJK and emoji count two, combining marks none).
 */
export function renderTable<T>(columns: readonly Column<T>[], rows: readonly T[]): string {
  const cells = rows.map((row) => columns.map((c) => oneLine(c.value(row))));
  const headers = columns.map((c) => c.header);
  const widths = headers.map((h, i) =>
    Math.max(displayWidth(h), ...cells.map((r) => displayWidth(r[i] ?? ''))),
  );
  const line = (values: readonly string[]): string =>
    values
      .map((v, i) => (i === values.length - 1 ? v : v + ' '.repeat((widths[i] ?? 0) - displayWidth(v))))
      .join('  ')
      .trimEnd();
  return [line(headers), ...cells.map(line)].join('\n');
}

/** Label/value pairs, labels aligned: `Domain   demo.example.net`. Pairs with an undefined value are left out. */
export function renderFields(fields: ReadonlyArray<readonly [string, string | undefined]>): string {
  const shown = fields.filter((f): f is readonly [string, string] => f[1] !== undefined);
  const width = Math.max(0, ...shown.map(([label]) => displayWidth(label)));
  return shown
    .map(([label, value]) => {
      const [first = '', ...rest] = value.split('\n');
      const pad = ' '.repeat(width + 2);
      return [`${label}${' '.repeat(width - displayWidth(label))}  ${first}`, ...rest.map((l) => pad + l)]
        .join('\n')
        .trimEnd();
    })
    .join('\n');
}

function oneLine(value: string): string {
  return value.replace(/[\r\n\t]+/g, ' ');
}

/** The number of terminal columns a string takes (no ANSI escapes expected in cells). */
export function displayWidth(value: string): number {
  let width = 0;
  for (const ch of value) {
    const code = ch.codePointAt(0) ?? 0;
    if (/\p{Mn}|\p{Me}|\p{Cf}/u.test(ch)) continue;
    width += isWide(code) ? 2 : 1;
  }
  return width;
}

/** East Asian wide and fullwidth ranges, and the emoji blocks terminals draw two columns wide. */
function isWide(code: number): boolean {
  return (
    (code >= 0x1100 && code <= 0x115f) ||
    (code >= 0x2e80 && code <= 0xa4cf && code !== 0x303f) ||
    (code >= 0xac00 && code <= 0xd7a3) ||
    (code >= 0xf900 && code <= 0xfaff) ||
    (code >= 0xfe30 && code <= 0xfe4f) ||
    (code >= 0xff00 && code <= 0xff60) ||
    (code >= 0xffe0 && code <= 0xffe6) ||
    (code >= 0x1f300 && code <= 0x1f64f) ||
    (code >= 0x1f900 && code <= 0x1f9ff) ||
    (code >= 0x20000 && code <= 0x3fffd)
  );
}

/** A span for a table cell: `42s`, `5m`, `3h`, `2d`. */
export function shortSpan(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

/** How long ago an ISO time was, for a table cell (`5m`); `-` when there is none. */
export function age(iso: string | undefined, now: number): string {
  const at = iso === undefined ? NaN : Date.parse(iso);
  return Number.isNaN(at) ? '-' : shortSpan(now - at);
}

/** `in 29d` for a time ahead, `3h ago` for one past; `-` when there is none. */
export function relative(iso: string | undefined, now: number): string {
  const at = iso === undefined ? NaN : Date.parse(iso);
  if (Number.isNaN(at)) return '-';
  return at > now ? `in ${shortSpan(at - now)}` : `${shortSpan(now - at)} ago`;
}

/** A duration for people: `850 ms`, `14 s`, `3 min 5 s`. */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  return s % 60 === 0 ? `${m} min` : `${m} min ${s % 60} s`;
}
