import path from 'node:path';
import PgBoss from 'pg-boss';
import { startFakeVendor, FakeVendorServer, RecordedRequest } from '@audiencekit/connector-sdk/testing';
import { createHoldoutAssigner } from '@audiencekit/experimentation';
import { createTestDatabase, SpawnedProcess, spawnTs, TestDatabase, waitUntil, WORKSPACE_ROOT } from '@audiencekit/testing';

const CONNECTOR_MODULE = path.join(WORKSPACE_ROOT, 'apps/worker/test/fake-list-connector.ts');
const HELD_CALL = 4;

interface Posted {
  action: 'add' | 'remove';
  members: { profileId: string; deliveryKey: string }[];
}

/**
 * Activation on change through a real worker process: membership changes written as the real-time
 * engine writes them (membership + change rows, `cause = 'realtime'`, one transaction) reach a fake
 * vendor through the flusher, the destination's queue and the ordinary sync engine; a worker killed
 * (SIGKILL) in the middle of an on-change run loses nothing, doubles nothing, and sends no control
 * member.
 */
describe('on-change activation in a worker', () => {
  let db: TestDatabase;
  let vendor: FakeVendorServer;
  let holdAt = Number.POSITIVE_INFINITY;
  let markCrashed: () => void = () => undefined;
  const crashed = new Promise<void>((resolve) => (markCrashed = resolve));
  const workers: SpawnedProcess[] = [];
  let segmentId = '';
  let activationId = '';
  const global = createHoldoutAssigner('oc-global', 0.05);
  const control = createHoldoutAssigner('oc-salt', 0.1);
  const heldOut = (id: string) => global.isControl(id) || control.isControl(id);
  const query = async <T = any>(sql: string, params: unknown[] = []): Promise<T[]> => db.dataSource.query(sql, params);

  beforeAll(async () => {
    db = await createTestDatabase();
    vendor = await startFakeVendor({
      routes: {
        'POST /lists/members': async () => {
          // The HELD_CALL-th call of the crash test stays unanswered until its worker was killed.
          if (vendor.requests.length === holdAt) await crashed;
          return { status: 200, body: { ok: true } };
        },
      },
    });
    await query(`UPDATE global_holdout SET share = 0.05, salt = 'oc-global' WHERE id = 1`);
    const [segment] = await query(
      `INSERT INTO segments (key, name, owner, refresh_cadence, current_version) VALUES ('on_change', 'On change', 'test', 'manual', 1) RETURNING id`,
    );
    segmentId = segment.id;
    const [destination] = await query(
      `INSERT INTO destinations (name, connector, settings) VALUES ('on-change vendor', 'on-change-list', '{}') RETURNING id`,
    );
    const [activation] = await query(
      `INSERT INTO activations (name, segment_id, destination_id, mode, holdout_share, holdout_salt, schedule) VALUES ('on change', $1, $2, 'mirror', 0.1, 'oc-salt', 'on_change') RETURNING id`,
      [segmentId, destination.id],
    );
    activationId = activation.id;
  });

  afterAll(async () => {
    markCrashed();
    for (const worker of workers) if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGKILL');
    await vendor?.stop();
    await db?.drop();
  });

  const spawnWorker = () => {
    const worker = spawnTs('apps/worker/src/main.ts', {
      DATABASE_URL: db.url,
      LOG_LEVEL: 'warn',
      SCHEDULER_TICK_MS: '200',
      AK_REALTIME_FLUSH_MS: '100',
      AK_EXTRA_CONNECTORS: CONNECTOR_MODULE,
      AK_CONNECTOR_BASE_URLS: `on-change-list=${vendor.url}`,
    });
    workers.push(worker);
    return worker;
  };

  const newProfiles = async (count: number, tag: string): Promise<string[]> =>
    (
      await query<{ id: string }>(
        `WITH p AS (INSERT INTO profiles (traits) SELECT jsonb_build_object('n', g) FROM generate_series(1, $1::int) g RETURNING id, (traits->>'n')::int AS n),
              e AS (INSERT INTO identities (type, value, profile_id) SELECT 'email', $2 || n || '@example.com', id FROM p)
         SELECT id FROM p ORDER BY n`,
        [count, tag],
      )
    ).map((row) => row.id);

  /** As the real-time engine writes a change: membership and change rows in one transaction. */
  const change = async (kind: 'added' | 'removed', profileIds: string[]) =>
    db.dataSource.transaction(async (tx) => {
      if (kind === 'added')
        await tx.query(
          `INSERT INTO segment_memberships (segment_id, profile_id, entered_at, run_id) SELECT $1, unnest($2::uuid[]), now(), NULL`,
          [segmentId, profileIds],
        );
      else
        await tx.query(`DELETE FROM segment_memberships WHERE segment_id = $1 AND profile_id = ANY($2::uuid[])`, [segmentId, profileIds]);
      await tx.query(
        `INSERT INTO segment_membership_changes (run_id, segment_id, profile_id, change, version, changed_at, cause)
         SELECT NULL, $1, unnest($2::uuid[]), $3, 1, now(), 'realtime'`,
        [segmentId, profileIds, kind],
      );
      await tx.query(`SELECT pg_notify('audiencekit_segment_changes', $1)`, [segmentId]);
    });

  const posted = (request: RecordedRequest) => request.body as Posted;
  const settled = async () =>
    (await query(`SELECT count(*)::int AS n FROM activation_pending_changes`))[0].n === 0 &&
    (
      await query(
        `SELECT count(*)::int AS n FROM sync_runs WHERE activation_id = $1 AND status NOT IN ('succeeded', 'partial', 'failed')`,
        [activationId],
      )
    )[0].n === 0;

  it('delivers an entry to the vendor in the run of the next flush', async () => {
    const first = spawnWorker();
    await first.waitFor(/audiencekit-worker up/, 30_000);
    const [treated] = (await newProfiles(40, 'first')).filter((id) => !heldOut(id));
    await change('added', [treated]);
    await waitUntil(async () => vendor.requests.length > 0 && (await settled()), 30_000, 20);

    expect(vendor.requests.map((request) => posted(request).members.map((member) => member.profileId))).toEqual([[treated]]);
    const runs = await query(`SELECT id, trigger, status, counts, plan FROM sync_runs WHERE activation_id = $1`, [activationId]);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ trigger: 'on_change', status: 'succeeded', counts: expect.objectContaining({ added: 1 }) });
    expect(runs[0].plan.onChange).toMatchObject({ changes: 1, entered: 1 });
    // What the benchmark reads: the change's enqueue time (its commit) and the batch's record time (the call).
    const [batch] = await query(`SELECT created_at FROM sync_batches WHERE sync_run_id = $1`, [runs[0].id]);
    expect(new Date(batch.created_at).getTime()).toBeGreaterThanOrEqual(new Date(runs[0].plan.onChange.oldestChangeAt).getTime());
  }, 60_000);

  it('a worker killed mid-batch: nothing lost, nothing doubled, no control member sent', async () => {
    const [first] = workers;
    const before = vendor.requests.length;
    holdAt = before + HELD_CALL;
    const entering = await newProfiles(1200, 'crash');
    // Bursts of changes, as real time writes them (one transaction each).
    for (let start = 0; start < 1000; start += 250) await change('added', entering.slice(start, start + 250));
    await waitUntil(async () => vendor.requests.length >= holdAt, 30_000, 20);
    first.child.kill('SIGKILL');
    expect((await first.exited()).signal).toBe('SIGKILL');
    const [inFlight] = await query<{ idempotency_key: string; sync_run_id: string }>(
      `SELECT idempotency_key, sync_run_id FROM sync_batches WHERE status = 'in_flight'`,
    );
    expect(inFlight).toBeDefined();
    markCrashed();

    // While no worker runs: more entries, and exits of members delivered before the crash.
    const delivered = vendor.requests.slice(before, holdAt - 1).flatMap((request) => posted(request).members.map((m) => m.profileId));
    const exiting = delivered.slice(0, 30);
    await change('removed', exiting);
    await change('added', entering.slice(1000));

    // pg-boss hands the job out again once its expiry has passed: age it, run pg-boss's maintenance.
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
    await query(`UPDATE pgboss.job SET started_on = started_on - expire_in - interval '1 minute' WHERE data->>'runId' = $1`, [
      inFlight.sync_run_id,
    ]);
    const boss = new PgBoss({ connectionString: db.url, supervise: false, schedule: false, migrate: false });
    await boss.start();
    try {
      await boss.maintain();
    } finally {
      await boss.stop({ graceful: false, wait: true });
    }

    const second = spawnWorker();
    await second.waitFor(/audiencekit-worker up/, 30_000);
    await waitUntil(settled, 90_000, 50);

    const requests = vendor.requests.slice(before);
    const everyone = requests.flatMap((request) => posted(request).members.map((member) => member.profileId));
    expect(everyone.filter(heldOut)).toEqual([]);
    // Only the batch in flight at the crash was sent again, under its own idempotency key.
    const timesByKey = new Map<string, number>();
    for (const request of requests) {
      const key = String(request.headers['idempotency-key']);
      timesByKey.set(key, (timesByKey.get(key) ?? 0) + 1);
    }
    expect([...timesByKey].filter(([, times]) => times > 1)).toEqual([[inFlight.idempotency_key, 2]]);
    // Applied once per idempotency key (as a vendor honouring it would), from the first request on:
    // each add lands on a member not on the list, each remove on one that is, and the list ends as
    // exactly the treated members of the segment (the entries and exits made while no worker ran too).
    const list = new Set<string>();
    const seen = new Set<string>();
    const doubled: string[] = [];
    for (const request of vendor.requests) {
      const key = String(request.headers['idempotency-key']);
      if (seen.has(key)) continue;
      seen.add(key);
      const { action, members } = posted(request);
      for (const { profileId } of members) {
        if ((action === 'add') === list.has(profileId)) doubled.push(`${action} ${profileId}`);
        if (action === 'add') list.add(profileId);
        else list.delete(profileId);
      }
    }
    expect(doubled).toEqual([]);
    const members = await query<{ profile_id: string }>(`SELECT profile_id FROM segment_memberships WHERE segment_id = $1`, [segmentId]);
    const treated = members.map((row) => row.profile_id).filter((id) => !heldOut(id));
    expect(treated.length).toBeGreaterThan(900);
    expect([...list].sort()).toEqual(treated.sort());
    expect(exiting.filter((id) => !heldOut(id)).every((id) => !list.has(id))).toBe(true);
    const runs = await query(`SELECT status, counts FROM sync_runs WHERE activation_id = $1 AND trigger = 'on_change'`, [activationId]);
    expect(runs.every((run) => run.status === 'succeeded')).toBe(true);
    expect(runs.reduce((sum, run) => sum + Number(run.counts.replayedBatches ?? 0), 0)).toBe(1);

    second.child.kill('SIGTERM');
    expect((await second.exited()).code).toBe(0);
  }, 180_000);
});
