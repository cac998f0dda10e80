import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import type { MassSendConfig } from '../guard/mass-send-guard';
import type { MassRemovalConfig } from '../guard/safety-gates';
import { pendingChangeCount } from '../on-change/on-change.repository';
import { SyncRequestsService } from '../sync-requests.service';
import { SyncSchedulerService } from '../sync-scheduler.service';
import {
  buildEngine,
  Engine,
  flushNow,
  recordChanges,
  recordingConnector,
  RecordingConnector,
  seedActivation,
  seedSegment,
  setGlobalHoldout,
  setSchedule,
  syncNow,
} from './sync-fixtures';

const CONFIG = { AK_MASS_REMOVAL_SHARE: 0.2, AK_MASS_REMOVAL_MIN: 100 } satisfies MassRemovalConfig;
// The door's own config type names the mass-send settings; the gates read the removal ones too.
const DOOR_CONFIG: MassSendConfig & MassRemovalConfig = { AK_MASS_SEND_THRESHOLD: 10_000, ...CONFIG };

/**
 * Safety gates (issue #19): a mirror sync that would remove a large share of what the destination
 * holds, and the syncs following a refresh flagged by the card's thresholds, wait for a person —
 * nothing is removed at the vendor until the held run is confirmed.
 */
describe('sync safety gates', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
    await setGlobalHoldout(db.dataSource, 0);
  });
  afterAll(async () => {
    await db.drop();
  });

  function setUp(slug: string): { connector: RecordingConnector; engine: Engine; door: SyncRequestsService } {
    const connector = recordingConnector({ slug });
    const engine = buildEngine(db.dataSource, [connector.definition], {}, CONFIG);
    return { connector, engine, door: new SyncRequestsService(db.dataSource, engine.service, DOOR_CONFIG) };
  }

  /** A mirror activation whose vendor list holds `size` members (one sync done). */
  async function mirrorHolding(slug: string, size: number, engine: Engine) {
    const { segmentId, profileIds } = await seedSegment(db.dataSource, size);
    const { activationId } = await seedActivation(db.dataSource, { segmentId, connector: slug, mode: 'mirror' });
    const { run } = await syncNow(engine, activationId);
    expect(run.counts).toMatchObject({ added: size });
    return { segmentId, activationId, profileIds };
  }

  /** A refresh as segment-refresh.service records it, with the quality it assessed. */
  async function refreshed(segmentId: string, quality: Record<string, unknown>): Promise<string> {
    const [run] = await db.dataSource.query(
      `INSERT INTO segment_runs (segment_id, version, status, trigger, queued_at, started_at, finished_at, quality)
       VALUES ($1, 1, 'succeeded', 'schedule', now(), now(), now() + interval '1 second', $2::jsonb) RETURNING id`,
      [
        segmentId,
        JSON.stringify({ empty: false, notSubstantial: false, unstable: false, churn: 0, minSize: 100, maxChurn: 0.5, ...quality }),
      ],
    );
    return run.id;
  }

  it('a segment emptied by an upstream outage: the after-refresh mirror sync is held, nothing is removed until confirmed, then all are', async () => {
    const { connector, engine, door } = setUp('gate-outage');
    const { segmentId, activationId } = await mirrorHolding('gate-outage', 250, engine);
    await setSchedule(db.dataSource, activationId, 'after_refresh');
    // The outage: the refresh finds nobody (its events are gone), so the segment is emptied.
    await db.dataSource.query(`DELETE FROM segment_memberships WHERE segment_id = $1`, [segmentId]);
    const segmentRunId = await refreshed(segmentId, { empty: true, notSubstantial: true, unstable: true, churn: 1 });
    const scheduler = new SyncSchedulerService(db.dataSource, engine.service);
    const [runId, ...others] = await scheduler.enqueueAfterRefreshOf(segmentRunId);
    expect(others).toEqual([]);

    await expect(engine.service.execute(runId)).resolves.toEqual({ status: 'skipped', reason: 'awaiting_confirmation' });
    const held = await engine.service.getRun(runId);
    expect(held.status).toBe('awaiting_confirmation');
    expect(connector.received('remove')).toEqual([]);
    const guard = held.plan?.['guard'] as Record<string, any>;
    expect(guard.gates).toEqual(['mass_removal', 'refresh_quality']);
    expect(guard.removal).toMatchObject({ hold: true, removes: 250, held: 250, share: 0.2, min: 100 });
    expect(guard.quality).toMatchObject({ empty: true, segmentRunId });
    expect(guard.reasons.join(' ')).toContain('left the segment empty');
    const [audit] = await db.dataSource.query(`SELECT action, details FROM audit_log WHERE object_id = $1`, [runId]);
    expect(audit).toMatchObject({ action: 'sync_gate.held', details: { gates: ['mass_removal', 'refresh_quality'] } });
    // The queue hands the job again (a retry): still held, still nothing removed.
    await engine.service.execute(runId);
    expect(connector.received('remove')).toEqual([]);

    const released = await door.confirm(runId, null);
    expect(released.status).toBe('queued');
    const outcome = await engine.service.execute(runId);
    expect(outcome).toMatchObject({ status: 'succeeded', counts: { removed: 250 } });
    expect(connector.received('remove')).toHaveLength(250);
  });

  it('mass removal without a flagged refresh: a share above AK_MASS_REMOVAL_SHARE holds, below it or the floor passes', async () => {
    const { connector, engine, door } = setUp('gate-share');
    const { segmentId, activationId, profileIds } = await mirrorHolding('gate-share', 400, engine);

    await db.dataSource.query(`DELETE FROM segment_memberships WHERE segment_id = $1 AND profile_id = ANY($2::uuid[])`, [
      segmentId,
      profileIds.slice(0, 60),
    ]);
    const under = await syncNow(engine, activationId); // 60 of 400 = 15%, and under the floor of 100
    expect(under.run).toMatchObject({ status: 'succeeded', counts: { removed: 60 } });
    expect(under.run.plan?.['guard']).toMatchObject({ hold: false, removal: { removes: 60, held: 400 } });

    await db.dataSource.query(`DELETE FROM segment_memberships WHERE segment_id = $1 AND profile_id = ANY($2::uuid[])`, [
      segmentId,
      profileIds.slice(60, 200),
    ]);
    const over = await syncNow(engine, activationId); // 140 of 340 = 41%
    expect(over.run.status).toBe('awaiting_confirmation');
    expect(over.run.plan?.['guard']).toMatchObject({ hold: true, gates: ['mass_removal'], removal: { removes: 140, held: 340 } });
    expect(connector.received('remove')).toHaveLength(60);

    await door.confirm(over.run.id, null);
    await expect(engine.service.execute(over.run.id)).resolves.toMatchObject({ status: 'succeeded', counts: { removed: 140 } });
    expect(connector.received('remove')).toHaveLength(200);
  });

  it('refresh quality: a flagged refresh holds its after-refresh sync only when the sync would change something', async () => {
    const { engine } = setUp('gate-quality');
    const { segmentId, activationId } = await mirrorHolding('gate-quality', 20, engine);
    await setSchedule(db.dataSource, activationId, 'after_refresh');
    const scheduler = new SyncSchedulerService(db.dataSource, engine.service);

    // Small (not substantial by the card's minimum of 100) but unchanged: nothing to hold.
    const quiet = await refreshed(segmentId, { notSubstantial: true });
    const [quietRun] = await scheduler.enqueueAfterRefreshOf(quiet);
    await expect(engine.service.execute(quietRun)).resolves.toMatchObject({ status: 'succeeded' });

    // Unstable: 15 new members (75% churn) — a few adds, no removal, yet held for the refresh's sake.
    await recordChanges(db.dataSource, segmentId, 'added', (await seedSegment(db.dataSource, 15)).profileIds);
    const swing = await refreshed(segmentId, { unstable: true, notSubstantial: true, churn: 0.75 });
    const [swingRun] = await scheduler.enqueueAfterRefreshOf(swing);
    await engine.service.execute(swingRun);
    const held = await engine.service.getRun(swingRun);
    expect(held.status).toBe('awaiting_confirmation');
    expect(held.plan?.['guard']).toMatchObject({ gates: ['refresh_quality'], removal: { hold: false } });
    expect((held.plan?.['guard'] as { reasons: string[] }).reasons).toEqual([
      "the refresh this sync follows left fewer than the card's minimum of 100 members",
      "the refresh this sync follows changed 75% of the segment, above the card's maximum churn of 50%",
    ]);
  });

  it('on change: a burst of exits over several micro-batches is judged as a whole and held; later changes wait; confirming resumes', async () => {
    const { connector, engine, door } = setUp('gate-burst');
    const { segmentId, activationId, profileIds } = await mirrorHolding('gate-burst', 300, engine);
    await setSchedule(db.dataSource, activationId, 'on_change');

    await recordChanges(db.dataSource, segmentId, 'removed', profileIds.slice(0, 60));
    const [first] = await flushNow(engine); // 60: under the floor
    expect(first).toMatchObject({ status: 'succeeded', counts: { removed: 60 } });

    await recordChanges(db.dataSource, segmentId, 'removed', profileIds.slice(60, 120));
    const [second] = await flushNow(engine); // 60 more: 120 of the 300 held when the burst began
    expect(second.status).toBe('awaiting_confirmation');
    expect(second.plan?.['guard']).toMatchObject({ gates: ['mass_removal'], removal: { removes: 120, held: 300 } });
    expect(connector.received('remove')).toHaveLength(60);

    await recordChanges(db.dataSource, segmentId, 'removed', profileIds.slice(120, 130));
    expect(await flushNow(engine)).toEqual([]); // the held run blocks the activation's flushes
    expect(await pendingChangeCount(db.dataSource.manager)).toBe(10);

    await door.confirm(second.id, null);
    await expect(engine.service.execute(second.id)).resolves.toMatchObject({ status: 'succeeded', counts: { removed: 60 } });
    const [third] = await flushNow(engine); // the confirmation opened a new window
    expect(third).toMatchObject({ status: 'succeeded', counts: { removed: 10 } });
    expect(connector.received('remove')).toHaveLength(130);
  });
});
