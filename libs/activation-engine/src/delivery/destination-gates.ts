import { Injectable } from '@nestjs/common';
import Bottleneck from 'bottleneck';
import { TaskCancelledError, CircuitBreakerPolicy, ConsecutiveBreaker, circuitBreaker, handleWhen } from 'cockatiel';
import { ConnectorLimits, RetryableError } from '@audiencekit/connector-sdk';

/** The most a destination is slowed down by `slowDown` hints: 8× its declared interval. */
const MAX_SLOWDOWN = 8;
/** Successful calls after which a slowed-down destination gets half of its speed back. */
const RECOVER_AFTER_CALLS = 50;

/**
 * Per-destination back-pressure, shared by every run of that destination in this process: a rate
 * limiter (bottleneck: `maxRequestsPerSecond` as a minimum spacing between call starts, and
 * `maxConcurrency` calls in flight) and a circuit breaker (cockatiel) that opens after
 * consecutive retryable failures. A destination's limiter never holds up another destination's.
 */
export class DestinationGate {
  readonly limiter: Bottleneck;
  readonly breaker: CircuitBreakerPolicy;
  private slowdown = 1;
  private successes = 0;
  private readonly baseInterval: number;

  constructor(limits: ConnectorLimits, breakerThreshold: number, halfOpenAfterMs: number) {
    this.baseInterval = limits.maxRequestsPerSecond ? Math.ceil(1000 / limits.maxRequestsPerSecond) : 0;
    this.limiter = new Bottleneck({ maxConcurrent: Math.max(1, limits.maxConcurrency ?? 1), minTime: this.baseInterval });
    this.breaker = circuitBreaker(
      handleWhen((error) => error instanceof RetryableError || error instanceof TaskCancelledError),
      { halfOpenAfter: halfOpenAfterMs, breaker: new ConsecutiveBreaker(breakerThreshold) },
    );
  }

  /** The vendor asked us to call less often: double the spacing (bounded). */
  slowDown(): void {
    this.successes = 0;
    this.slowdown = Math.min(MAX_SLOWDOWN, this.slowdown * 2);
    this.limiter.updateSettings({ minTime: this.interval() });
  }

  /** A successful call: after a run of them, give back half of the slowdown. */
  succeeded(): void {
    if (this.slowdown === 1 || ++this.successes < RECOVER_AFTER_CALLS) return;
    this.successes = 0;
    this.slowdown = Math.max(1, this.slowdown / 2);
    this.limiter.updateSettings({ minTime: this.interval() });
  }

  /** Current spacing between calls, in ms (for the run record). */
  interval(): number {
    return Math.max(this.baseInterval * this.slowdown, this.slowdown > 1 ? 50 * this.slowdown : 0);
  }
}

@Injectable()
export class DestinationGates {
  private readonly gates = new Map<string, DestinationGate>();

  private readonly limitsKeys = new Map<string, string>();

  /** The gate a destination's runs use now, if one was made (for the run record and tests). */
  find(destinationId: string): DestinationGate | undefined {
    return this.gates.get(destinationId);
  }

  /** The destination's gate; a new one when its limits changed (settings-dependent limits: the settings were edited). */
  get(destinationId: string, limits: ConnectorLimits, breakerThreshold: number, halfOpenAfterMs: number): DestinationGate {
    const key = JSON.stringify([limits.maxBatchSize, limits.maxRequestsPerSecond ?? null, limits.maxConcurrency ?? null]);
    let gate = this.gates.get(destinationId);
    if (!gate || this.limitsKeys.get(destinationId) !== key) {
      gate = new DestinationGate(limits, breakerThreshold, halfOpenAfterMs);
      this.gates.set(destinationId, gate);
      this.limitsKeys.set(destinationId, key);
    }
    return gate;
  }
}
