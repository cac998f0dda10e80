import { EXAMPLE_SEGMENTS } from '@audiencekit/segments-domain';
import { ModelFitJobsService } from '@audiencekit/segments-service';
import { ApiKeyService } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { RunningApi, startTestApi } from '../../test/api-test-app';
import { callApi, startActivationsTestApi } from '../activations/__tests__/activations-test-app';

const PROFILES = 10_000;
const EVENTS = 1_000_000;
const HEAVY_PREVIEWS = 20;
const STATEMENT_TIMEOUT_MS = 2_000;

/**
 * A definition well within the cost budget that still makes Postgres work: `any` of 60 aggregate
 * conditions, each a grouped pass over every Order Completed event (the planner cannot share them).
 */
function heavyDefinition(): unknown {
  const conditions = Array.from({ length: 60 }, (_, index) => ({
    type: 'event',
    event: 'Order Completed',
    window: 'ever',
    aggregate: { function: 'sum', property: 'amount', operator: 'gt', value: 10_000 + index },
  }));
  return { type: 'rules', match: { type: 'any', conditions } };
}

/**
 * Issue #16 item 4: interactive analytics (previews here) run on their own small pool with a
 * statement timeout, so twenty heavy previews at once cannot take the connections that tracking
 * needs. Before, they took the whole pool and POST /v1/track answered 503 after 5 s.
 */
