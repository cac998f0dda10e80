/** DI token of the engine's tuning knobs (tests shrink timeouts and backoffs; production keeps the defaults). */
export const SYNC_ENGINE_OPTIONS = Symbol('SYNC_ENGINE_OPTIONS');

export interface SyncEngineOptions {
  /** Per plugin call: the call's AbortSignal fires and the call counts as a retryable timeout. */
  callTimeoutMs: number;
  /** Attempts of one whole-batch call (first try included) on retryable errors and timeouts. */
  maxAttempts: number;
  /** Attempts per member when the plugin answers `retryable` for it (or no outcome at all). */
  maxMemberAttempts: number;
  /** Exponential backoff with decorrelated jitter between attempts. */
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** A vendor's Retry-After is honoured up to this long; a longer one fails the batch as out of retries. */
  maxRetryAfterMs: number;
  /** Members per page of the diff; default: about two seconds of calls (≥ 10 batches of maxBatchSize). */
  pageSize?: number;
  /** Consecutive retryable failures that open a destination's circuit, and how long it stays open. */
  breakerThreshold: number;
  breakerHalfOpenMs: number;
  /** Samples kept per category in a dry run's plan and in errors. */
  sampleSize: number;
  /**
   * Safety margin of the deployment-wide rate limiter, in ms per vendor second: calls are spaced
   * as if the vendor's window were `1000 + rateLimitSafetyMs` ms (100: 9 % under the limit). It
   * absorbs the varying delay between a call's slot and its arrival at the vendor.
   */
  rateLimitSafetyMs: number;
  /**
   * Match reconciliation: a run whose match rate (vendor audience size / members held) is this
   * much (absolute, 0.1 = 10 points) below the mean of the activation's previous runs is flagged.
   */
  matchRateDropThreshold: number;
  /** Most pending changes one on-change run takes (the rest wait for the next run of the activation). */
  onChangeMaxRunChanges: number;
}

export const DEFAULT_SYNC_ENGINE_OPTIONS: SyncEngineOptions = {
  callTimeoutMs: 30_000,
  maxAttempts: 5,
  maxMemberAttempts: 4,
  initialBackoffMs: 500,
  maxBackoffMs: 30_000,
  maxRetryAfterMs: 120_000,
  breakerThreshold: 20,
  breakerHalfOpenMs: 30_000,
  sampleSize: 20,
  onChangeMaxRunChanges: 5_000,
  rateLimitSafetyMs: 100,
  matchRateDropThreshold: 0.1,
};

export function resolveSyncEngineOptions(options: Partial<SyncEngineOptions> = {}): SyncEngineOptions {
  return { ...DEFAULT_SYNC_ENGINE_OPTIONS, ...options };
}
