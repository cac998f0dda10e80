import axios from 'axios';
import { z } from 'zod';
import { AnyConnectorDefinition, allDelivered, defineConnector, parseRetryAfter, RetryableError } from '@audiencekit/connector-sdk';
import { FakeVendorServer, startFakeVendor } from '@audiencekit/connector-sdk/testing';
import { mulberry32 } from '@audiencekit/testing';

/**
 * A list vendor that misbehaves at fixed, seeded rates — shared by the fault soak test
 * (apps/worker/src/scale-out/vendor-fault-soak.spec.ts) and `npm run bench -- soak`.
 * Each request draws once from a seeded PRNG: 429 with Retry-After, 5xx, or a hang (answered only
 * after `hangMs`, past the engine's call timeout, and NOT applied), else 200 and applied.
 */
export interface FaultMix {
  throttled: number;
  serverErrors: number;
  hangs: number;
  /** Retry-After header value of a 429, in seconds (fractions allowed). */
  retryAfterSeconds: string;
  hangMs: number;
  seed: number;
}

export const NO_FAULTS: FaultMix = { throttled: 0, serverErrors: 0, hangs: 0, retryAfterSeconds: '1', hangMs: 0, seed: 1 };

export type FaultOutcome = 'ok' | '429' | '5xx' | 'timeout';

export interface VendorCall {
  outcome: FaultOutcome;
  idempotencyKey: string;
  members: { profileId: string; deliveryKey: string }[];
}

export interface FaultyVendor {
  server: FakeVendorServer;
  url: string;
  /** Every call in arrival order with what the vendor did with it. */
  calls: VendorCall[];
  /** Members the vendor applied (answered 2xx), at most once per idempotency key, as an honouring vendor would. */
  applied(): { profileId: string; deliveryKey: string }[];
  counts(): Record<FaultOutcome | 'requests', number>;
  stop(): Promise<void>;
}

export async function startFaultyVendor(mix: FaultMix): Promise<FaultyVendor> {
  const random = mulberry32(mix.seed);
  const calls: VendorCall[] = [];
  const server = await startFakeVendor({
    routes: {
      'POST /lists/members': async (request) => {
        const members = (request.body as { members: VendorCall['members'] }).members;
        const draw = random();
        const outcome: FaultOutcome =
          draw < mix.throttled
            ? '429'
            : draw < mix.throttled + mix.serverErrors
              ? '5xx'
              : draw < mix.throttled + mix.serverErrors + mix.hangs
                ? 'timeout'
                : 'ok';
        calls.push({ outcome, idempotencyKey: String(request.headers['idempotency-key']), members });
        if (outcome === '429') return { status: 429, headers: { 'retry-after': mix.retryAfterSeconds }, body: { error: 'rate limited' } };
        if (outcome === '5xx') return { status: 503, body: { error: 'unavailable' } };
        if (outcome === 'timeout') {
          await new Promise((resolve) => setTimeout(resolve, mix.hangMs));
          return { status: 504, body: { error: 'gave up' } };
        }
        return { status: 200, body: { accepted: members.length } };
      },
    },
  });
  return {
    server,
    url: server.url,
    calls,
    applied: () => {
      const seen = new Set<string>();
      return calls
        .filter((call) => call.outcome === 'ok' && !seen.has(call.idempotencyKey) && seen.add(call.idempotencyKey))
        .flatMap((call) => call.members);
    },
    counts: () => {
      const counts = { requests: calls.length, ok: 0, '429': 0, '5xx': 0, timeout: 0 };
      for (const call of calls) counts[call.outcome] += 1;
      return counts;
    },
    stop: () => server.stop(),
  };
}

/** The connector for it: 429 → retryable with the vendor's Retry-After, 5xx → retryable. */
export function faultyListConnector(limits: {
  maxBatchSize: number;
  maxRequestsPerSecond?: number;
  maxConcurrency?: number;
}): AnyConnectorDefinition {
  return defineConnector({
    slug: 'faulty-list',
    displayName: 'Faulty list (soak)',
    channel: 'email',
    deliveryModel: 'list',
    settings: z.object({}),
    secrets: z.object({}),
    requiredIdentifiers: ['email'],
    limits,
    testConnection: async () => undefined,
    upsert: async (ctx, members) => {
      const response = await axios.post(
        `${ctx.baseUrl}/lists/members`,
        { members: members.map((member) => ({ profileId: member.profileId, deliveryKey: member.deliveryKey })) },
        { headers: { 'idempotency-key': ctx.idempotencyKey }, signal: ctx.signal, validateStatus: () => true },
      );
      if (response.status === 429) throw new RetryableError('HTTP 429', parseRetryAfter(response.headers['retry-after']), 'HTTP 429');
      if (response.status >= 500) throw new RetryableError(`HTTP ${response.status}`);
      return allDelivered(members);
    },
  });
}