describe('heavy previews do not take ingestion down', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let marketerKey: string;
  let writeKey: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    // One statement each: 10,000 profiles, then 1,000,000 events spread over a year.
    await db.dataSource.query(`INSERT INTO profiles (traits) SELECT jsonb_build_object('n', g) FROM generate_series(1, ${PROFILES}) g`);
    await db.dataSource.query(
      `INSERT INTO events (message_id, profile_id, type, name, timestamp, properties)
       SELECT 'seed-' || g, ids[1 + g % ${PROFILES}], 'track', 'Order Completed', now() - (g % 365) * interval '1 day', jsonb_build_object('amount', g % 500)
       FROM generate_series(1, ${EVENTS}) g, (SELECT array_agg(id) AS ids FROM profiles) p`,
    );
    await db.dataSource.query(`ANALYZE events`);
    api = await startTestApi(db.url, { DB_POOL_SIZE: '10', ANALYTICS_STATEMENT_TIMEOUT_MS: String(STATEMENT_TIMEOUT_MS) });
    marketerKey = (await api.app.get(ApiKeyService).create('marketer', 'marketer')).secret;
    writeKey = (await api.app.get(ApiKeyService).create('write', 'write')).secret;
  }, 120_000);

  afterAll(async () => {
    await api?.close();
    await db?.drop();
  });

  it('keeps answering POST /v1/track with 200 while 20 heavy previews run; previews end in 200 or a named 4xx/503, never a 500', async () => {
    const previews = Array.from({ length: HEAVY_PREVIEWS }, () =>
      callApi(api.baseUrl, marketerKey, 'POST', '/segments/preview', { definition: heavyDefinition(), sampleSize: 5 }),
    );
    await new Promise((resolve) => setTimeout(resolve, 500)); // the previews hold their connections by now
    const tracks: number[] = [];
    for (let index = 0; index < 6; index += 1) {
      const response = await fetch(`${api.baseUrl}/v1/track`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`, 'content-type': 'application/json' },
        body: JSON.stringify({ userId: `u${index}`, event: 'Signed Up', messageId: `during-previews-${index}` }),
      });
      tracks.push(response.status);
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    expect(tracks).toEqual([200, 200, 200, 200, 200, 200]);
    const answers = await Promise.all(previews);
    const outcomes = answers.map((answer) => (answer.status === 200 ? 200 : `${answer.status} ${answer.body?.code}`));
    for (const outcome of outcomes) expect(['200', '422 analytics_timeout', '503 analytics_busy']).toContain(String(outcome));
    expect(outcomes).toContain('422 analytics_timeout'); // they were heavy: the statement timeout cut them off
    const [{ n }] = await db.dataSource.query(`SELECT count(*)::int AS n FROM events WHERE message_id LIKE 'during-previews-%'`);
    expect(n).toBe(6);
  }, 90_000);
});

/**
 * Issue #16 item 4, the rest of the "other interactive analytics": the lift report's event queries
 * and the feature rows read to fit a cluster / propensity model (create, update, refit) run on the
 * analytics pool too. A table lock held by the test makes each of those reads wait: the waiting
 * query must be on an `audiencekit-analytics` connection (never one of the API's main pool), and
 * the statement timeout must end the request with 422 analytics_timeout while the lock is held.
 * Since #21 the fit itself runs in the worker; what the API reads before queueing it (the features'
 * sources and the row count of the work cap) is what waits here, and a timeout queues nothing.
 */
describe('the lift report and model fits run on the analytics pool', () => {
  const TIMEOUT_MS = 1_000;
  let db: TestDatabase;
  let api: RunningApi;
  let marketer: string;
  let viewer: string;
  let activationId: string;
  let clusterId: string;
  const call = (method: string, path: string, body?: unknown, key = marketer) => callApi(api.baseUrl, key, method, path, body);
  const cluster = (k: number) => ({
    type: 'cluster',
    population: 'all',
    k,
    seed: 0,
    cluster: 0,
    features: [
      { source: 'trait', trait: 'age' },
      { source: 'trait', trait: 'income' },
    ],
  });

  /**
   * Holds an ACCESS EXCLUSIVE lock on `table` while `request` runs; answers the request's outcome and
   * the application_name of every connection that waited on the lock meanwhile (and of any API
   * main-pool connection left idle in an open transaction).
   */
  async function underLock(table: string, request: () => Promise<{ status: number; body: any }>) {
    const runner = db.dataSource.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    const waiting = new Set<string>();
    const state: { answer?: { status: number; body: any } } = {};
    try {
      await runner.query(`LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`);
      const pending = request().then((answer) => (state.answer = answer));
      const until = Date.now() + TIMEOUT_MS * 3;
      while (!state.answer && Date.now() < until) {
        // Waiting on the lock, or an API transaction held open meanwhile (a main-pool connection kept busy).
        const rows: { name: string }[] = await db.dataSource.query(
          `SELECT CASE WHEN wait_event_type = 'Lock' THEN application_name ELSE application_name || ' (open transaction)' END AS name
           FROM pg_stat_activity
           WHERE datname = current_database() AND pid <> pg_backend_pid()
             AND (wait_event_type = 'Lock' OR (application_name = 'audiencekit-api' AND state LIKE 'idle in transaction%'))`,
        );
        for (const row of rows) waiting.add(row.name);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const outcome = state.answer ? `${state.answer.status} ${state.answer.body?.code}` : 'still waiting';
      await runner.rollbackTransaction();
      await pending;
      return { outcome, waiting: [...waiting].sort() };
    } finally {
      if (runner.isTransactionActive) await runner.rollbackTransaction();
      await runner.release();
    }
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    await db.dataSource.query(
      `INSERT INTO profiles (traits) SELECT jsonb_build_object('age', 20 + g % 40, 'income', (g * 37) % 1000) FROM generate_series(1, 60) g`,
    );
    api = await startActivationsTestApi(db.url, { env: { ANALYTICS_STATEMENT_TIMEOUT_MS: String(TIMEOUT_MS) } });
    marketer = (await api.app.get(ApiKeyService).create('marketer', 'marketer')).secret;
    viewer = (await api.app.get(ApiKeyService).create('viewer', 'viewer')).secret;
    const admin = (await api.app.get(ApiKeyService).create('admin', 'admin')).secret;
    const segment = await call('POST', '/segments', {
      key: 'vip',
      name: 'VIP',
      owner: 'crm',
      definition: EXAMPLE_SEGMENTS.vip.definition,
      kpi: { event: 'Order Completed', windowDays: 7 },
    });
    expect(segment.status).toBe(201);
    const destination = await call(
      'POST',
      '/destinations',
      { name: 'list', connector: 'test-list', settings: { listId: 'L' }, secrets: { apiKey: 'sk_test_12345678' } },
      admin,
    );
    const activation = await call('POST', '/activations', {
      name: 'a',
      segmentId: segment.body.id,
      destinationId: destination.body.id,
      mode: 'mirror',
      holdoutShare: 0.2,
    });
    expect(activation.status).toBe(201);
    activationId = activation.body.id;
    // A fit is a worker job (#21): the test runs it as the worker would.
    const clusters = await call('POST', '/segments', { key: 'groups', name: 'Groups', owner: 'crm', definition: cluster(2) });
    expect(clusters.status).toBe(202);
    clusterId = (await api.app.get(ModelFitJobsService).execute(clusters.body.job.id)).segmentId as string;
  }, 60_000);

  afterAll(async () => {
    await api?.close();
    await db?.drop();
  });

  it('GET /activations/:id/lift (a viewer may call it) waits on an analytics connection and ends in 422 analytics_timeout', async () => {
    expect((await call('GET', `/activations/${activationId}/lift`, undefined, viewer)).status).toBe(200);
    const { outcome, waiting } = await underLock('activation_exposures', () =>
      call('GET', `/activations/${activationId}/lift`, undefined, viewer),
    );
    expect(waiting).toEqual(['audiencekit-analytics']);
    expect(outcome).toBe('422 analytics_timeout');
  }, 30_000);

  it('POST /segments with a cluster definition reads its features on an analytics connection; nothing is saved on a timeout', async () => {
    const { outcome, waiting } = await underLock('profiles', () =>
      call('POST', '/segments', { key: 'groups3', name: 'Groups 3', owner: 'crm', definition: cluster(3) }),
    );
    expect(waiting).toEqual(['audiencekit-analytics']);
    expect(outcome).toBe('422 analytics_timeout');
    const [{ n }] = await db.dataSource.query(`SELECT count(*)::int AS n FROM segments WHERE key = 'groups3'`);
    expect(n).toBe(0);
    const [{ jobs }] = await db.dataSource.query(`SELECT count(*)::int AS jobs FROM model_fit_jobs WHERE input->>'key' = 'groups3'`);
    expect(jobs).toBe(0);
  }, 30_000);

  it('PATCH /segments/:id with a new cluster definition fits on an analytics connection', async () => {
    const { outcome, waiting } = await underLock('profiles', () => call('PATCH', `/segments/${clusterId}`, { definition: cluster(3) }));
    expect(waiting).toEqual(['audiencekit-analytics']);
    expect(outcome).toBe('422 analytics_timeout');
  }, 30_000);

  it('POST /segments/:id/refit fits on an analytics connection, holding no main-pool connection meanwhile; then refits normally', async () => {
    const { outcome, waiting } = await underLock('profiles', () => call('POST', `/segments/${clusterId}/refit`));
    expect(waiting).toEqual(['audiencekit-analytics']);
    expect(outcome).toBe('422 analytics_timeout');
    const refit = await call('POST', `/segments/${clusterId}/refit`);
    expect(refit.status).toBe(202);
    const done = await api.app.get(ModelFitJobsService).execute(refit.body.job.id);
    expect(done).toMatchObject({ state: 'succeeded', result: { segment: { version: 2 } } });
  }, 30_000);
});
