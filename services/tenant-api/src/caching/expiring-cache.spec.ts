import { ExpiringCache } from './expiring-cache';

describe('ExpiringCache', () => {
  let now = 0;
  const cache = () => new ExpiringCache<string, number>(3, () => now);

  beforeEach(() => {
    now = 1_000;
  });

  it('answers until the entry expires, then forgets it', () => {
    const c = cache();
    c.set('a', 1, 100);
    now += 99;
    expect(c.get('a')).toBe(1);
    now += 1;
    expect(c.get('a')).toBeUndefined();
    expect(c.size).toBe(0);
  });

  it('keeps nothing for a ttl that has already run out', () => {
    const c = cache();
    c.set('a', 1, 0);
    c.set('b', 2, -5);
    expect([c.get('a'), c.get('b'), c.size]).toEqual([undefined, undefined, 0]);
  });

  it('drops the oldest entry when full', () => {
    const c = cache();
    c.set('a', 1, 1_000);
    c.set('b', 2, 1_000);
    c.set('c', 3, 1_000);
    c.set('d', 4, 1_000);
    expect([c.get('a'), c.get('b'), c.get('d'), c.size]).toEqual([undefined, 2, 4, 3]);
  });
});
