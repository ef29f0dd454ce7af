import type { ApiResponse, Page, Query } from './api-client';
import { flagValue, intValue, stringValue, type CommandContext, type OptionSpec } from './command';
import type { Session } from './session';
import { renderTable, type Column } from './table';

/** Prints a result line on stdout. */
export function print(ctx: CommandContext, text: string): void {
  ctx.io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** Prints a notice on stderr (never mixed into what a script reads from stdout). */
export function notice(ctx: CommandContext, text: string): void {
  ctx.io.stderr.write(`${text}\n`);
}

/** `--json`: the body exactly as the server sent it, as one document. */
export function printJson(ctx: CommandContext, response: ApiResponse<unknown>): void {
  print(ctx, response.text === '' ? 'null' : response.text.trim());
}

/** `--json` for what the CLI assembled itself (all pages, one app of the catalog). */
export function printJsonValue(ctx: CommandContext, value: unknown): void {
  print(ctx, JSON.stringify(value));
}

export const LIST_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  limit: {
    type: 'string',
    value: '<n>',
    description: "items per page, 1 to 200 (default: the server's, 50)",
  },
  cursor: {
    type: 'string',
    value: '<cursor>',
    description: 'the page after a previous one (its nextCursor)',
  },
  all: { type: 'boolean', description: 'every page, not just the first' },
};

/**
 * A paged list: one page (and, on stderr, how to get the next) or with `--all` every page. `--json`
 * prints the page as the server sent it, or with `--all` one document `{"items": [...]}`.
 */
export async function printList<T>(
  ctx: CommandContext,
  session: Session,
  path: string,
  query: Query,
  columns: Columns<T>,
  noun: string,
): Promise<void> {
  const limit = intValue(ctx, 'limit', 1, 200);
  const cursor = stringValue(ctx, 'cursor');
  if (flagValue(ctx, 'all')) {
    if (cursor !== undefined) throw ctx.usage('--all and --cursor do not go together');
    const items = await session.api.listAll<T>(path, { ...query, limit: String(limit ?? 200) });
    if (ctx.json) printJsonValue(ctx, { items });
    else printRows(ctx, columns, items, noun);
    return;
  }
  const page = await session.api.get<Page<T>>(path, {
    ...query,
    ...(limit === undefined ? {} : { limit: String(limit) }),
    ...(cursor === undefined ? {} : { cursor }),
  });
  if (ctx.json) printJson(ctx, page);
  else printRows(ctx, columns, page.body.items, noun);
  if (page.body.nextCursor !== undefined) {
    notice(ctx, `more ${noun}: repeat with --cursor ${page.body.nextCursor} (or --all for every page)`);
  }
}

/** Fixed columns, or columns chosen from the items (for resources whose fields vary). */
export type Columns<T> = readonly Column<T>[] | ((items: readonly T[]) => readonly Column<T>[]);

export function printRows<T>(
  ctx: CommandContext,
  columns: Columns<T>,
  items: readonly T[],
  noun: string,
): void {
  if (items.length === 0) {
    print(ctx, `No ${noun}.`);
    return;
  }
  print(ctx, renderTable(typeof columns === 'function' ? columns(items) : columns, items));
}
