import { Analytics } from '@segment/analytics-node';
import RudderAnalytics from '@rudderstack/rudder-sdk-node';
import { ApiKeyService } from '@audiencekit/server-core';
import type { TestDatabase } from '@audiencekit/testing';
import type { RunningApi } from '../../../test/api-test-app';
import { profileOf, startTrackingApi, stopTrackingApi } from './tracking-test-kit';

// The real client libraries, unchanged, pointed at the local API: what customers will run.
describe('tracking API with the real Segment and RudderStack clients', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let writeKey: string;

  beforeAll(async () => {
    ({ db, api, writeKey } = await startTrackingApi());
  });
  afterAll(() => stopTrackingApi({ db, api }));

  it('@segment/analytics-node: identify, track and page land on one stitched profile', async () => {
    const analytics = new Analytics({ writeKey, host: api.baseUrl, flushAt: 50, flushInterval: 50, maxRetries: 0 });
    const statuses: number[] = [];
    analytics.on('http_response', (response) => statuses.push(response.status));
    analytics.page({
      anonymousId: 'seg-anon-1',
      name: 'Pricing',
      properties: { path: '/pricing' },
      timestamp: new Date('2024-05-01T09:00:00Z'),
    });
    analytics.identify({
      userId: 'seg-user-1',
      anonymousId: 'seg-anon-1',
      timestamp: new Date('2024-05-01T09:05:00Z'),
      traits: { email: ' Seg.User@Example.com ', phone: '+1 415 555 2671', plan: 'pro' },
    });
    analytics.track({
      userId: 'seg-user-1',
      event: 'Order Completed',
      properties: { revenue: 42.5, order_id: 'o-1' },
      timestamp: new Date('2024-05-01T09:10:00Z'),
    });
    await analytics.closeAndFlush({ timeout: 10_000 });

    expect(statuses).toEqual([200]);
    const profile = await profileOf(db.dataSource, 'user_id', 'seg-user-1');
    expect(profile?.traits).toEqual({ email: ' Seg.User@Example.com ', phone: '+1 415 555 2671', plan: 'pro' });
    expect(profile?.identities).toEqual([
      { type: 'anonymous_id', value: 'seg-anon-1' },
      { type: 'email', value: 'seg.user@example.com' },
      { type: 'phone', value: '+14155552671' },
      { type: 'user_id', value: 'seg-user-1' },
    ]);
    expect(profile?.events.map((event) => [event.type, event.name, event.timestamp.toISOString()])).toEqual([
      ['page', 'Pricing', '2024-05-01T09:00:00.000Z'],
      ['identify', null, '2024-05-01T09:05:00.000Z'],
      ['track', 'Order Completed', '2024-05-01T09:10:00.000Z'],
    ]);
    expect(profile?.events[2].properties).toEqual({ revenue: 42.5, order_id: 'o-1' });
    const [writeKeyRow] = await db.dataSource.query(`SELECT id FROM api_keys WHERE role = 'write'`);
    expect(new Set(profile?.events.map((event) => event.source_id))).toEqual(new Set([writeKeyRow.id]));
  });

  it('@segment/analytics-node: a burst of 300 events arrives as batches, each stored once', async () => {
    const analytics = new Analytics({ writeKey, host: api.baseUrl, flushAt: 100, flushInterval: 50, maxRetries: 0 });
    const sentIds: string[] = [];
    analytics.on('http_request', (request) =>
      sentIds.push(...(JSON.parse(request.body) as { batch: { messageId: string }[] }).batch.map((m) => m.messageId)),
    );
    for (let n = 0; n < 300; n++) analytics.track({ userId: `seg-burst-${n % 30}`, event: 'Product Viewed', properties: { n } });
    await analytics.closeAndFlush({ timeout: 20_000 });

    expect(sentIds).toHaveLength(300);
    const [stored] = await db.dataSource.query(
      `SELECT count(*)::int AS n, count(DISTINCT profile_id)::int AS profiles FROM events WHERE message_id = ANY($1)`,
      [sentIds],
    );
    expect(stored).toEqual({ n: 300, profiles: 30 });
  });

  it('@rudderstack/rudder-sdk-node (gzip bodies): identify and track are stored and stitched', async () => {
    const errors: unknown[] = [];
    const rudder = new RudderAnalytics(writeKey, {
      dataPlaneUrl: api.baseUrl,
      flushAt: 20,
      flushInterval: 50,
      retryCount: 0,
      errorHandler: (error) => errors.push(error),
    });
    rudder.identify({
      userId: 'rs-user-1',
      anonymousId: 'rs-anon-1',
      traits: { email: 'RS@example.com', city: 'Leeds' },
      timestamp: new Date('2024-06-01T08:00:00Z'),
    });
    rudder.track({ anonymousId: 'rs-anon-1', event: 'Cart Viewed', properties: { items: 3 }, timestamp: new Date('2024-06-01T08:01:00Z') });
    rudder.track({
      userId: 'rs-user-1',
      event: 'Order Completed',
      properties: { revenue: 10 },
      timestamp: new Date('2024-06-01T08:02:00Z'),
    });
    await rudder.flush();
    await rudder.flush();

    expect(errors).toEqual([]);
    const profile = await profileOf(db.dataSource, 'email', 'rs@example.com');
    expect(profile?.identities).toEqual([
      { type: 'anonymous_id', value: 'rs-anon-1' },
      { type: 'email', value: 'rs@example.com' },
      { type: 'user_id', value: 'rs-user-1' },
    ]);
    expect(profile?.traits).toMatchObject({ email: 'RS@example.com', city: 'Leeds' });
    expect(profile?.events.map((event) => [event.type, event.name])).toEqual([
      ['identify', null],
      ['track', 'Cart Viewed'],
      ['track', 'Order Completed'],
    ]);
  });

  it('refuses an admin key on the tracking routes (write keys only)', async () => {
    const admin = (await api.app.get(ApiKeyService).create('admin', 'admin')).secret;
    const analytics = new Analytics({ writeKey: admin, host: api.baseUrl, flushAt: 1, maxRetries: 0 });
    const statuses: number[] = [];
    analytics.on('http_response', (response) => statuses.push(response.status));
    analytics.track({ userId: 'admin-as-source', event: 'Nope' });
    await analytics.closeAndFlush({ timeout: 5_000 });
    expect(statuses).toEqual([403]);
    expect(await profileOf(db.dataSource, 'user_id', 'admin-as-source')).toBeUndefined();
  });
});
