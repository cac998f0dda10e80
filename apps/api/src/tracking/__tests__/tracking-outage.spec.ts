import { Analytics } from '@segment/analytics-node';
import { onAdmin, type TestDatabase } from '@audiencekit/testing';
import type { RunningApi } from '../../../test/api-test-app';
import { basicAuth, startTrackingApi, stopTrackingApi } from './tracking-test-kit';

// A database outage, simulated the way a Postgres restart looks to the API's pool: the test's
// database stops accepting connections and every open backend of it is terminated. Restoring
// ALLOW_CONNECTIONS is the database coming back.
describe('tracking API during a database outage', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let writeKey: string;

  beforeAll(async () => {
    ({ db, api, writeKey } = await startTrackingApi());
  });
  afterAll(async () => {
    await restore();
    await stopTrackingApi({ db, api });
  });

  async function takeDown(): Promise<void> {
    await onAdmin(async (admin) => {
      await admin.query(`ALTER DATABASE ${db.name} ALLOW_CONNECTIONS false`);
      await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, [db.name]);
    });
  }
  async function restore(): Promise<void> {
    await onAdmin((admin) => admin.query(`ALTER DATABASE ${db.name} ALLOW_CONNECTIONS true`));
  }
  const countOf = async (messageIds: string[]) =>
    (await db.dataSource.query(`SELECT count(*)::int AS n FROM events WHERE message_id = ANY($1)`, [messageIds]))[0].n as number;

  it('answers 503 with Retry-After while the database is down; the same batch sent again is stored once', async () => {
    const messageIds = ['outage-1', 'outage-2', 'outage-3'];
    const body = JSON.stringify({
      batch: messageIds.map((messageId) => ({ type: 'track', userId: 'u-outage', event: 'Paid', messageId })),
    });
    const send = () =>
      fetch(`${api.baseUrl}/v1/batch`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: basicAuth(writeKey) },
        body,
      });

    await takeDown();
    const down = await send();
    expect(down.status).toBe(503);
    expect(down.headers.get('retry-after')).toBe('5');
    expect(await down.json()).toMatchObject({ statusCode: 503, code: 'database_unavailable' });
    await restore();

    expect(await countOf(messageIds)).toBe(0);
    const retry = await send();
    expect(retry.status).toBe(200);
    expect(await retry.json()).toEqual({ success: true, stored: 3, duplicates: 0, rejected: [] });
    const again = await send();
    expect(await again.json()).toEqual({ success: true, stored: 0, duplicates: 3, rejected: [] });
    expect(await countOf(messageIds)).toBe(3);
  });

  it('lets @segment/analytics-node retry through an outage: delivered once when the database returns', async () => {
    const analytics = new Analytics({ writeKey, host: api.baseUrl, flushAt: 2, flushInterval: 20, maxRetries: 5 });
    const statuses: number[] = [];
    const sentIds = new Set<string>();
    const firstFailure = new Promise<void>((resolve) =>
      analytics.on('http_response', (response) => {
        statuses.push(response.status);
        if (response.status === 503) resolve();
      }),
    );
    analytics.on('http_request', (request) =>
      (JSON.parse(request.body) as { batch: { messageId: string }[] }).batch.forEach((m) => sentIds.add(m.messageId)),
    );

    await takeDown();
    analytics.track({ userId: 'u-retrying', event: 'Checkout Started' });
    analytics.track({ userId: 'u-retrying', event: 'Order Completed', properties: { revenue: 20 } });
    await firstFailure;
    await restore();
    await analytics.closeAndFlush({ timeout: 20_000 });

    expect(statuses[0]).toBe(503);
    expect(statuses.at(-1)).toBe(200);
    expect(sentIds.size).toBe(2);
    expect(await countOf([...sentIds])).toBe(2);
  });
});
