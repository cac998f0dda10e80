import { request } from 'node:http';
import { allDelivered, defineConnector, RetryableError } from '@audiencekit/connector-sdk';
import { z } from 'zod';

/**
 * A send-time connector for `bench/journeys.bench.ts`, given to the bench's journey worker
 * (`journey-worker.ts`; also loadable by apps/worker's `AK_EXTRA_CONNECTORS` hook). One POST per batch to the bench's fake vendor on 127.0.0.1
 * (`AK_CONNECTOR_BASE_URLS=bench-send=http://127.0.0.1:<port>`) carrying each member's profile id
 * and delivery key, so the bench times each message's arrival. A fast vendor on purpose: the bench
 * measures the journey engine, not a vendor's rate limit (Twilio's fake would pace 300k messages at
 * 100 a second).
 */
export const benchSendConnector = defineConnector({
  slug: 'bench-send',
  displayName: 'Bench send (fake vendor on 127.0.0.1)',
  channel: 'sms',
  deliveryModel: 'send',
  settings: z.object({}),
  secrets: z.object({}),
  requiredIdentifiers: ['external_id'],
  limits: { maxBatchSize: 500, maxRequestsPerSecond: 1_000, maxConcurrency: 4 },
  testConnection: async () => undefined,
  send: async (ctx, { members, message }) => {
    const body = JSON.stringify({
      text: message.text,
      members: members.map((member) => ({ profileId: member.profileId, deliveryKey: member.deliveryKey })),
    });
    const status = await post(`${ctx.baseUrl}/messages`, body, ctx.idempotencyKey);
    if (status === 429 || status >= 500) throw new RetryableError(`HTTP ${status}`);
    return allDelivered(members);
  },
});

export const connectors = [benchSendConnector];

/** A bare node:http POST (loopback only: the base URL is the bench's fake). */
function post(url: string, body: string, idempotencyKey: string): Promise<number> {
  if (!/^http:\/\/127\.0\.0\.1:\d+\//.test(url)) return Promise.reject(new Error(`bench-send posts to 127.0.0.1 only, not ${url}`));
  return new Promise((resolve, reject) => {
    const call = request(
      url,
      { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': idempotencyKey } },
      (response) => {
        response.resume();
        response.once('end', () => resolve(response.statusCode ?? 0));
      },
    );
    call.once('error', reject);
    call.end(body);
  });
}
