import { RateLimiter, rateLimitHeaders } from './rate-limiter';

describe('RateLimiter', () => {
  function limiter(quota: number, windowSeconds: number) {
    let now = 1_000_000;
    const l = new RateLimiter({ quota, windowSeconds }, () => now);
    return { l, advance: (ms: number) => (now += ms) };
  }

  it('allows a burst of the whole quota, then refuses with the time until one request is back', () => {
    const { l } = limiter(3, 60);
    expect([l.consume('a'), l.consume('a'), l.consume('a')].map((d) => [d.allowed, d.remaining])).toEqual([
      [true, 2],
      [true, 1],
      [true, 0],
    ]);
    const refused = l.consume('a');
    expect(refused).toMatchObject({ allowed: false, remaining: 0, retryAfterSeconds: 20 });
  });

  it('refills at quota per window and never above the quota', () => {
    const { l, advance } = limiter(3, 60);
    for (let i = 0; i < 3; i += 1) l.consume('a');
    advance(20_000);
    expect(l.consume('a')).toMatchObject({ allowed: true, remaining: 0 });
    advance(10 * 60_000);
    expect(l.consume('a')).toMatchObject({ allowed: true, remaining: 2, resetSeconds: 20 });
  });

  it('keeps one bucket per key', () => {
    const { l } = limiter(1, 60);
    expect(l.consume('a').allowed).toBe(true);
    expect(l.consume('a').allowed).toBe(false);
    expect(l.consume('b').allowed).toBe(true);
  });

  it('forgets the buckets that have refilled, so memory follows the active clients', () => {
    const { l, advance } = limiter(10, 1);
    for (let i = 0; i < 1000; i += 1) l.consume(`client-${i}`);
    expect(l.size).toBe(1000);
    advance(2_000);
    l.consume('late');
    expect(l.size).toBe(1);
  });

  it('announces the policy and the state in the draft RateLimit header fields', () => {
    const { l } = limiter(2, 60);
    l.consume('a');
    l.consume('a');
    expect(rateLimitHeaders(l.policy, l.consume('a'))).toEqual({
      'RateLimit-Policy': '"per-token";q=2;w=60',
      RateLimit: '"per-token";r=0;t=60',
      'Retry-After': '30',
    });
  });
});
