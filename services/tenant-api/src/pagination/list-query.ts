import { Brackets, type ObjectLiteral, type SelectQueryBuilder } from 'typeorm';
import { FedopsError, type FieldError } from '@fedops/domain';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

/** Where a page starts: after the row with this sort key (creation time, then id). */
export interface PagePosition {
  createdAt: Date;
  id: string;
}

export interface PageRequest {
  limit: number;
  after?: PagePosition;
}

/** A page of a list and the cursor of the next one (absent on the last page). */
export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

/** A filter a list accepts: the query parameter and the values it allows (any non-empty value if undefined). */
export interface ListFilterSpec {
  name: string;
  values?: readonly string[];
  pattern?: RegExp;
  description: string;
}

/**
 * Parses a list's query string at the edge: `limit`, `cursor` and the list's own filters; any other
 * parameter, a bad value or a cursor that was not ours is a 400 naming the parameter.
 */
export function parseListQuery<F extends string>(
  query: Record<string, unknown>,
  filters: readonly (ListFilterSpec & { name: F })[],
): { page: PageRequest; filters: Partial<Record<F, string>> } {
  const errors: FieldError[] = [];
  const out: Partial<Record<F, string>> = {};
  const known = new Set<string>(['limit', 'cursor', ...filters.map((f) => f.name)]);
  for (const key of Object.keys(query)) {
    if (!known.has(key)) errors.push({ field: key, message: 'is not a known query parameter' });
  }
  let limit = DEFAULT_PAGE_SIZE;
  const rawLimit = query['limit'];
  if (rawLimit !== undefined) {
    const n = typeof rawLimit === 'string' && /^\d{1,4}$/.test(rawLimit) ? Number(rawLimit) : NaN;
    if (!(n >= 1 && n <= MAX_PAGE_SIZE))
      errors.push({ field: 'limit', message: `must be an integer from 1 to ${MAX_PAGE_SIZE}` });
    else limit = n;
  }
  let after: PagePosition | undefined;
  const rawCursor = query['cursor'];
  if (rawCursor !== undefined) {
    after = typeof rawCursor === 'string' ? decodeCursor(rawCursor) : undefined;
    if (after === undefined)
      errors.push({ field: 'cursor', message: 'is not a cursor from a previous page of this list' });
  }
  for (const filter of filters) {
    const raw = query[filter.name];
    if (raw === undefined) continue;
    const ok =
      typeof raw === 'string' &&
      raw.length > 0 &&
      raw.length <= 255 &&
      (filter.values === undefined || filter.values.includes(raw)) &&
      (filter.pattern === undefined || filter.pattern.test(raw));
    if (!ok) {
      errors.push({
        field: filter.name,
        message:
          filter.values !== undefined
            ? `must be one of ${filter.values.join(', ')}`
            : `must be ${filter.description}`,
      });
    } else out[filter.name] = raw;
  }
  if (errors.length > 0) throw FedopsError.validation(errors);
  return { page: after === undefined ? { limit } : { limit, after }, filters: out };
}

/** An opaque cursor: the position of the last row of a page. */
export function encodeCursor(position: PagePosition): string {
  return Buffer.from(JSON.stringify([position.createdAt.toISOString(), position.id])).toString('base64url');
}

export function decodeCursor(cursor: string): PagePosition | undefined {
  if (!/^[A-Za-z0-9_-]{1,400}$/.test(cursor)) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!Array.isArray(value) || value.length !== 2) return undefined;
    const [at, id] = value as unknown[];
    if (typeof at !== 'string' || typeof id !== 'string' || !/^[A-Za-z0-9-]{1,80}$/.test(id))
      return undefined;
    const createdAt = new Date(at);
    if (Number.isNaN(createdAt.getTime()) || createdAt.toISOString() !== at) return undefined;
    return { createdAt, id };
  } catch {
    return undefined;
  }
}

/** Cuts one row more than the page (fetched to know whether another page follows) into a page. */
export function toPage<R extends PagePosition, T>(rows: R[], limit: number, view: (row: R) => T): Page<T> {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return {
    items: items.map(view),
    ...(rows.length > limit && last !== undefined ? { nextCursor: encodeCursor(last) } : {}),
  };
}

/**
 * Fetches one page (plus one row, for toPage to know whether another follows) of `qb` in the order
 * of (`at`, `id`), after the cursor's row: keyset paging, so a page costs the same wherever it is.
 * `at` and `id` are the qualified columns, e.g. `t.created_at` and `t.id`.
 */
export function fetchPage<T extends ObjectLiteral>(
  qb: SelectQueryBuilder<T>,
  page: PageRequest,
  key: { at: string; id: string; order: 'ASC' | 'DESC' },
): Promise<T[]> {
  if (page.after !== undefined) {
    const { createdAt, id } = page.after;
    const beyond = key.order === 'ASC' ? '>' : '<';
    qb.andWhere(
      new Brackets((w) =>
        w
          .where(`${key.at} ${beyond} :pageAt`, { pageAt: createdAt })
          .orWhere(`(${key.at} = :pageAt AND ${key.id} ${beyond} :pageId)`, {
            pageAt: createdAt,
            pageId: id,
          }),
      ),
    );
  }
  return qb
    .orderBy(key.at, key.order)
    .addOrderBy(key.id, key.order)
    .take(page.limit + 1)
    .getMany();
}
