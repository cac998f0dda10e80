import { randomUUID } from 'node:crypto';
import { ApiKeyService, JobQueue, QUEUES } from '@audiencekit/server-core';
import { createTestDatabase, sampleValue, TestDatabase } from '@audiencekit/testing';
import { RunningApi, startTestApi } from '../../test/api-test-app';
import { basicAuth, createWriteKey } from '../tracking/__tests__/tracking-test-kit';

/** The API's /metrics: behind the viewer role; ingestion counters, request durations and queue gauges move. */
describe('API /metrics', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let viewer: string;
  let writeKey: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startTestApi(db.url);
    viewer = (await api.app.get(ApiKeyService).create('prometheus', 'viewer')).secret;
    writeKey = await createWriteKey(api);
  });
  afterAll(async () => {
    await api.close();
    await db.drop();
  });

  const scrape = async (key: string | null = viewer) => {
    const response = await fetch(`${api.baseUrl}/metrics`, { headers: key ? { authorization: `Bearer ${key}` } : {} });
    return { status: response.status, type: response.headers.get('content-type'), text: await response.text() };
  };
  const post = (path: string, body: unknown) =>
    fetch(`${api.baseUrl}${path}`, {
      method: 'POST',
      headers: { authorization: basicAuth(writeKey), 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('refuses a scrape without a key, and a write key', async () => {
    expect((await scrape(null)).status).toBe(401);
    expect((await scrape(writeKey)).status).toBe(403);
  });

  it('counts accepted and rejected messages and times each tracking route', async () => {
    const before = (await scrape()).text;
    expect(sampleValue(before, 'audiencekit_ingest_events_total', { route: 'batch', outcome: 'accepted' }) ?? 0).toBe(0);

    const batch = await post('/v1/batch', {
      batch: [
        { type: 'track', event: 'Order Completed', userId: 'u1', messageId: 'm-1' },
        { type: 'identify', userId: 'u1', traits: { email: 'u1@example.com' }, messageId: 'm-2' },
        { type: 'track', userId: 'u2', event: 'Viewed', messageId: 'm-3' },
        { type: 'track', userId: 'u3', messageId: 'm-4' }, // no event name: rejected
      ],
    });
    expect(batch.status).toBe(200);
    expect((await post('/v1/track', { userId: 'u4', event: 'Signed Up', messageId: 'm-5' })).status).toBe(200);
    expect((await post('/v1/identify', { traits: { email: 'nobody' } })).status).toBe(400);

    const { status, type, text } = await scrape();
    expect(status).toBe(200);
    expect(type).toMatch(/^text\/plain;.*version=0\.0\.4/);
    expect(sampleValue(text, 'audiencekit_ingest_events_total', { route: 'batch', outcome: 'accepted' })).toBe(3);
    expect(sampleValue(text, 'audiencekit_ingest_events_total', { route: 'batch', outcome: 'rejected' })).toBe(1);
    expect(sampleValue(text, 'audiencekit_ingest_events_total', { route: 'track', outcome: 'accepted' })).toBe(1);
    expect(sampleValue(text, 'audiencekit_ingest_events_total', { route: 'identify', outcome: 'rejected' })).toBe(1);
    expect(sampleValue(text, 'audiencekit_tracking_request_duration_seconds_count', { route: '/v1/batch', status: '200' })).toBe(1);
    expect(sampleValue(text, 'audiencekit_tracking_request_duration_seconds_count', { route: '/v1/identify', status: '400' })).toBe(1);
    expect(sampleValue(text, 'audiencekit_tracking_request_duration_seconds_sum', { route: '/v1/batch' })).toBeGreaterThan(0);
    // Admin routes are not tracking routes: the scrapes themselves were not timed.
    expect(text).not.toMatch(/audiencekit_tracking_request_duration_seconds_count\{[^}]*route="\/metrics"/);
  });

  it('reads queue depth and the oldest waiting job from pg-boss at scrape time', async () => {
    const queueLabels = { queue: QUEUES.segmentRefresh };
    expect(sampleValue((await scrape()).text, 'audiencekit_queue_depth', queueLabels)).toBe(0);
    // The API only produces: a job it sends waits until a worker takes it.
    await api.app.get(JobQueue).send(QUEUES.segmentRefresh, { runId: randomUUID() });
    await api.app.get(JobQueue).send(QUEUES.segmentRefresh, { runId: randomUUID() });
    await db.dataSource.query(`UPDATE pgboss.job SET created_on = now() - interval '90 seconds' WHERE name = $1`, [QUEUES.segmentRefresh]);
    const text = (await scrape()).text;
    expect(sampleValue(text, 'audiencekit_queue_depth', queueLabels)).toBe(2);
    expect(sampleValue(text, 'audiencekit_queue_oldest_job_age_seconds', queueLabels)).toBeGreaterThanOrEqual(90);
    expect(sampleValue(text, 'audiencekit_queue_active_jobs', queueLabels)).toBe(0);
  });
});
