import { invalidField } from './hetzner-errors';

/**
 * List pages as the Hetzner API serves them: `page` from 1, `per_page` default 25 and at most 50,
 * `meta.pagination` in the body and a `Link` header with `prev`, `next` and `last`.
 */
export interface PaginationMeta {
  page: number;
  per_page: number;
  previous_page: number | null;
  next_page: number | null;
  last_page: number;
  total_entries: number;
}

export const DEFAULT_PER_PAGE = 25;
export const MAX_PER_PAGE = 50;

function positiveInteger(query: URLSearchParams, name: string, fallback: number): number {
  const raw = query.get(name);
  if (raw === null || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw invalidField(name, 'must be a positive integer');
  return Number(raw);
}

export function paginate<T>(
  items: readonly T[],
  query: URLSearchParams,
): { items: T[]; meta: PaginationMeta } {
  const page = positiveInteger(query, 'page', 1);
  const perPage = Math.min(positiveInteger(query, 'per_page', DEFAULT_PER_PAGE), MAX_PER_PAGE);
  const lastPage = Math.max(1, Math.ceil(items.length / perPage));
  return {
    items: items.slice((page - 1) * perPage, page * perPage),
    meta: {
      page,
      per_page: perPage,
      previous_page: page > 1 ? Math.min(page - 1, lastPage) : null,
      next_page: page < lastPage ? page + 1 : null,
      last_page: lastPage,
      total_entries: items.length,
    },
  };
}

/** `Link: <url?page=1>; rel="prev", <url?page=3>; rel="next", <url?page=5>; rel="last"`, other parameters kept. */
export function linkHeader(baseUrl: string, query: URLSearchParams, meta: PaginationMeta): string {
  const link = (page: number, rel: string): string => {
    const params = new URLSearchParams(query);
    params.set('page', String(page));
    params.set('per_page', String(meta.per_page));
    return `<${baseUrl}?${params.toString()}>; rel="${rel}"`;
  };
  const parts: string[] = [];
  if (meta.previous_page !== null) parts.push(link(meta.previous_page, 'prev'));
  if (meta.next_page !== null) parts.push(link(meta.next_page, 'next'));
  parts.push(link(meta.last_page, 'last'));
  return parts.join(', ');
}

export type SortKey<T> = (item: T) => string | number | null;

/**
 * Applies repeatable `sort=field[:asc|:desc]` parameters (first one wins, later ones break ties);
 * an unknown field is `invalid_input`. Items are ordered by id when no sort is given.
 */
export function sortItems<T>(items: readonly T[], sorts: string[], keys: Record<string, SortKey<T>>): T[] {
  const order = sorts
    .flatMap((s) => s.split(','))
    .map((spec) => {
      const [field = '', direction = 'asc', ...rest] = spec.split(':');
      const key = keys[field];
      if (key === undefined || rest.length > 0 || (direction !== 'asc' && direction !== 'desc')) {
        throw invalidField('sort', `invalid sort '${spec}', allowed: ${Object.keys(keys).join(', ')}`);
      }
      return { key, sign: direction === 'asc' ? 1 : -1 };
    });
  const idKey = keys['id'];
  if (idKey !== undefined) order.push({ key: idKey, sign: 1 });
  return [...items].sort((a, b) => {
    for (const { key, sign } of order) {
      const x = key(a);
      const y = key(b);
      if (x === y) continue;
      if (x === null) return sign;
      if (y === null) return -sign;
      return (x < y ? -1 : 1) * sign;
    }
    return 0;
  });
}
