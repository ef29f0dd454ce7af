/**
 * DigitalOcean's page links: `?page=` (1-based) and `?per_page=` (default 20, at most 200). A
 * collection body carries `links.pages` with only the sensible members (`first` and `prev` once past
 * page 1, `next` and `last` before the last page) as absolute URLs, and `meta.total`. One page: `links: {}`.
 * Clients follow the URLs as given, so they are built from the simulator's own base URL.
 */
export const DEFAULT_PER_PAGE = 20;
export const MAX_PER_PAGE = 200;

export interface PageLinks {
  pages?: { first?: string; prev?: string; next?: string; last?: string };
}

export interface Page<T> {
  items: T[];
  links: PageLinks;
  meta: { total: number };
}

/** Page and page size from the query, as the API reads them (junk falls back, too big is capped). */
export function pageParams(query: URLSearchParams): { page: number; perPage: number } {
  const page = Number.parseInt(query.get('page') ?? '', 10);
  const perPage = Number.parseInt(query.get('per_page') ?? '', 10);
  return {
    page: Number.isInteger(page) && page >= 1 ? page : 1,
    perPage: Number.isInteger(perPage) && perPage >= 1 ? Math.min(perPage, MAX_PER_PAGE) : DEFAULT_PER_PAGE,
  };
}

/**
 * One page of `all`. `origin` is the simulator's base (`http://127.0.0.1:PORT`), `path` the request
 * path (`/v2/droplets`); the other query parameters (filters) are carried into every link.
 */
export function paginate<T>(
  all: readonly T[],
  query: URLSearchParams,
  origin: string,
  path: string,
): Page<T> {
  const { page, perPage } = pageParams(query);
  const total = all.length;
  const lastPage = Math.max(1, Math.ceil(total / perPage));
  const items = all.slice((page - 1) * perPage, page * perPage);
  const link = (n: number): string => {
    const params = new URLSearchParams();
    params.set('page', String(n));
    params.set('per_page', String(perPage));
    for (const [key, value] of query) {
      if (key !== 'page' && key !== 'per_page') params.append(key, value);
    }
    return `${origin}${path}?${params.toString()}`;
  };
  const pages: NonNullable<PageLinks['pages']> = {};
  if (page > 1) {
    pages.first = link(1);
    pages.prev = link(Math.min(page - 1, lastPage));
  }
  if (page < lastPage) {
    pages.next = link(page + 1);
    pages.last = link(lastPage);
  }
  return { items, links: Object.keys(pages).length > 0 ? { pages } : {}, meta: { total } };
}
