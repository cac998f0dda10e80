import path from 'node:path';
import { FakeVendorServer, startFakeVendor } from '@audiencekit/connector-sdk/testing';
import { EXAMPLE_SEGMENTS } from '@audiencekit/segments-domain';
import {
  createTestDatabase,
  sampleValue,
  SpawnedProcess,
  spawnTs,
  startTcpProxy,
  TcpProxy,
  TestDatabase,
  waitUntil,
  WORKSPACE_ROOT,
} from '@audiencekit/testing';

const MEMBERS = 120;
const CONNECTOR_MODULE = path.join(WORKSPACE_ROOT, 'apps/worker/test/metrics-list-connector.ts');

/**
 * A real worker process: its health port answers /health, /ready and /metrics; after a scheduled
 * refresh and the sync it triggers (against a fake vendor that answers one 429), the series of
 * refresh duration, members synced, vendor 429s and queue depth have moved; when its database
 * becomes unreachable, /ready says 503 while /health stays 200.
 */
describe('worker health and metrics', () => {
  let db: TestDatabase;
  let proxy: TcpProxy;
  let vendor: FakeVendorServer;
  let worker: SpawnedProcess;
  let healthUrl: string;
  const query = async <T = any>(sql: string, params: unknown[] = []): Promise<T[]> => db.dataSource.query(sql, params);

  beforeAll(async () => {
    db = await createTestDatabase();
    proxy = await startTcpProxy(db.url);
    vendor = await startFakeVendor({ routes: { 'POST /lists/members': () => ({ status: 200, body: { ok: true } }) } });
    vendor.fault({
      match: 'POST /lists/members',
      times: 1,
      respond: { status: 429, headers: { 'Retry-After': '0' }, body: { error: 'slow down' } },
    });
  });

  afterAll(async () => {
    if (worker && worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGKILL');
    await vendor?.stop();
    await proxy?.cut().catch(() => undefined);
    await db?.drop();
  });

  it('serves health, readiness and metrics that move with a refresh and a sync', async () => {
    // A daily cadence: exactly one fire time (today's midnight) is due, and no second one can come due
    // while the test runs (an every-minute cadence did, across a minute boundary, and queued a second sync).
    const [segment] = await query(
      `INSERT INTO segments (key, name, owner, refresh_cadence, current_version, created_at, quality_thresholds)
       VALUES ('cart-metrics', 'Cart abandoners', 'crm', '0 0 * * *', 1, now() - interval '2 days', '{"minSize": 0, "maxChurn": 1}') RETURNING id`,
    );
    await query(`INSERT INTO segment_versions (segment_id, version, definition) VALUES ($1, 1, $2)`, [
      segment.id,
      EXAMPLE_SEGMENTS.cartAbandoner.definition,
    ]);
    await query(
      `WITH p AS (INSERT INTO profiles (traits) SELECT jsonb_build_object('n', g) FROM generate_series(1, $1::int) g RETURNING id, (traits->>'n')::int AS n),
            i AS (INSERT INTO identities (type, value, profile_id) SELECT 'email', 'm' || n || '@example.com', id FROM p)
       INSERT INTO events (message_id, profile_id, type, name, timestamp) SELECT 'evt-' || n, id, 'track', 'Product Added', now() - interval '1 day' FROM p`,
      [MEMBERS],
    );
    // A real-time segment over the same profiles: the worker starts it and evaluates each of them.
    const [realtime] = await query(
      `INSERT INTO segments (key, name, owner, refresh_cadence, current_version) VALUES ('added-7d-rt', 'Added this week', 'crm', 'realtime', 1) RETURNING id`,
    );
    await query(`INSERT INTO segment_versions (segment_id, version, definition) VALUES ($1, 1, $2)`, [
      realtime.id,
      { type: 'rules', match: { type: 'event', event: 'Product Added', window: 'last 7 days' } },
    ]);
    const [destination] = await query(
      `INSERT INTO destinations (name, connector, settings) VALUES ('metrics vendor', 'metrics-list', '{}') RETURNING id`,
    );
    await query(
      `INSERT INTO activations (name, segment_id, destination_id, mode, holdout_share, holdout_salt, schedule) VALUES ('metrics', $1, $2, 'mirror', 0, 'metrics-salt', 'after_refresh')`,
      [segment.id, destination.id],
    );

    worker = spawnTs('apps/worker/src/main.ts', {
      DATABASE_URL: proxy.url,
      LOG_LEVEL: 'warn',
      SCHEDULER_TICK_MS: '200',
      WORKER_HEALTH_PORT: '0',
      AK_EXTRA_CONNECTORS: CONNECTOR_MODULE,
      AK_CONNECTOR_BASE_URLS: `metrics-list=${vendor.url}`,
    });
    healthUrl = (await worker.waitFor(/audiencekit-worker up .*health on (http:\/\/\S+)/, 30_000))[1];

    expect(await status(`${healthUrl}/health`)).toBe(200);
    const ready = await fetch(`${healthUrl}/ready`);
    expect(ready.status).toBe(200);
    await expect(ready.json()).resolves.toMatchObject({ ready: true, database: 'up', migrations: 'up-to-date' });
    expect(await status(`${healthUrl}/nowhere`)).toBe(404);

    await waitUntil(
      async () => (await query(`SELECT 1 FROM sync_runs WHERE status IN ('succeeded', 'partial', 'failed')`)).length > 0,
      30_000,
      200,
    );
    const [run] = await query(`SELECT status, counts FROM sync_runs`);
    expect(run).toMatchObject({ status: 'succeeded', counts: expect.objectContaining({ added: MEMBERS }) });

    const metrics = await (await fetch(`${healthUrl}/metrics`)).text();
    const labels = { destination: destination.id, connector: 'metrics-list' };
    expect(
      sampleValue(metrics, 'audiencekit_segment_refresh_duration_seconds_count', { segment: 'cart-metrics', status: 'succeeded' }),
    ).toBeGreaterThanOrEqual(1);
    expect(sampleValue(metrics, 'audiencekit_sync_members_total', { ...labels, action: 'add', outcome: 'delivered' })).toBe(MEMBERS);
    expect(sampleValue(metrics, 'audiencekit_vendor_rate_limited_total', labels)).toBe(1);
    expect(sampleValue(metrics, 'audiencekit_vendor_retryable_errors_total', { ...labels, code: 'HTTP 429' })).toBe(1);
    expect(sampleValue(metrics, 'audiencekit_queue_depth', { queue: 'segment-refresh' })).toBeGreaterThanOrEqual(0);
    expect(sampleValue(metrics, 'audiencekit_queue_oldest_job_age_seconds', { queue: `sync-${destination.id}` })).toBeGreaterThanOrEqual(0);
    expect(sampleValue(metrics, 'process_resident_memory_bytes')).toBeGreaterThan(0);

    // Real time: every profile evaluated and entered, each with a stored due time (its exit in 6 days).
    await waitUntil(
      async () => (await query(`SELECT 1 FROM segment_memberships WHERE segment_id = $1`, [realtime.id])).length === MEMBERS,
      30_000,
      200,
    );
    await waitUntil(
      async () => {
        const text = await (await fetch(`${healthUrl}/metrics`)).text();
        return sampleValue(text, 'audiencekit_realtime_pending', { kind: 'due' }) === MEMBERS;
      },
      10_000,
      200,
    );
    const live = await (await fetch(`${healthUrl}/metrics`)).text();
    expect(sampleValue(live, 'audiencekit_realtime_evaluations_total')).toBeGreaterThanOrEqual(MEMBERS);
    expect(sampleValue(live, 'audiencekit_realtime_membership_changes_total')).toBe(MEMBERS);
    expect(sampleValue(live, 'audiencekit_realtime_evaluation_lag_seconds_count', { cause: 'event' })).toBeGreaterThanOrEqual(MEMBERS);
    expect(
      sampleValue(live, 'audiencekit_realtime_evaluation_lag_quantiles_seconds', { cause: 'event', quantile: '0.99' }),
    ).toBeGreaterThanOrEqual(0);
    expect(sampleValue(live, 'audiencekit_realtime_pending', { kind: 'overdue' })).toBe(0);
  }, 60_000);

  it('is not ready once its database is unreachable, and still alive', async () => {
    await proxy.cut();
    const ready = await fetch(`${healthUrl}/ready`);
    expect(ready.status).toBe(503);
    await expect(ready.json()).resolves.toMatchObject({ ready: false, database: 'down', code: 'not_ready' });
    expect(await status(`${healthUrl}/health`)).toBe(200);
    // The scrape still answers (queue gauges keep their last values) rather than failing.
    expect(await status(`${healthUrl}/metrics`)).toBe(200);
  }, 30_000);
});

async function status(url: string): Promise<number> {
  const response = await fetch(url);
  await response.arrayBuffer();
  return response.status;
}
