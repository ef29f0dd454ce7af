/**
 * Hetzner's rate limit: a bucket of `limit` requests per hour per Project that refills gradually
 * (at 3600/h, one request a second). Every response says `RateLimit-Limit`, `RateLimit-Remaining`
 * and `RateLimit-Reset` (UNIX time at which the bucket is full again).
 */
export interface RateLimitOptions {
  /** Requests per hour (RateLimit-Limit; default 3600). */
  limit?: number;
  /** Requests regained per second (default limit / 3600). */
  refillPerSecond?: number;
}

export interface RateLimitState {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** UNIX seconds when the bucket is full again. */
  resetAt: number;
}

export class TokenBucket {
  readonly limit: number;
  readonly refillPerSecond: number;
  private tokens: number;
  private updatedAt: number;

  constructor(
    options: RateLimitOptions = {},
    private readonly now: () => number = Date.now,
  ) {
    this.limit = options.limit ?? 3600;
    this.refillPerSecond = options.refillPerSecond ?? this.limit / 3600;
    if (!(this.limit >= 1) || !(this.refillPerSecond > 0)) throw new Error('rate limit must be positive');
    this.tokens = this.limit;
    this.updatedAt = this.now();
  }

  /** Spends one request if there is one. */
  take(): RateLimitState {
    this.refill();
    const allowed = this.tokens >= 1;
    if (allowed) this.tokens -= 1;
    return this.state(allowed);
  }

  /** The headers' values without spending anything. */
  peek(): RateLimitState {
    this.refill();
    return this.state(true);
  }

  /** Rendered as the API's headers. */
  static headers(state: RateLimitState): Record<string, string> {
    return {
      'ratelimit-limit': String(state.limit),
      'ratelimit-remaining': String(state.remaining),
      'ratelimit-reset': String(state.resetAt),
    };
  }

  private refill(): void {
    const now = this.now();
    this.tokens = Math.min(this.limit, this.tokens + ((now - this.updatedAt) / 1000) * this.refillPerSecond);
    this.updatedAt = now;
  }

  private state(allowed: boolean): RateLimitState {
    const missing = this.limit - this.tokens;
    return {
      allowed,
      limit: this.limit,
      remaining: Math.floor(this.tokens),
      resetAt: Math.ceil((this.updatedAt + (missing / this.refillPerSecond) * 1000) / 1000),
    };
  }
}
