import { Inject, Injectable, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import Bottleneck from 'bottleneck';
import { TaskCancelledError, CircuitBreakerPolicy, ConsecutiveBreaker, circuitBreaker, handleWhen } from 'cockatiel';
import type { DataSource } from 'typeorm';
import { ConnectorLimits, ConnectorQuota, RetryableError } from '@audiencekit/connector-sdk';
import { destinationKey, LimiterKey, quotaKey, SharedRateLimiter, spacingMs } from '../limits/shared-rate-limiter';
import { DEFAULT_SYNC_ENGINE_OPTIONS, SYNC_ENGINE_OPTIONS, SyncEngineOptions } from '../sync-engine.options';

/** The most a destination is slowed down by `slowDown` hints: 8× its declared interval. */
const MAX_SLOWDOWN = 8;
/** Successful calls after which a slowed-down destination gets half of its speed back. */
const RECOVER_AFTER_CALLS = 50;

/** The deployment-wide limiter of a gate: the destination's key, and the quota it shares, if any. */
export interface SharedLimits {
  limiter: SharedRateLimiter;
  destinationId: string;
  connectorSlug: string;
  quota?: ConnectorQuota;
  /** Spacing margin, ms per vendor second (`SyncEngineOptions.rateLimitSafetyMs`). */
  safetyMs: number;
}

/**
 * Per-destination back-pressure, shared by every run of that destination in this process: a rate
 * limiter (bottleneck: `maxConcurrency` calls in flight, and `maxRequestsPerSecond` as a minimum
 * spacing between call starts) and a circuit breaker (cockatiel) that opens after consecutive
 * retryable failures. A destination's limiter never holds up another destination's.
 *
 * With `shared` (the engine's default where a database is at hand), the spacing is not kept in
 * this process but in Postgres (`SharedRateLimiter`): the destination's rate and the quota it
 * shares with other destinations hold across every worker process, and a vendor's Retry-After
 * blocks the keys for all of them. Concurrency stays per process.
 */
export class DestinationGate {
  readonly limiter: Bottleneck;
  readonly breaker: CircuitBreakerPolicy;
  private slowdown = 1;
  private successes = 0;
  private readonly baseInterval: number;

  constructor(
    private readonly limits: ConnectorLimits,
    breakerThreshold: number,
    halfOpenAfterMs: number,
    private readonly shared?: SharedLimits,
  ) {
    this.baseInterval = limits.maxRequestsPerSecond ? Math.ceil(1000 / limits.maxRequestsPerSecond) : 0;
    this.limiter = new Bottleneck({ maxConcurrent: Math.max(1, limits.maxConcurrency ?? 1), minTime: this.localMinTime() });
    this.breaker = circuitBreaker(
      handleWhen((error) => error instanceof RetryableError || error instanceof TaskCancelledError),
      { halfOpenAfter: halfOpenAfterMs, breaker: new ConsecutiveBreaker(breakerThreshold) },
    );
  }

  /** The vendor asked us to call less often: double the spacing (bounded). */
  slowDown(): void {
    this.successes = 0;
    this.slowdown = Math.min(MAX_SLOWDOWN, this.slowdown * 2);
    this.limiter.updateSettings({ minTime: this.localMinTime() });
  }

  /** A successful call: after a run of them, give back half of the slowdown. */
  succeeded(): void {
    if (this.slowdown === 1 || ++this.successes < RECOVER_AFTER_CALLS) return;
    this.successes = 0;
    this.slowdown = Math.max(1, this.slowdown / 2);
    this.limiter.updateSettings({ minTime: this.localMinTime() });
  }

  /** Whether calls are paced by the deployment-wide limiter (else by this process's bottleneck). */
  get sharedLimits(): boolean {
    return this.shared !== undefined;
  }

  /**
   * Waits for this call's slot in the deployment-wide limiter (no-op without one): the
   * destination's key at its rate (slowed down as `slowDown` says) and the shared quota's key.
   */
  async acquire(): Promise<void> {
    if (this.shared) await this.shared.limiter.acquire(this.sharedKeys());
  }

  /** The vendor answered with a Retry-After: every worker holds this destination's (and its quota's) calls that long. */
  async blockFor(ms: number): Promise<void> {
    if (this.shared)
      await this.shared.limiter.block(
        this.sharedKeys().map((key) => key.key),
        ms,
      );
  }

  private sharedKeys(): LimiterKey[] {
    const shared = this.shared;
    if (!shared) return [];
    const keys: LimiterKey[] = [];
    const rate = this.limits.maxRequestsPerSecond;
    if (rate || this.slowdown > 1) {
      const base = rate ? spacingMs(rate, shared.safetyMs) : 0;
      keys.push({
        key: destinationKey(shared.destinationId),
        intervalMs: Math.max(base * this.slowdown, this.slowdown > 1 ? 50 * this.slowdown : 0),
      });
    }
    if (shared.quota)
      keys.push({
        key: quotaKey(shared.connectorSlug, shared.quota.key),
        intervalMs: spacingMs(shared.quota.maxRequestsPerSecond, shared.safetyMs),
      });
    return keys;
  }

  private localMinTime(): number {
    return this.shared ? 0 : this.interval();
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

  private readonly shared?: SharedRateLimiter;

  private readonly safetyMs: number;

  /**
   * With a data source (as the engine module provides it), calls are paced deployment-wide in
   * Postgres; without one (`new DestinationGates()`, library tests), per process.
   */
  constructor(
    @Optional() @InjectDataSource() dataSource?: DataSource,
    @Optional() @Inject(SYNC_ENGINE_OPTIONS) options?: SyncEngineOptions,
  ) {
    this.shared = dataSource ? new SharedRateLimiter(dataSource) : undefined;
    this.safetyMs = options?.rateLimitSafetyMs ?? DEFAULT_SYNC_ENGINE_OPTIONS.rateLimitSafetyMs;
  }

  /** The gate a destination's runs use now, if one was made (for the run record and tests). */
  find(destinationId: string): DestinationGate | undefined {
    return this.gates.get(destinationId);
  }

  /** The destination's gate; a new one when its limits changed (settings-dependent limits: the settings were edited). */
  get(
    destinationId: string,
    limits: ConnectorLimits,
    breakerThreshold: number,
    halfOpenAfterMs: number,
    shared?: { connectorSlug: string; quota?: ConnectorQuota },
  ): DestinationGate {
    const key = JSON.stringify([
      limits.maxBatchSize,
      limits.maxRequestsPerSecond ?? null,
      limits.maxConcurrency ?? null,
      shared?.quota?.key ?? null,
      shared?.quota?.maxRequestsPerSecond ?? null,
    ]);
    let gate = this.gates.get(destinationId);
    if (!gate || this.limitsKeys.get(destinationId) !== key) {
      const sharedLimits: SharedLimits | undefined =
        this.shared && shared ? { limiter: this.shared, destinationId, safetyMs: this.safetyMs, ...shared } : undefined;
      gate = new DestinationGate(limits, breakerThreshold, halfOpenAfterMs, sharedLimits);
      this.gates.set(destinationId, gate);
      this.limitsKeys.set(destinationId, key);
    }
    return gate;
  }
}
