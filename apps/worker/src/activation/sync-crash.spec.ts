import path from 'node:path';
import PgBoss from 'pg-boss';
import { startFakeVendor, FakeVendorServer } from '@audiencekit/connector-sdk/testing';
import { createHoldoutAssigner } from '@audiencekit/experimentation';
import { createTestDatabase, SpawnedProcess, spawnTs, TestDatabase, waitUntil, WORKSPACE_ROOT } from '@audiencekit/testing';

const MEMBERS = 3000;
const HELD_CALL = 7;
let markCrashed: () => void = () => undefined;
const crashed = new Promise<void>((resolve) => (markCrashed = resolve));
const CONNECTOR_MODULE = path.join(WORKSPACE_ROOT, 'apps/worker/test/fake-list-connector.ts');

/**
 * A worker killed (SIGKILL) in the middle of a sync: another worker resumes the run from its last
 * acknowledged batch, replaying the batch that was in flight with the same idempotency key. At the
 * fake vendor, every treated member is delivered, each under exactly one idempotency key (the
 * duplicate window: the batches in flight at the crash, re-sent with their key), and no held-out
 * member (global holdout or control group) ever appears.
 */
describe('a worker crashing mid-sync', () => {
  let db: TestDatabase;
  let vendor: FakeVendorServer;
  const workers: SpawnedProcess[] = [];
  const query = async <T = any>(sql: string, params: unknown[] = []): Promise<T[]> => db.dataSource.query(sql, params);

  beforeAll(async () => {
    db = await createTestDatabase();
    // The 7th call is held until the worker has been killed: exactly one batch is in flight at the crash.
    vendor = await startFakeVendor({
      routes: {
        'POST /lists/members': async () => {
          if (vendor.requests.length === HELD_CALL) await crashed;
          return { status: 200, body: { ok: true } };
        },
      },
    });
  });

  afterAll(async () => {
    for (const worker of workers) if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGKILL');
    await vendor?.stop();
    await db?.drop();
  });

  const spawnWorker = () => {
    const worker = spawnTs('apps/worker/src/main.ts', {
      DATABASE_URL: db.url,
      LOG_LEVEL: 'warn',
      SCHEDULER_TICK_MS: '200',
      AK_EXTRA_CONNECTORS: CONNECTOR_MODULE,
      AK_CONNECTOR_BASE_URLS: `crash-list=${vendor.url}`,
    });
    workers.push(worker);
    return worker;
  };

  it('resumes from the last acknowledged batch: every treated member delivered exactly once, no held-out member ever', async () => {
    await query(`UPDATE global_holdout SET share = 0.05, salt = 'crash-global' WHERE id = 1`);
    const [segment] = await query(
      `INSERT INTO segments (key, name, owner, refresh_cadence, current_version) VALUES ('crash', 'Crash', 'test', 'manual', 1) RETURNING id`,
    );
    const [segmentRun] = await query(
      `INSERT INTO segment_runs (segment_id, version, status, trigger, queued_at, started_at, finished_at) VALUES ($1, 1, 'succeeded', 'manual', now(), now(), now()) RETURNING id`,
      [segment.id],
    );
    const profiles = await query<{ id: string }>(
      `WITH p AS (INSERT INTO profiles (traits) SELECT jsonb_build_object('n', g) FROM generate_series(1, $1::int) g RETURNING id, (traits->>'n')::int AS n),
            e AS (INSERT INTO identities (type, value, profile_id) SELECT 'email', 'crash' || n || '@example.com', id FROM p),
            m AS (INSERT INTO segment_memberships (segment_id, profile_id, entered_at, run_id) SELECT $2, id, now(), $3 FROM p)
       SELECT id FROM p`,
      [MEMBERS, segment.id, segmentRun.id],
    );
    const [destination] = await query(
      `INSERT INTO destinations (name, connector, settings) VALUES ('crash vendor', 'crash-list', '{}') RETURNING id`,
    );
    // Synced after each refresh: the worker's tick requests the run itself.
    const [activation] = await query(
      `INSERT INTO activations (name, segment_id, destination_id, mode, holdout_share, holdout_salt, schedule) VALUES ('crash', $1, $2, 'mirror', 0.1, 'crash-salt', 'after_refresh') RETURNING id`,
      [segment.id, destination.id],
    );
    const global = createHoldoutAssigner('crash-global', 0.05);
    const control = createHoldoutAssigner('crash-salt', 0.1);
    const heldOut = new Set(profiles.map((row) => row.id).filter((id) => global.isControl(id) || control.isControl(id)));
    const treated = profiles.map((row) => row.id).filter((id) => !heldOut.has(id));

    const first = spawnWorker();
    await first.waitFor(/audiencekit-worker up/, 30_000);
    await waitUntil(async () => vendor.requests.length >= HELD_CALL, 30_000, 50);
    first.child.kill('SIGKILL');
    expect((await first.exited()).signal).toBe('SIGKILL');
    markCrashed();
    const batches = await query<{ status: string; n: number }>(
      `SELECT status, count(*)::int AS n FROM sync_batches GROUP BY status ORDER BY status`,
    );
    expect(batches).toEqual([
      { status: 'acked', n: HELD_CALL - 1 },
      { status: 'in_flight', n: 1 },
    ]);

    const [run] = await query<{ id: string; status: string }>(`SELECT id, status FROM sync_runs WHERE activation_id = $1`, [activation.id]);
    expect(run.status).toBe('running');
    const [inFlight] = await query<{ idempotency_key: string; profile_ids: string[] }>(
      `SELECT idempotency_key, profile_ids FROM sync_batches WHERE status = 'in_flight'`,
    );
    // Nothing half-written at the crash: the members marked present are exactly those of the acknowledged batches.
    const present = async () =>
      (
        await query<{ profile_id: string }>(`SELECT profile_id FROM activation_members WHERE activation_id = $1 AND state = 'present'`, [
          activation.id,
        ])
      )
        .map((row) => row.profile_id)
        .sort();
    const ackedMembers = (
      await query<{ profile_id: string }>(`SELECT unnest(profile_ids) AS profile_id FROM sync_batches WHERE status = 'acked'`)
    )
      .map((row) => row.profile_id)
      .sort();
    expect(ackedMembers).toHaveLength((HELD_CALL - 1) * 100);
    expect(await present()).toEqual(ackedMembers);

    // pg-boss hands the job out again once its expiry has passed: age it, run pg-boss's maintenance.
    const [job] = await query<{ id: string }>(`SELECT id FROM pgboss.job WHERE name = $1 AND data->>'runId' = $2`, [
      `sync-${destination.id}`,
      run.id,
    ]);
    await waitUntil(
      async () =>
        (
          await query(
            `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'audiencekit-%' AND application_name <> 'audiencekit-test'`,
          )
        )[0].n === 0,
      20_000,
      50,
    );
    await query(`UPDATE pgboss.job SET started_on = started_on - expire_in - interval '1 minute' WHERE id = $1`, [job.id]);
    const boss = new PgBoss({ connectionString: db.url, supervise: false, schedule: false, migrate: false });
    await boss.start();
    try {
      await boss.maintain();
    } finally {
      await boss.stop({ graceful: false, wait: true });
    }

    const second = spawnWorker();
    await second.waitFor(/audiencekit-worker up/, 30_000);
    await waitUntil(
      async () =>
        ['succeeded', 'failed', 'partial'].includes((await query(`SELECT status FROM sync_runs WHERE id = $1`, [run.id]))[0].status),
      60_000,
      50,
    );
    const [finished] = await query(`SELECT status, counts FROM sync_runs WHERE id = $1`, [run.id]);
    expect(finished.status).toBe('succeeded');
    expect(finished.counts).toMatchObject({
      considered: MEMBERS,
      added: treated.length,
      heldOutGlobal: expect.any(Number),
      heldOutActivation: expect.any(Number),
    });
    expect(Number(finished.counts.heldOutGlobal) + Number(finished.counts.heldOutActivation)).toBe(heldOut.size);
    expect(finished.counts.replayedBatches).toBe(1);
    // The batch in flight at the crash was sent twice, both times under its own idempotency key.
    expect(vendor.requests.filter((request) => request.headers['idempotency-key'] === inFlight.idempotency_key)).toHaveLength(2);

    // What the vendor saw: deliveryKey → idempotency keys it arrived under.
    const keysByDelivery = new Map<string, Set<string>>();
    const deliveredProfiles = new Set<string>();
    for (const request of vendor.requestsTo('POST /lists/members')) {
      const key = String(request.headers['idempotency-key']);
      for (const member of (request.body as { members: { profileId: string; deliveryKey: string }[] }).members) {
        expect(heldOut.has(member.profileId)).toBe(false);
        deliveredProfiles.add(member.profileId);
        keysByDelivery.set(member.deliveryKey, (keysByDelivery.get(member.deliveryKey) ?? new Set()).add(key));
      }
    }
    expect([...deliveredProfiles].sort()).toEqual([...treated].sort());
    const underTwoKeys = [...keysByDelivery.values()].filter((keys) => keys.size !== 1);
    expect(underTwoKeys).toEqual([]);
    // Applied once per idempotency key (as a vendor honouring the key would): each member exactly once.
    const applied = new Map<string, number>();
    const seenKeys = new Set<string>();
    for (const request of vendor.requestsTo('POST /lists/members')) {
      const key = String(request.headers['idempotency-key']);
      if (seenKeys.has(key)) continue;
      seenKeys.add(key);
      for (const member of (request.body as { members: { profileId: string }[] }).members)
        applied.set(member.profileId, (applied.get(member.profileId) ?? 0) + 1);
    }
    expect([...applied.values()].every((times) => times === 1)).toBe(true);
    expect(applied.size).toBe(treated.length);
    expect(await present()).toEqual([...treated].sort());
    expect(
      (
        await query(`SELECT count(*)::int AS n FROM activation_members WHERE activation_id = $1 AND profile_id = ANY($2::uuid[])`, [
          activation.id,
          [...heldOut],
        ])
      )[0].n,
    ).toBe(0);
    // Exposures after the resume: every member once, in its arm (held-out members of the page
    // interrupted by the crash are exposed when the resumed run finishes that page).
    const exposures = await query<{ profile_id: string; arm: string }>(
      `SELECT profile_id, arm FROM activation_exposures WHERE activation_id = $1`,
      [activation.id],
    );
    expect(
      exposures
        .filter((row) => row.arm === 'treatment')
        .map((row) => row.profile_id)
        .sort(),
    ).toEqual([...treated].sort());
    expect(
      exposures
        .filter((row) => row.arm !== 'treatment')
        .map((row) => row.profile_id)
        .sort(),
    ).toEqual([...heldOut].sort());

    // The duplicate window (libs/activation-engine README): only the batch in flight at the crash reached
    // the vendor twice, so the members sent twice are exactly that batch's members.
    const requestsByKey = new Map<string, number>();
    const sends = new Map<string, number>();
    for (const request of vendor.requestsTo('POST /lists/members')) {
      const key = String(request.headers['idempotency-key']);
      requestsByKey.set(key, (requestsByKey.get(key) ?? 0) + 1);
      for (const member of (request.body as { members: { profileId: string }[] }).members)
        sends.set(member.profileId, (sends.get(member.profileId) ?? 0) + 1);
    }
    expect([...requestsByKey].filter(([, times]) => times > 1)).toEqual([[inFlight.idempotency_key, 2]]);
    expect(
      [...sends]
        .filter(([, times]) => times > 1)
        .map(([id]) => id)
        .sort(),
    ).toEqual([...inFlight.profile_ids].sort());

    second.child.kill('SIGTERM');
    expect((await second.exited()).code).toBe(0);
  }, 150_000);
});
