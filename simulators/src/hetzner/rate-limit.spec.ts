import { TokenBucket } from './rate-limit';

describe('Hetzner rate limit bucket', () => {
  it('spends one request a call, refuses when empty and refills gradually', () => {
    let now = 1_700_000_000_000;
    const bucket = new TokenBucket({ limit: 3, refillPerSecond: 1 }, () => now);
    expect(bucket.take()).toMatchObject({ allowed: true, limit: 3, remaining: 2 });
    bucket.take();
    expect(bucket.take()).toMatchObject({ allowed: true, remaining: 0, resetAt: 1_700_000_003 });
    expect(bucket.take()).toMatchObject({ allowed: false, remaining: 0 });
    now += 1000;
    expect(bucket.take()).toMatchObject({ allowed: true, remaining: 0 });
    now += 10_000;
    expect(bucket.peek()).toMatchObject({ remaining: 3, resetAt: 1_700_000_011 });
  });

  it('defaults to 3600 an hour, one regained per second', () => {
    const bucket = new TokenBucket();
    expect(bucket.limit).toBe(3600);
    expect(bucket.refillPerSecond).toBe(1);
    expect(TokenBucket.headers(bucket.take())).toEqual({
      'ratelimit-limit': '3600',
      'ratelimit-remaining': '3599',
      'ratelimit-reset': expect.stringMatching(/^\d{10}$/) as unknown as string,
    });
  });
});
