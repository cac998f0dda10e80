/** DI token of the journey engine's knobs (tests shrink them; production keeps the defaults). */
export const JOURNEY_ENGINE_OPTIONS = Symbol('JOURNEY_ENGINE_OPTIONS');

export interface JourneyEngineOptions {
  /** Outbox rows turned into entries per transaction. */
  intakeBatch: number;
  /** Due entries claimed (FOR UPDATE SKIP LOCKED) per transaction; each gets one step. */
  claimBatch: number;
  /** Rounds of claims in one pass (an entry moves one step per round: a branch then a send takes two). */
  maxRoundsPerPass: number;
  /**
   * While a send / audience step is at the vendor its entry is leased: `due_at = now + leaseSeconds`.
   * A worker that dies there leaves the step `in_flight`; once the lease passes another worker
   * replays it with the same delivery key. Must exceed the longest call with its retries.
   */
  leaseSeconds: number;
  /**
   * Test seam for crash tests, never set in production: called with `before_call` after a step was
   * recorded in flight and before its vendor calls, and with `after_call` after they answered and
   * before their outcome is written. A throw there is a worker dying at that moment.
   */
  faultForTests?: (point: 'before_call' | 'after_call', stepId: string) => void | Promise<void>;
}

export const DEFAULT_JOURNEY_ENGINE_OPTIONS: JourneyEngineOptions = {
  intakeBatch: 500,
  claimBatch: 200,
  maxRoundsPerPass: 50,
  leaseSeconds: 600,
};
