import { KeyRateLimiter } from './key-rate-limiter';

describe('KeyRateLimiter', () => {
  it('allows a burst, then refuses with the seconds until the next token, per key', () => {
    let now = 0;
    const limiter = new KeyRateLimiter(60, 3, () => now); // one token a second
    expect([1, 2, 3].map(() => limiter.take('a').allowed)).toEqual([true, true, true]);
    expect(limiter.take('a')).toEqual({ allowed: false, retryAfterSeconds: 1 });
    expect(limiter.take('b').allowed).toBe(true);
    now += 1000;
    expect(limiter.take('a').allowed).toBe(true);
    expect(limiter.take('a').allowed).toBe(false);
  });

  it('refills no higher than the burst, and is off at 0 per minute', () => {
    let now = 0;
    const limiter = new KeyRateLimiter(600, 2, () => now);
    limiter.take('a');
    now += 3_600_000;
    expect([1, 2, 3].map(() => limiter.take('a').allowed)).toEqual([true, true, false]);
    const off = new KeyRateLimiter(0, 1, () => now);
    expect(Array.from({ length: 10 }, () => off.take('a').allowed).every(Boolean)).toBe(true);
  });

  it('answers a Retry-After that grows with a slow refill', () => {
    const limiter = new KeyRateLimiter(2, 1, () => 0); // a token every 30 s
    limiter.take('a');
    expect(limiter.take('a')).toEqual({ allowed: false, retryAfterSeconds: 30 });
  });
});
