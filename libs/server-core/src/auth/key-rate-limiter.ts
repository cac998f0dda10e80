/** What the limiter answers for one request: allowed, or the seconds until a token is back. */
export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/**
 * A token bucket per API key id, in this process's memory: `burst` tokens, refilled at
 * `perMinute` / 60 per second. Per process on purpose (no shared store to depend on): with N API
 * processes behind a balancer a key gets up to N × the limit. `perMinute` 0 turns it off.
 * Buckets of keys idle long enough to be full again are dropped, so memory follows active keys.
 */
export class KeyRateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly refillPerMs: number;
  private lastSweep = 0;

  constructor(
    private readonly perMinute: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {
    this.refillPerMs = perMinute / 60_000;
  }

  take(keyId: string): RateDecision {
    if (this.perMinute <= 0) return { allowed: true };
    const now = this.now();
    this.sweep(now);
    const bucket = this.buckets.get(keyId) ?? { tokens: this.burst, updatedAt: now };
    bucket.tokens = Math.min(this.burst, bucket.tokens + (now - bucket.updatedAt) * this.refillPerMs);
    bucket.updatedAt = now;
    this.buckets.set(keyId, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true };
    }
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / this.refillPerMs / 1000)) };
  }

  private sweep(now: number): void {
    const fullAfterMs = this.burst / this.refillPerMs;
    if (now - this.lastSweep < fullAfterMs) return;
    this.lastSweep = now;
    for (const [keyId, bucket] of this.buckets) if (now - bucket.updatedAt >= fullAfterMs) this.buckets.delete(keyId);
  }
}
