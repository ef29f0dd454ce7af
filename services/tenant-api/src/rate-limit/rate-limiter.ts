/** A quota of requests per window, as the RateLimit-Policy header announces it. */
export interface RateLimitPolicy {
  /** Requests allowed per window (the bucket's size: a client may spend them at once). */
  quota: number;
  windowSeconds: number;
}

/** What one request may do, and what the RateLimit header fields say about it. */
export interface RateLimitDecision {
  allowed: boolean;
  /** Requests left now. */
  remaining: number;
  /** Seconds until the quota is whole again. */
  resetSeconds: number;
  /** When refused: seconds until one request is allowed again. */
  retryAfterSeconds: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * A token bucket per key (an API token or a token's subject): `quota` requests at once, refilled at
 * quota/window per second, so a client spending evenly never waits and a burst is bounded. Buckets
 * that have refilled completely carry no information and are dropped, so memory follows the number
 * of active clients, not of all clients ever seen. In memory: each tenant-api instance limits on its
 * own (N instances behind a balancer allow up to N times the quota).
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly perMs: number;
  private lastSweep: number;

  constructor(
    readonly policy: RateLimitPolicy,
    private readonly now: () => number = Date.now,
  ) {
    if (!(policy.quota > 0 && policy.windowSeconds > 0))
      throw new Error('rate limit quota and window must be positive');
    this.perMs = policy.quota / (policy.windowSeconds * 1000);
    this.lastSweep = now();
  }

  consume(key: string): RateLimitDecision {
    const now = this.now();
    this.sweep(now);
    const { quota } = this.policy;
    const bucket = this.buckets.get(key);
    const tokens =
      bucket === undefined ? quota : Math.min(quota, bucket.tokens + (now - bucket.at) * this.perMs);
    const allowed = tokens >= 1;
    const left = allowed ? tokens - 1 : tokens;
    this.buckets.set(key, { tokens: left, at: now });
    return {
      allowed,
      remaining: Math.floor(left),
      resetSeconds: Math.ceil((quota - left) / this.perMs / 1000),
      retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil((1 - left) / this.perMs / 1000)),
    };
  }

  /** Number of buckets kept (the clients that spent part of their quota recently). */
  get size(): number {
    return this.buckets.size;
  }

  /** Once per window, drops the buckets that have refilled completely. */
  private sweep(now: number): void {
    if (now - this.lastSweep < this.policy.windowSeconds * 1000) return;
    this.lastSweep = now;
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + (now - bucket.at) * this.perMs >= this.policy.quota) this.buckets.delete(key);
    }
  }
}

/** The header fields of draft-ietf-httpapi-ratelimit-headers (RateLimit-Policy and RateLimit). */
export function rateLimitHeaders(
  policy: RateLimitPolicy,
  decision: RateLimitDecision,
): Record<string, string> {
  return {
    'RateLimit-Policy': `"per-token";q=${policy.quota};w=${policy.windowSeconds}`,
    RateLimit: `"per-token";r=${decision.remaining};t=${decision.resetSeconds}`,
    ...(decision.allowed ? {} : { 'Retry-After': String(decision.retryAfterSeconds) }),
  };
}

/** Refused by the rate limit: a 429 problem saying when to come back. */
export class RateLimitedError extends Error {
  constructor(
    readonly policy: RateLimitPolicy,
    readonly retryAfterSeconds: number,
  ) {
    super(
      `Too many requests: this token may make ${policy.quota} requests per ${policy.windowSeconds} s; ` +
        `retry in ${retryAfterSeconds} s`,
    );
    this.name = 'RateLimitedError';
  }
}
