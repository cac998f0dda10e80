import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { blockedForMs, blockKeys, reserveSlot } from './rate-limit.repository';

/** Re-reservations after blocks that arrived while sleeping, at most (then the call goes: the vendor answers). */
const MAX_ROUNDS = 4;

/** One key of a call and the spacing its calls need, in ms. */
export interface LimiterKey {
  key: string;
  intervalMs: number;
}

/** The limiter key of a destination's own rate. */
export const destinationKey = (destinationId: string): string => `destination:${destinationId}`;
/**
 * The limiter key of a quota several destinations of one connector share (e.g. a Google Cloud
 * project): a SHA-256 of the connector's key, which may come from secrets (an OAuth client id).
 */
export const quotaKey = (connectorSlug: string, key: string): string =>
  `quota:${connectorSlug}:${createHash('sha256').update(key).digest('hex').slice(0, 32)}`;

/**
 * Spacing between call starts that keeps `maxRequestsPerSecond` however the calls are spread over
 * worker processes, with a safety margin: calls are spaced as if the vendor's one-second window
 * were `1000 + safetyMs` long. A call reaches the vendor some time after its slot (the sleep
 * overshoots, the batch is recorded, the request travels); as long as that delay varies by less
 * than `safetyMs` between two calls, no one-second window of the vendor's sees more than the limit.
 * @example spacingMs(10, 100) // 110
 */
export function spacingMs(maxRequestsPerSecond: number, safetyMs: number): number {
  return (1000 + Math.max(0, safetyMs)) / maxRequestsPerSecond;
}

/**
 * The deployment-wide rate limiter (issue #22): every worker process takes its call slots from the
 * same Postgres rows (`rate_limits`), so a destination's limit — and a quota several destinations
 * share — holds for the whole deployment, not per process. A slot is reserved atomically for all
 * keys of a call (the destination's and its shared quota's) by one function call; the caller
 * sleeps until it. A vendor's Retry-After blocks the keys for every worker (`block`).
 */
export class SharedRateLimiter {
  constructor(
    private readonly dataSource: DataSource,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  ) {}

  /**
   * Waits for the next common slot of `keys`; answers the total wait in ms. A caller that slept
   * checks, before it calls, that no other worker was told to back off (a 429's Retry-After) while
   * it slept; if one was, it takes a new slot after the block.
   */
  async acquire(keys: readonly LimiterKey[]): Promise<number> {
    if (keys.length === 0) return 0;
    const sorted = [...keys].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const names = sorted.map((key) => key.key);
    let waited = 0;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const wait = await reserveSlot(
        this.dataSource.manager,
        names,
        sorted.map((key) => key.intervalMs),
      );
      if (wait <= 0) return waited;
      await this.sleep(wait);
      waited += wait;
      if ((await blockedForMs(this.dataSource.manager, names)) <= 0) return waited;
    }
    return waited;
  }

  /** No worker takes a slot of these keys for `ms` (the vendor's Retry-After). */
  async block(keys: readonly string[], ms: number): Promise<void> {
    if (keys.length === 0 || !(ms > 0)) return;
    await blockKeys(this.dataSource.manager, [...keys].sort(), ms);
  }
}
