import { HetznerApiError } from './hetzner-errors';
import { linkHeader, paginate, sortItems } from './pagination';

describe('Hetzner pagination', () => {
  const items = Array.from({ length: 60 }, (_, i) => i + 1);
  const query = (text: string): URLSearchParams => new URLSearchParams(text);

  it('defaults to 25 a page and reports the pages', () => {
    const { items: page, meta } = paginate(items, query(''));
    expect(page).toEqual(items.slice(0, 25));
    expect(meta).toEqual({
      page: 1,
      per_page: 25,
      previous_page: null,
      next_page: 2,
      last_page: 3,
      total_entries: 60,
    });
  });

  it('serves a middle and the last page, per_page at most 50', () => {
    expect(paginate(items, query('page=2&per_page=20')).meta).toMatchObject({
      previous_page: 1,
      next_page: 3,
      last_page: 3,
    });
    const last = paginate(items, query('page=2&per_page=100'));
    expect(last.meta).toMatchObject({ per_page: 50, next_page: null, last_page: 2 });
    expect(last.items).toEqual(items.slice(50));
  });

  it('has one (empty) page when there is nothing', () => {
    expect(paginate([], query('')).meta).toMatchObject({ last_page: 1, next_page: null, total_entries: 0 });
  });

  it('refuses a page that is not a positive integer', () => {
    expect(() => paginate(items, query('page=0'))).toThrow(HetznerApiError);
    expect(() => paginate(items, query('per_page=x'))).toThrow(HetznerApiError);
  });

  it('links prev, next and last, keeping the other parameters', () => {
    const { meta } = paginate(items, query('page=2&per_page=20&label_selector=a%3D%3Db'));
    const link = linkHeader('http://h/v1/servers', query('page=2&per_page=20&label_selector=a%3D%3Db'), meta);
    expect(link).toBe(
      [
        '<http://h/v1/servers?page=1&per_page=20&label_selector=a%3D%3Db>; rel="prev"',
        '<http://h/v1/servers?page=3&per_page=20&label_selector=a%3D%3Db>; rel="next"',
        '<http://h/v1/servers?page=3&per_page=20&label_selector=a%3D%3Db>; rel="last"',
      ].join(', '),
    );
  });

  it('sorts by the given fields, then by id', () => {
    const rows = [
      { id: 3, name: 'b' },
      { id: 1, name: 'b' },
      { id: 2, name: 'a' },
    ];
    const keys = { id: (r: (typeof rows)[number]) => r.id, name: (r: (typeof rows)[number]) => r.name };
    expect(sortItems(rows, [], keys).map((r) => r.id)).toEqual([1, 2, 3]);
    expect(sortItems(rows, ['name'], keys).map((r) => r.id)).toEqual([2, 1, 3]);
    expect(sortItems(rows, ['name:desc'], keys).map((r) => r.id)).toEqual([1, 3, 2]);
    expect(sortItems(rows, ['id:desc'], keys).map((r) => r.id)).toEqual([3, 2, 1]);
    expect(() => sortItems(rows, ['colour'], keys)).toThrow(HetznerApiError);
    expect(() => sortItems(rows, ['name:up'], keys)).toThrow(HetznerApiError);
  });
});
