import { ApiKeyService } from '@audiencekit/server-core';
import { createTestDatabase, spawnTs, type SpawnedProcess, TestDatabase } from '@audiencekit/testing';
import { RunningApi, startTestApi } from '../../test/api-test-app';

/** The profiles and work cap of this test: k = 2..20 (19 k) × 50 restarts × 1,200 rows is exactly the cap. */
const PROFILES = 1_200;
const RESTARTS = 50;
const K_RANGE = { kMin: 2, kMax: 20 };
const CAP = RESTARTS * (K_RANGE.kMax - K_RANGE.kMin + 1) * PROFILES;
/** Generous: a request is "answered" if it answers within this, whatever the machine's load. */
const REQUEST_TIMEOUT_MS = 20_000;

/**
 * Issue #21 "Fits in the worker": a k choice over 2..20 with 50 restarts used to run on the API's
 * event loop and froze every route, tracking included, until it finished. Now the API answers 202
 * and a real worker process (apps/worker, spawned here) fits; while the largest fit the cap allows
 * runs, GET /health and POST /v1/track keep answering. The job's progress moves through the k.
 */
describe('model fits run in the worker, never on the API event loop', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let worker: SpawnedProcess | undefined;
  let marketerKey: string;
  let writeKey: string;
  const definition = {
    type: 'cluster',
    population: 'all',
    k: 2,
    cluster: 0,
    seed: 11,
    restarts: RESTARTS,
    features: [
      { source: 'trait', trait: 'age' },
      { source: 'trait', trait: 'income' },
      { source: 'trait', trait: 'visits' },
    ],
  };
  const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> => {
    const response = await fetch(`${api.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${marketerKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  };
  const health = async () => (await fetch(`${api.baseUrl}/health`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) })).status;
  const track = async (index: number) =>
    (
      await fetch(`${api.baseUrl}/v1/track`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`, 'content-type': 'application/json' },
        body: JSON.stringify({ userId: `during-fit-${index}`, event: 'Page Viewed', messageId: `during-fit-${index}` }),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      })
    ).status;

  beforeAll(async () => {
    db = await createTestDatabase();
    // Overlapping groups, so k-means iterates for every k and restart.
    await db.dataSource.query(
      `INSERT INTO profiles (traits, first_seen_at)
       SELECT jsonb_build_object('age', 18 + (g * 7919) % 60, 'income', (g * 104729) % 150000, 'visits', (g * 31) % 97), now() - interval '1 day'
       FROM generate_series(1, ${PROFILES}) g`,
    );
    const env = { AK_FIT_WORK_CAP: String(CAP) };
    api = await startTestApi(db.url, env);
    marketerKey = (await api.app.get(ApiKeyService).create('marketer', 'marketer')).secret;
    writeKey = (await api.app.get(ApiKeyService).create('write', 'write')).secret;
    worker = spawnTs('apps/worker/src/main.ts', { DATABASE_URL: db.url, LOG_LEVEL: 'info', AK_REALTIME: 'false', ...env });
    await worker.waitFor(/audiencekit-worker up/, 60_000);
  }, 120_000);

  afterAll(async () => {
    if (worker && worker.child.exitCode === null) {
      worker.child.kill('SIGTERM');
      await worker.exited();
    }
    await api?.close();
    await db?.drop();
  }, 60_000);

  it('refuses one profile more than the cap allows with a 400 naming kMax and the cap, queueing nothing', async () => {
    await db.dataSource.query(
      `INSERT INTO profiles (id, traits) VALUES ('00000000-0000-4000-8000-0000000000ff', '{"age": 30, "income": 1, "visits": 1}')`,
    );
    const over = await call('POST', '/segments/choose-k', { definition, ...K_RANGE });
    await db.dataSource.query(`DELETE FROM profiles WHERE id = '00000000-0000-4000-8000-0000000000ff'`);
    expect(over).toMatchObject({
      status: 400,
      body: { code: 'fit_work_over_cap', details: [{ path: 'kMax', message: expect.stringContaining(`cap of ${CAP}`) }] },
    });
    const [{ jobs }] = await db.dataSource.query(`SELECT count(*)::int AS jobs FROM model_fit_jobs`);
    expect(jobs).toBe(0);
  });

  it('answers 202 for the largest allowed k choice, and /health and /v1/track keep answering while the worker fits it', async () => {
    const accepted = await call('POST', '/segments/choose-k', { definition, ...K_RANGE });
    expect(accepted.status).toBe(202);
    expect(accepted.body.job).toMatchObject({ kind: 'choose_k', state: 'queued', work: CAP });
    const url: string = accepted.body.job.url;

    const answeredWhileRunning: number[] = [];
    const progressSeen = new Set<number>();
    let state = 'queued';
    let index = 0;
    while (state === 'queued' || state === 'running') {
      const polled = await call('GET', url);
      expect(polled.status).toBe(200);
      state = polled.body.state;
      if (state !== 'running') continue;
      progressSeen.add(polled.body.progress);
      // Requests sent while the job reads as running; each must be answered (any status but a timeout fails the test).
      const statuses = await Promise.all([health(), track(index++), health(), track(index++)]);
      answeredWhileRunning.push(...statuses);
    }
    expect(state).toBe('succeeded');
    expect(answeredWhileRunning.length).toBeGreaterThanOrEqual(4);
    expect(new Set(answeredWhileRunning)).toEqual(new Set([200]));
    // Progress moved while it ran (k by k), and the result is the whole curve.
    expect([...progressSeen].some((fraction) => fraction > 0 && fraction < 1)).toBe(true);
    const done = await call('GET', url);
    expect(done.body).toMatchObject({ state: 'succeeded', progress: 1, result: { profiles: PROFILES } });
    expect(done.body.result.candidates.map((c: { k: number }) => c.k)).toEqual(Array.from({ length: 19 }, (_, i) => i + 2));
    const [{ tracked }] = await db.dataSource.query(`SELECT count(*)::int AS tracked FROM events WHERE message_id LIKE 'during-fit-%'`);
    expect(tracked).toBe(index);
  }, 300_000);
});
