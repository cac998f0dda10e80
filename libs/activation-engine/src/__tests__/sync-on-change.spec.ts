import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { pendingChangeCount } from '../on-change/on-change.repository';
import { SyncSchedulerService } from '../sync-scheduler.service';
import {
  buildEngine,
  createProfiles,
  flushNow,
  recordChanges,
  recordingConnector,
  seedActivation,
  seedSegment,
  setGlobalHoldout,
  setSchedule,
} from './sync-fixtures';

/**
 * Activation on change (schedule `on_change`): membership changes, written as the real-time engine
 * writes them, reach the plugin through the ordinary engine path, scoped to the changed profiles.
 */
describe('on-change activations', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
    await setGlobalHoldout(db.dataSource, 0);
  });
  afterAll(async () => {
    await db.drop();
  });

  async function onChangeActivation(slug: string, mode: 'mirror' | 'send', existingMembers = 0) {
    const { segmentId, profileIds: existing } = await seedSegment(db.dataSource, existingMembers);
    const { activationId } = await seedActivation(db.dataSource, {
      segmentId,
      connector: slug,
      mode,
      holdoutShare: 0,
      ...(mode === 'send' ? { message: { text: 'welcome' } } : {}),
    });
    await setSchedule(db.dataSource, activationId, 'on_change');
    return { segmentId, activationId, existing };
  }

  it('mirror: an entry is added and an exit removed, diffing only the changed profiles', async () => {
    const connector = recordingConnector({ slug: 'oc-mirror' });
    const engine = buildEngine(db.dataSource, [connector.definition]);
    const { segmentId, activationId } = await onChangeActivation('oc-mirror', 'mirror', 20);
    const entering = await createProfiles(db.dataSource, 3);

    await recordChanges(db.dataSource, segmentId, 'added', entering);
    const [first, ...others] = await flushNow(engine);
    expect(others).toEqual([]);
    expect(first).toMatchObject({ activationId, trigger: 'on_change', status: 'succeeded' });
    expect(first.counts).toMatchObject({ considered: 3, added: 3 });
    expect(first.plan?.['onChange']).toMatchObject({ changes: 3, entered: 3, exited: 0, profiles: 3 });
    // The 20 members who were there before are not this run's business (a manual sync backfills them).
    expect(connector.received('upsert').sort()).toEqual([...entering].sort());

    await recordChanges(db.dataSource, segmentId, 'removed', [entering[0]]);
    const [second] = await flushNow(engine);
    expect(second.counts).toMatchObject({ removed: 1 });
    expect(connector.received('remove')).toEqual([entering[0]]);
    expect(await flushNow(engine)).toEqual([]);
  });

  it("mirror: the segment's refresh (its reconciliation) brings a full diff that heals what on-change runs did not deliver; send mode is not backfilled", async () => {
    const connector = recordingConnector({ slug: 'oc-heal' });
    const engine = buildEngine(db.dataSource, [connector.definition]);
    const { segmentId, activationId, existing } = await onChangeActivation('oc-heal', 'mirror', 4);
    const sending = await onChangeActivation('oc-heal', 'send', 3);
    const [run] = await db.dataSource.query(
      `INSERT INTO segment_runs (segment_id, version, status, trigger, queued_at, started_at, finished_at)
       VALUES ($1, 1, 'succeeded', 'schedule', now(), now(), now() + interval '1 second') RETURNING id`,
      [segmentId],
    );
    await db.dataSource.query(
      `INSERT INTO segment_runs (segment_id, version, status, trigger, queued_at, started_at, finished_at)
       VALUES ($1, 1, 'succeeded', 'schedule', now(), now(), now() + interval '1 second')`,
      [sending.segmentId],
    );
    // (Earlier tests' mirror activations are due too: their seeded segments have a succeeded run.)
    const requested = await new SyncSchedulerService(db.dataSource, engine.service).enqueueDue();
    const ours: { id: string; activation_id: string; trigger: string; trigger_key: string }[] = await db.dataSource.query(
      `SELECT id, activation_id, trigger, trigger_key FROM sync_runs WHERE id = ANY($1::uuid[]) AND activation_id = ANY($2::uuid[])`,
      [requested, [activationId, sending.activationId]],
    );
    expect(ours.map(({ id: _id, ...rest }) => rest)).toEqual([
      { activation_id: activationId, trigger: 'after_refresh', trigger_key: `refresh:${run.id}` },
    ]);
    await engine.service.execute(ours[0].id);
    expect(await engine.service.getRun(ours[0].id)).toMatchObject({ status: 'succeeded', counts: expect.objectContaining({ added: 4 }) });
    expect(connector.received('upsert').sort()).toEqual([...existing].sort());
  });

  it('send: an entry is messaged once; an exit sends nothing; a re-entry is not messaged again', async () => {
    const connector = recordingConnector({ slug: 'oc-send', deliveryModel: 'send' });
    const engine = buildEngine(db.dataSource, [connector.definition]);
    const { segmentId } = await onChangeActivation('oc-send', 'send');
    const [alice, bob] = await createProfiles(db.dataSource, 2);

    await recordChanges(db.dataSource, segmentId, 'added', [alice]);
    await flushNow(engine);
    await recordChanges(db.dataSource, segmentId, 'removed', [alice]);
    await recordChanges(db.dataSource, segmentId, 'added', [bob]);
    const [exitAndEntry] = await flushNow(engine);
    expect(exitAndEntry.counts).toMatchObject({ sent: 1 });
    await recordChanges(db.dataSource, segmentId, 'added', [alice]);
    await flushNow(engine);
    expect(connector.calls.map((call) => call.method)).toEqual(['send', 'send']);
    expect(connector.received('send')).toEqual([alice, bob]);
  });

  it('changes made by a refresh (the reconciliation) flow too', async () => {
    const connector = recordingConnector({ slug: 'oc-refresh' });
    const engine = buildEngine(db.dataSource, [connector.definition]);
    const { segmentId } = await onChangeActivation('oc-refresh', 'mirror');
    const [run] = await db.dataSource.query(
      `INSERT INTO segment_runs (segment_id, version, status, trigger, queued_at, started_at, finished_at) VALUES ($1, 1, 'succeeded', 'manual', now(), now(), now()) RETURNING id`,
      [segmentId],
    );
    const corrected = await createProfiles(db.dataSource, 2);
    await recordChanges(db.dataSource, segmentId, 'added', corrected, run.id);
    await flushNow(engine);
    expect(connector.received('upsert').sort()).toEqual([...corrected].sort());
  });

  it('one open run per activation: concurrent flushers take each change once; changes meanwhile wait for the next run', async () => {
    const connector = recordingConnector({ slug: 'oc-concurrent', maxBatchSize: 4 });
    const engine = buildEngine(db.dataSource, [connector.definition]);
    const other = buildEngine(db.dataSource, [connector.definition]);
    const { segmentId } = await onChangeActivation('oc-concurrent', 'mirror');
    const profiles = await createProfiles(db.dataSource, 30);

    await recordChanges(db.dataSource, segmentId, 'added', profiles.slice(0, 10));
    const flushed = [...(await engine.flusher.flushOnce()), ...(await other.flusher.flushOnce())];
    const [a, b] = await Promise.all([engine.flusher.flushOnce(), other.flusher.flushOnce()]);
    expect(flushed).toHaveLength(1);
    expect([...a, ...b]).toEqual([]);
    // The run is open: new changes stay pending.
    await recordChanges(db.dataSource, segmentId, 'added', profiles.slice(10));
    expect(await engine.flusher.flushOnce()).toEqual([]);
    expect(await pendingChangeCount(db.dataSource.manager)).toBe(20);
    await engine.service.execute(flushed[0].runId);
    const [next] = await Promise.all([flushNow(engine), flushNow(other)]).then(([x, y]) => [...x, ...y]);
    expect(next.counts).toMatchObject({ added: 20 });
    // Batches of the connector's maxBatchSize; every member delivered once.
    expect(connector.calls.every((call) => call.members.length <= 4)).toBe(true);
    expect(connector.received('upsert').sort()).toEqual([...profiles].sort());
  });

  it('pending changes of an activation that no longer delivers on change are dropped; paused ones wait', async () => {
    const connector = recordingConnector({ slug: 'oc-paused' });
    const engine = buildEngine(db.dataSource, [connector.definition]);
    const { segmentId, activationId } = await onChangeActivation('oc-paused', 'mirror');
    const [early, late] = await createProfiles(db.dataSource, 2);
    await db.dataSource.query(`UPDATE activations SET status = 'paused' WHERE id = $1`, [activationId]);
    await recordChanges(db.dataSource, segmentId, 'added', [early]);
    expect(await flushNow(engine)).toEqual([]);
    await db.dataSource.query(`UPDATE activations SET status = 'active' WHERE id = $1`, [activationId]);
    expect((await flushNow(engine)).map((run) => run.counts['added'])).toEqual([1]);

    await recordChanges(db.dataSource, segmentId, 'added', [late]);
    await setSchedule(db.dataSource, activationId, 'manual');
    expect(await flushNow(engine)).toEqual([]);
    expect(await pendingChangeCount(db.dataSource.manager)).toBe(0);
    expect(connector.received('upsert')).toEqual([early]);
  });

  it('the hourly cap of real-time sends pauses deliveries for confirmation and drops nothing', async () => {
    const connector = recordingConnector({ slug: 'oc-cap', deliveryModel: 'send' });
    const engine = buildEngine(db.dataSource, [connector.definition], {}, { AK_REALTIME_SENDS_PER_HOUR: 5 });
    const { segmentId, activationId } = await onChangeActivation('oc-cap', 'send');
    const profiles = await createProfiles(db.dataSource, 9);

    await recordChanges(db.dataSource, segmentId, 'added', profiles.slice(0, 4));
    expect((await flushNow(engine)).map((run) => [run.status, run.counts['sent']])).toEqual([['succeeded', 4]]);
    await recordChanges(db.dataSource, segmentId, 'added', profiles.slice(4, 7));
    const [held] = await flushNow(engine);
    expect(held.status).toBe('awaiting_confirmation');
    expect(held.plan?.['guard']).toMatchObject({ hold: true, count: 3, threshold: 5, lastRunSent: 4 });
    expect(held.plan?.['onChange']).toMatchObject({ changes: 3 });
    // Paused: later changes wait, nothing more is sent.
    await recordChanges(db.dataSource, segmentId, 'added', profiles.slice(7));
    expect(await flushNow(engine)).toEqual([]);
    expect(connector.received('send')).toHaveLength(4);
    const [audit] = await db.dataSource.query(`SELECT details FROM audit_log WHERE action = 'mass_send_guard.held' AND object_id = $1`, [
      held.id,
    ]);
    expect(audit.details).toMatchObject({ activationId, trigger: 'on_change' });

    // The guard's confirmation flow releases the held run; the cap counts again from there.
    expect(await engine.service.confirmRun(held.id, null)).toMatchObject({ status: 'queued' });
    await engine.service.execute(held.id);
    expect(await engine.service.getRun(held.id)).toMatchObject({ status: 'succeeded', counts: expect.objectContaining({ sent: 3 }) });
    expect((await flushNow(engine)).map((run) => [run.status, run.counts['sent']])).toEqual([['succeeded', 2]]);
    expect(connector.received('send').sort()).toEqual([...profiles].sort());
    expect(await pendingChangeCount(db.dataSource.manager)).toBe(0);
  });
});
