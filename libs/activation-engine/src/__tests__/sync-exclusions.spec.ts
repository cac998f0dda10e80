import { createHoldoutAssigner } from '@audiencekit/experimentation';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
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
  syncNow,
} from './sync-fixtures';

/**
 * Exclusions (issue #23): an activation never delivers to members of the segments it excludes.
 * Filtered with the other member filters (after the holdout and suppression, before identifiers),
 * counted `excluded` in the dry run and in the run, itemised with the excluding segment's key;
 * a mirror removes a delivered member who later enters an excluded segment; the on-change path
 * filters the same way. Expected verdicts are computed here from the holdout hash, not by the engine.
 */
describe('sync exclusions', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
    await setGlobalHoldout(db.dataSource, 0);
  });
  afterAll(async () => {
    await db.drop();
  });

  async function exclude(activationId: string, segmentId: string): Promise<void> {
    await db.dataSource.query(`INSERT INTO activation_exclusions (activation_id, segment_id) VALUES ($1, $2)`, [activationId, segmentId]);
  }

  async function joinSegment(segmentId: string, profileIds: string[]): Promise<void> {
    await db.dataSource.query(
      `INSERT INTO segment_memberships (segment_id, profile_id, entered_at, run_id) SELECT $1, unnest($2::uuid[]), now(), gen_random_uuid()`,
      [segmentId, profileIds],
    );
  }

  it('counts excluded members in the dry run and the run, delivers none of them, and never a control member', async () => {
    const { segmentId, profileIds } = await seedSegment(db.dataSource, 200);
    const dormant = await seedSegment(db.dataSource, 10, `dormant_low_value_${Date.now()}`);
    const churned = await seedSegment(db.dataSource, 0, `churned_${Date.now()}`);
    const excludedIds = profileIds.slice(0, 40);
    await joinSegment(dormant.segmentId, excludedIds);
    // In both excluding segments: reported under the first one by key.
    await joinSegment(churned.segmentId, excludedIds.slice(0, 5));
    const connector = recordingConnector({ slug: 'excl-mirror' });
    const engine = buildEngine(db.dataSource, [connector.definition]);
    const { activationId } = await seedActivation(db.dataSource, {
      segmentId,
      connector: 'excl-mirror',
      mode: 'mirror',
      holdoutShare: 0.2,
      salt: 'excl-salt',
    });
    await exclude(activationId, dormant.segmentId);
    await exclude(activationId, churned.segmentId);

    const control = createHoldoutAssigner('excl-salt', 0.2);
    const treated = profileIds.filter((id) => !control.isControl(id));
    const excludedTreated = treated.filter((id) => excludedIds.includes(id));
    const expectedDelivered = treated.filter((id) => !excludedIds.includes(id)).sort();
    expect(excludedTreated.length).toBeGreaterThan(20);

    const dry = await engine.service.dryRun(activationId, { sampleSize: 100 });
    expect(connector.calls).toEqual([]);
    expect(dry.counts).toMatchObject({
      considered: 200,
      heldOutActivation: 200 - treated.length,
      excluded: excludedTreated.length,
      eligible: expectedDelivered.length,
    });
    const samples = dry.plan?.['samples'] as Record<string, { profileId: string; reason: string }[]>;
    expect(samples['excluded'].map((item) => item.profileId).sort()).toEqual([...excludedTreated].sort());
    for (const item of samples['excluded']) {
      const inChurned = excludedIds.slice(0, 5).includes(item.profileId);
      // The first excluding segment in key order names the reason: churned_* < dormant_low_value_*.
      expect(item.reason).toMatch(new RegExp(`^excluded by segment ${inChurned ? 'churned_' : 'dormant_low_value_'}`));
    }

    const { run } = await syncNow(engine, activationId);
    expect(run.status).toBe('succeeded');
    expect(run.counts).toMatchObject({ excluded: excludedTreated.length, added: expectedDelivered.length });
    expect(connector.received('upsert').sort()).toEqual(expectedDelivered);
    for (const id of connector.received()) expect(control.isControl(id)).toBe(false);

    // A delivered member who enters an excluded segment is removed by the next mirror run.
    const [leaving] = expectedDelivered;
    await joinSegment(dormant.segmentId, [leaving]);
    const second = await syncNow(engine, activationId);
    expect(connector.received('remove')).toEqual([leaving]);
    // (It is held, so it is a remove, not an add candidate: the adds' excluded count is unchanged.)
    expect(second.run.counts).toMatchObject({ removed: 1, excluded: excludedTreated.length });
    // Excluded members are neither exposed: only deliveries and held-out members are.
    const [exposed] = await db.dataSource.query(
      `SELECT count(*)::int AS n FROM activation_exposures WHERE activation_id = $1 AND profile_id = ANY($2::uuid[])`,
      [activationId, excludedTreated],
    );
    expect(exposed.n).toBe(0);
  });

  it('filters the real-time delta path (on_change runs) the same way', async () => {
    const { segmentId } = await seedSegment(db.dataSource, 0);
    const suppressedSegment = await seedSegment(db.dataSource, 0, `paid_suppress_${Date.now()}`);
    const connector = recordingConnector({ slug: 'excl-send', deliveryModel: 'send' });
    const engine = buildEngine(db.dataSource, [connector.definition]);
    const { activationId } = await seedActivation(db.dataSource, {
      segmentId,
      connector: 'excl-send',
      mode: 'send',
      holdoutShare: 0,
      message: { text: 'hello' },
    });
    await setSchedule(db.dataSource, activationId, 'on_change');
    await exclude(activationId, suppressedSegment.segmentId);
    const entering = await createProfiles(db.dataSource, 6);
    await joinSegment(suppressedSegment.segmentId, entering.slice(0, 2));

    await recordChanges(db.dataSource, segmentId, 'added', entering);
    const [run] = await flushNow(engine);
    expect(run).toMatchObject({ trigger: 'on_change', status: 'succeeded' });
    expect(run.counts).toMatchObject({ considered: 6, excluded: 2, sent: 4 });
    expect(connector.received('send').sort()).toEqual(entering.slice(2).sort());
  });

  it('sends to everyone when the excluding segment is empty (no exclusion SQL changes the diff)', async () => {
    const { segmentId, profileIds } = await seedSegment(db.dataSource, 30);
    const empty = await seedSegment(db.dataSource, 0);
    const connector = recordingConnector({ slug: 'excl-empty' });
    const engine = buildEngine(db.dataSource, [connector.definition]);
    const { activationId } = await seedActivation(db.dataSource, { segmentId, connector: 'excl-empty', mode: 'add_only' });
    await exclude(activationId, empty.segmentId);
    const { run } = await syncNow(engine, activationId);
    expect(run.counts).toMatchObject({ added: 30 });
    expect(run.counts['excluded'] ?? 0).toBe(0);
    expect(connector.received().sort()).toEqual([...profileIds].sort());
  });
});
