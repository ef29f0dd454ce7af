import { paginate, pageParams } from './digitalocean-pagination';

const ORIGIN = 'http://127.0.0.1:4321';
const items = Array.from({ length: 45 }, (_, i) => i + 1);

function page(query: string) {
  return paginate(items, new URLSearchParams(query), ORIGIN, '/v2/droplets');
}

describe('DigitalOcean pagination', () => {
  it('defaults to 20 a page and caps per_page at 200, ignoring junk', () => {
    expect(pageParams(new URLSearchParams(''))).toEqual({ page: 1, perPage: 20 });
    expect(pageParams(new URLSearchParams('per_page=500&page=3'))).toEqual({ page: 3, perPage: 200 });
    expect(pageParams(new URLSearchParams('per_page=abc&page=0'))).toEqual({ page: 1, perPage: 20 });
  });

  it('page 1 links forward only (next, last) as absolute URLs from the simulator base', () => {
    const first = page('per_page=20');
    expect(first.items).toEqual(items.slice(0, 20));
    expect(first.meta).toEqual({ total: 45 });
    expect(first.links).toEqual({
      pages: {
        next: `${ORIGIN}/v2/droplets?page=2&per_page=20`,
        last: `${ORIGIN}/v2/droplets?page=3&per_page=20`,
      },
    });
  });

  it('a middle page has all four links and keeps the filters', () => {
    const middle = page('page=2&per_page=10&tag_name=fedops-machine:abc');
    expect(middle.items).toEqual(items.slice(10, 20));
    const filter = 'tag_name=fedops-machine%3Aabc';
    expect(middle.links.pages).toEqual({
      first: `${ORIGIN}/v2/droplets?page=1&per_page=10&${filter}`,
      prev: `${ORIGIN}/v2/droplets?page=1&per_page=10&${filter}`,
      next: `${ORIGIN}/v2/droplets?page=3&per_page=10&${filter}`,
      last: `${ORIGIN}/v2/droplets?page=5&per_page=10&${filter}`,
    });
    expect(new URL(middle.links.pages?.next ?? '').searchParams.get('tag_name')).toBe('fedops-machine:abc');
  });

  it('the last page links back only (first, prev); one page has no links at all', () => {
    const last = page('page=3');
    expect(last.items).toEqual(items.slice(40));
    expect(Object.keys(last.links.pages ?? {}).sort()).toEqual(['first', 'prev']);
    expect(page('per_page=200').links).toEqual({});
    expect(paginate([], new URLSearchParams(''), ORIGIN, '/v2/droplets')).toEqual({
      items: [],
      links: {},
      meta: { total: 0 },
    });
  });

  it('a page past the end is empty and points back at the last one', () => {
    const beyond = page('page=9&per_page=20');
    expect(beyond.items).toEqual([]);
    expect(beyond.links.pages?.prev).toBe(`${ORIGIN}/v2/droplets?page=3&per_page=20`);
    expect(beyond.links.pages?.next).toBeUndefined();
  });
});
