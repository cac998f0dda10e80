import { BrokenCircuitError, ExponentialBackoff, IBackoff, TaskCancelledError, TimeoutStrategy, timeout } from 'cockatiel';
import { ConnectorError, InvalidCredentialsError, PayloadValidationError, RetryableError } from '@audiencekit/connector-sdk';
import { SyncException } from '../sync.exception';
import type { SyncEngineOptions } from '../sync-engine.options';
import type { DestinationGate } from './destination-gates';

export type CallResult =
  { kind: 'answered'; value: unknown; attempts: number } | { kind: 'failed'; reason: string; attempts: number; retryable: boolean };

/**
 * One plugin call under the destination's gate: rate limit (deployment-wide in Postgres, or per
 * process) and concurrency (bottleneck), circuit
 * breaker, a per-call timeout whose AbortSignal is handed to the plugin (cockatiel, aggressive: a
 * plugin that ignores the signal is cut off anyway), and bounded retries with exponential backoff
 * and jitter that honour RetryableError.retryAfterMs. The core decides every retry, never the plugin.
 *
 * - InvalidCredentialsError → throws SyncException('invalid_credentials'): the run fails fast.
 * - An open circuit → throws SyncException('circuit_open').
 * - PayloadValidationError, any other error → a failed batch with the reason, not retried.
 * - RetryableError, timeouts → retried up to `maxAttempts`, then a failed batch ("out of retries").
 */
export async function callWithPolicy(
  gate: DestinationGate,
  options: SyncEngineOptions,
  call: (signal: AbortSignal) => Promise<unknown>,
  sleep: (ms: number) => Promise<void> = delay,
): Promise<CallResult> {
  const deadline = timeout(options.callTimeoutMs, TimeoutStrategy.Aggressive);
  let backoff: IBackoff<unknown> | undefined;
  for (let attempt = 1; ; attempt++) {
    try {
      // The deployment-wide slot is taken inside the breaker (an open circuit spends none) and
      // outside the call's timeout (waiting for a slot is not the vendor being slow).
      const value = await gate.limiter.schedule(() =>
        gate.breaker.execute(async () => {
          await gate.acquire();
          return deadline.execute(({ signal }) => call(signal));
        }),
      );
      gate.succeeded();
      return { kind: 'answered', value, attempts: attempt };
    } catch (error) {
      const verdict = classify(error);
      if (verdict.kind === 'fatal') throw verdict.exception;
      if (verdict.kind === 'final') return { kind: 'failed', reason: verdict.reason, attempts: attempt, retryable: false };
      if (error instanceof RetryableError && error.hints.slowDown) gate.slowDown();
      const hint = error instanceof RetryableError ? error.retryAfterMs : undefined;
      // The vendor's Retry-After holds for every worker, not only this call's retry.
      if (hint !== undefined && hint > 0) await gate.blockFor(Math.min(hint, options.maxRetryAfterMs));
      if (attempt >= options.maxAttempts || (hint !== undefined && hint > options.maxRetryAfterMs)) {
        return {
          kind: 'failed',
          reason: `out of retries after ${attempt} attempt(s): ${verdict.reason}`,
          attempts: attempt,
          retryable: true,
        };
      }
      backoff = (backoff ?? new ExponentialBackoff({ initialDelay: options.initialBackoffMs, maxDelay: options.maxBackoffMs })).next(
        undefined,
      );
      await sleep(Math.max(backoff.duration, hint ?? 0));
    }
  }
}

type Verdict = { kind: 'fatal'; exception: SyncException } | { kind: 'final'; reason: string } | { kind: 'retry'; reason: string };

function classify(error: unknown): Verdict {
  if (error instanceof InvalidCredentialsError) {
    return {
      kind: 'fatal',
      exception: new SyncException('invalid_credentials', `the vendor refused the destination's credentials: ${error.message}`),
    };
  }
  if (error instanceof BrokenCircuitError) {
    return {
      kind: 'fatal',
      exception: new SyncException('circuit_open', 'the destination keeps failing (circuit breaker open): run stopped'),
    };
  }
  if (error instanceof TaskCancelledError) return { kind: 'retry', reason: 'the plugin call timed out' };
  if (error instanceof RetryableError) return { kind: 'retry', reason: describe(error) };
  if (error instanceof PayloadValidationError) return { kind: 'final', reason: `payload refused by the vendor: ${describe(error)}` };
  if (error instanceof ConnectorError) return { kind: 'final', reason: describe(error) };
  if (error instanceof SyncException) return { kind: 'fatal', exception: error };
  const message = error instanceof Error ? `${error.name}: ${error.message}` : `non-error thrown: ${safeString(error)}`;
  return { kind: 'final', reason: `plugin error outside the connector error set (${message})` };
}

function describe(error: ConnectorError): string {
  return error.vendorCode ? `${error.message} (${error.vendorCode})` : error.message;
}

function safeString(value: unknown): string {
  try {
    return JSON.stringify(value)?.slice(0, 200) ?? String(value);
  } catch {
    return String(value);
  }
}

export const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
