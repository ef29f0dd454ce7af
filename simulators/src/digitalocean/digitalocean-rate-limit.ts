/**
 * DigitalOcean's rate limits, per token: 5,000 requests an hour and a burst of 250 a minute. Each
 * request counts for one hour from when it was made, so `ratelimit-reset` is the Unix time at which
 * the oldest counted request expires (not the top of the hour) and `ratelimit-remaining` climbs back
 * one request at a time. A request over the burst limit gets 429 with `retry-after` (seconds until
 * the oldest request of the last minute ages out); over the hourly limit, 429 without it.
 */
export interface RateLimitOptions {
  perHour: number;
  perMinute: number;
  /** Milliseconds since the epoch (tests pass a fake clock). */
  now?: () => number;
}

export interface RateLimitVerdict {
  allowed: boolean;
  /** Header values: `ratelimit-limit`, `ratelimit-remaining`, `ratelimit-reset`, and `retry-after` on a burst refusal. */
  limit: number;
  remaining: number;
  reset: number;
  retryAfter?: number;
}

const HOUR = 3_600_000;
const MINUTE = 60_000;

export class RateLimiter {
  private readonly log = new Map<string, number[]>();
  private readonly now: () => number;

  constructor(private readonly options: RateLimitOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Counts one request of `key` (a token) if it is allowed; refused requests are not counted. */
  hit(key: string): RateLimitVerdict {
    const now = this.now();
    const times = this.prune(key, now);
    const inLastMinute = times.filter((t) => t > now - MINUTE);
    if (times.length >= this.options.perHour) {
      return { allowed: false, ...this.headers(times, now) };
    }
    if (inLastMinute.length >= this.options.perMinute) {
      const oldest = inLastMinute[0] ?? now;
      return {
        allowed: false,
        ...this.headers(times, now),
        retryAfter: Math.max(1, Math.ceil((oldest + MINUTE - now) / 1000)),
      };
    }
    times.push(now);
    return { allowed: true, ...this.headers(times, now) };
  }

  /** The headers for `key` without counting a request (answers to unauthenticated calls). */
  peek(key: string): RateLimitVerdict {
    const now = this.now();
    return { allowed: true, ...this.headers(this.prune(key, now), now) };
  }

  private prune(key: string, now: number): number[] {
    let times = this.log.get(key);
    if (!times) {
      times = [];
      this.log.set(key, times);
    }
    let drop = 0;
    while (drop < times.length && (times[drop] ?? 0) <= now - HOUR) drop++;
    if (drop > 0) times.splice(0, drop);
    return times;
  }

  private headers(times: readonly number[], now: number): Omit<RateLimitVerdict, 'allowed'> {
    const oldest = times[0] ?? now;
    return {
      limit: this.options.perHour,
      remaining: Math.max(0, this.options.perHour - times.length),
      reset: Math.ceil((oldest + HOUR) / 1000),
    };
  }
}

/** A plain fixed-size sliding window (the 10-per-60-s limit of `GET /v2/account/keys`). */
export class WindowLimiter {
  private readonly log = new Map<string, number[]>();

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** undefined when allowed (and counted); otherwise seconds until a slot frees. */
  hit(key: string): number | undefined {
    const now = this.now();
    const times = (this.log.get(key) ?? []).filter((t) => t > now - this.windowMs);
    this.log.set(key, times);
    if (times.length >= this.max)
      return Math.max(1, Math.ceil(((times[0] ?? now) + this.windowMs - now) / 1000));
    times.push(now);
    return undefined;
  }
}
