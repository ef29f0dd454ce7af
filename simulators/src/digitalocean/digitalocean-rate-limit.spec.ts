import { RateLimiter, WindowLimiter } from './digitalocean-rate-limit';

describe('DigitalOcean rate limits', () => {
  let now = 1_700_000_000_000;
  const clock = (): number => now;

  it('each request counts for an hour: remaining climbs back one request at a time, reset is when the oldest expires', () => {
    const limiter = new RateLimiter({ perHour: 3, perMinute: 100, now: clock });
    const start = now;
    const first = limiter.hit('t');
    expect(first).toEqual({
      allowed: true,
      limit: 3,
      remaining: 2,
      reset: Math.ceil((now + 3_600_000) / 1000),
    });
    now += 10 * 60_000;
    limiter.hit('t');
    now += 10 * 60_000;
    const third = limiter.hit('t');
    expect(third.remaining).toBe(0);
    expect(third.reset).toBe(first.reset);
    const refused = limiter.hit('t');
    expect(refused.allowed).toBe(false);
    expect(refused.retryAfter).toBeUndefined();
    // The first request ages out 60 min after it was made, not at the top of the hour.
    now += 40 * 60_000 + 1;
    const again = limiter.hit('t');
    expect(again).toMatchObject({ allowed: true, remaining: 0 });
    expect(again.reset).toBe(Math.ceil((start + 10 * 60_000 + 3_600_000) / 1000));
  });

  it('the burst limit answers with retry-after until the oldest request of the minute ages out', () => {
    const limiter = new RateLimiter({ perHour: 5000, perMinute: 2, now: clock });
    limiter.hit('t');
    now += 20_000;
    limiter.hit('t');
    const refused = limiter.hit('t');
    expect(refused).toMatchObject({ allowed: false, remaining: 4998, retryAfter: 40 });
    now += 40_001;
    expect(limiter.hit('t').allowed).toBe(true);
    expect(limiter.hit('other').remaining).toBe(4999);
  });

  it('peek reports without counting', () => {
    const limiter = new RateLimiter({ perHour: 10, perMinute: 10, now: clock });
    expect(limiter.peek('t').remaining).toBe(10);
    expect(limiter.peek('t').remaining).toBe(10);
  });

  it('a fixed window (GET /v2/account/keys: 10 per 60 s) says how long to wait', () => {
    const window = new WindowLimiter(2, 60_000, clock);
    expect(window.hit('t')).toBeUndefined();
    expect(window.hit('t')).toBeUndefined();
    expect(window.hit('t')).toBe(60);
    now += 30_000;
    expect(window.hit('t')).toBe(30);
  });
});
