import path from 'node:path';
import PgBoss from 'pg-boss';
import { startFakeVendor, FakeVendorServer } from '@audiencekit/connector-sdk/testing';
import { EXAMPLE_SEGMENTS } from '@audiencekit/segments-domain';
import { createTestDatabase, SpawnedProcess, spawnTs, TestDatabase, waitUntil, WORKSPACE_ROOT } from '@audiencekit/testing';

const CONNECTOR_MODULE = path.join(WORKSPACE_ROOT, 'apps/worker/test/fake-list-connector.ts');

/**
 * The after-refresh hook: a real worker whose ticks are 10 minutes apart (so the poll cannot be
 * what finds it) syncs an `after_refresh` activation as soon as its segment's refresh job succeeds,
 * once — the hook and the poll share the trigger key `refresh:<segment run id>`.
 */
describe('after-refresh syncs requested by the refresh job', () => {
  let db: TestDatabase;
  let vendor: FakeVendorServer;
  let worker: SpawnedProcess | undefined;
  const query = async <T = any>(sql: string, params: unknown[] = []): Promise<T[]> => db.dataSource.query(sql, params);

  beforeAll(async () => {
    db = await createTestDatabase();
    vendor = await startFakeVendor({ routes: { 'POST /lists/members': () => ({ status: 200, body: { ok: true } }) } });
  });

  afterAll(async () => {
    if (worker && worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGKILL');
    await vendor?.stop();
    await db?.drop();
  });

  it('requests and runs the sync right after the refresh, without waiting for a tick', async () => {
    worker = spawnTs('apps/worker/src/main.ts', {
      DATABASE_URL: db.url,
      LOG_LEVEL: 'warn',
      SCHEDULER_TICK_MS: '600000',
      AK_EXTRA_CONNECTORS: CONNECTOR_MODULE,
      AK_CONNECTOR_BASE_URLS: `crash-list=${vendor.url}`,
    });
    await worker.waitFor(/audiencekit-worker up/, 30_000);

    // Created after the worker's start-up tick: only the hook can request this sync in time.
    const [segment] = await query(
      `INSERT INTO segments (key, name, owner, refresh_cadence, current_version, quality_thresholds)
       VALUES ('hooked', 'Cart abandoner', 'crm', 'manual', 1, '{"minSize": 0, "maxChurn": 1}') RETURNING id`,
    );
    await query(`INSERT INTO segment_versions (segment_id, version, definition) VALUES ($1, 1, $2)`, [
      segment.id,
      EXAMPLE_SEGMENTS.cartAbandoner.definition,
    ]);
    const [profile] = await query(`INSERT INTO profiles (traits) VALUES ('{}') RETURNING id`);
    await query(`INSERT INTO identities (type, value, profile_id) VALUES ('email', 'hooked@example.com', $1)`, [profile.id]);
    await query(
      `INSERT INTO events (message_id, profile_id, type, name, timestamp) VALUES ('hook-1', $1, 'track', 'Product Added', now() - interval '1 day')`,
      [profile.id],
    );
    const [destination] = await query(
      `INSERT INTO destinations (name, connector, settings) VALUES ('hooked vendor', 'crash-list', '{}') RETURNING id`,
    );
    const [activation] = await query(
      `INSERT INTO activations (name, segment_id, destination_id, mode, holdout_share, holdout_salt, schedule) VALUES ('hooked', $1, $2, 'mirror', 0, 'hook-salt', 'after_refresh') RETURNING id`,
      [segment.id, destination.id],
    );
    const [segmentRun] = await query(
      `INSERT INTO segment_runs (segment_id, version, status, trigger) VALUES ($1, 1, 'queued', 'manual') RETURNING id`,
      [segment.id],
    );
    const boss = new PgBoss({ connectionString: db.url, supervise: false, schedule: false, migrate: false });
    await boss.start();
    try {
      await boss.send('segment-refresh', { runId: segmentRun.id });
    } finally {
      await boss.stop({ graceful: false, wait: true });
    }

    await waitUntil(
      async () =>
        (await query(`SELECT status FROM sync_runs WHERE activation_id = $1 AND status = 'succeeded'`, [activation.id])).length > 0,
      30_000,
    );
    const runs = await query(`SELECT trigger, trigger_key, status, counts FROM sync_runs WHERE activation_id = $1`, [activation.id]);
    expect(runs).toEqual([
      {
        trigger: 'after_refresh',
        trigger_key: `refresh:${segmentRun.id}`,
        status: 'succeeded',
        counts: expect.objectContaining({ added: 1 }),
      },
    ]);
    const [refresh] = await query(`SELECT status FROM segment_runs WHERE id = $1`, [segmentRun.id]);
    expect(refresh.status).toBe('succeeded');
    const delivered = vendor
      .requestsTo('POST /lists/members')
      .flatMap((request) => (request.body as { members: { email: string }[] }).members.map((member) => member.email));
    expect(delivered).toEqual(['hooked@example.com']);

    worker.child.kill('SIGTERM');
    expect((await worker.exited()).code).toBe(0);
  }, 90_000);
});
