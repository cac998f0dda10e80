import { createHoldoutAssigner } from '@audiencekit/experimentation';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { buildEngine, createProfiles, recordingConnector, seedActivation, seedSegment, setGlobalHoldout, syncNow } from './sync-fixtures';

/**
 * Priority lists (issue #23): an activation targeting an entry of a list delivers only to the
 * profiles of its segment in no higher entry. Expected memberships are computed here with sets.
 */
describe('sync with priority lists', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
    await setGlobalHoldout(db.dataSource, 0);
  });
  afterAll(async () => {
    await db.drop();
  });

  async function join(segmentId: string, profileIds: string[]): Promise<void> {
    await db.dataSource.query(
      `INSERT INTO segment_memberships (segment_id, profile_id, entered_at, run_id) SELECT $1, unnest($2::uuid[]), now(), gen_random_uuid() ON CONFLICT DO NOTHING`,
      [segmentId, profileIds],
    );
  }

  it('each profile goes only to the activation of the highest entry it is in; control members of a higher entry are not passed down', async () => {
    const stamp = Date.now();
    const keys = [`owned_${stamp}`, `retarget_${stamp}`, `winback_${stamp}`];
    const segments = [];
    for (const key of keys) segments.push((await seedSegment(db.dataSource, 0, key)).segmentId);
    const people = await createProfiles(db.dataSource, 300);
    // Overlapping memberships: entry 1 = people 0..99, entry 2 = 50..199, entry 3 = 0..29 and 150..299.
    const members = [people.slice(0, 100), people.slice(50, 200), [...people.slice(0, 30), ...people.slice(150, 300)]];
    for (let i = 0; i < 3; i++) await join(segments[i], members[i]);
    const [list] = await db.dataSource.query(`INSERT INTO priority_lists (key, name) VALUES ($1, 'plays') RETURNING id`, [
      `plays_${stamp}`,
    ]);
    for (let i = 0; i < 3; i++)
      await db.dataSource.query(`INSERT INTO priority_list_entries (list_id, position, segment_id) VALUES ($1, $2, $3)`, [
        list.id,
        i + 1,
        segments[i],
      ]);

    const connectors = [0, 1, 2].map((i) => recordingConnector({ slug: `prio-${i}` }));
    const engine = buildEngine(
      db.dataSource,
      connectors.map((connector) => connector.definition),
    );
    const activations: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { activationId } = await seedActivation(db.dataSource, {
        segmentId: segments[i],
        connector: `prio-${i}`,
        mode: 'mirror',
        holdoutShare: 0.1,
        salt: `prio-salt-${i}`,
      });
      await db.dataSource.query(`UPDATE activations SET priority_list_id = $2 WHERE id = $1`, [activationId, list.id]);
      activations.push(activationId);
    }

    // Independently: the highest entry of each profile, then each activation's own holdout.
    const entryOf = new Map<string, number>();
    for (let i = 2; i >= 0; i--) for (const id of members[i]) entryOf.set(id, i);
    const controls = [0, 1, 2].map((i) => createHoldoutAssigner(`prio-salt-${i}`, 0.1));
    const expected = [0, 1, 2].map((i) => members[i].filter((id) => entryOf.get(id) === i && !controls[i].isControl(id)).sort());
    const outranked = [0, 1, 2].map((i) => members[i].filter((id) => (entryOf.get(id) ?? 3) < i && !controls[i].isControl(id)));
    expect(outranked[1].length).toBeGreaterThan(0);
    expect(outranked[2].length).toBeGreaterThan(0);

    const dry = await engine.service.dryRun(activations[2], { sampleSize: 500 });
    expect(dry.counts).toMatchObject({ outranked: outranked[2].length, eligible: expected[2].length });
    const samples = dry.plan?.['samples'] as Record<string, { profileId: string; reason: string }[]>;
    for (const item of samples['outranked']) {
      const entry = entryOf.get(item.profileId) ?? -1;
      expect(item.reason).toBe(`in higher priority entry ${entry + 1} (${keys[entry]}) of list plays_${stamp}`);
    }

    for (let i = 0; i < 3; i++) {
      const { run } = await syncNow(engine, activations[i]);
      expect(run.counts).toMatchObject({ added: expected[i].length });
      expect(run.counts['outranked'] ?? 0).toBe(outranked[i].length);
      expect(connectors[i].received('upsert').sort()).toEqual(expected[i]);
    }
    // Nobody is in two activations' audiences; a control member of entry 1 is not handed to entry 2.
    const everyone = connectors.flatMap((connector) => connector.received('upsert'));
    expect(new Set(everyone).size).toBe(everyone.length);
    const heldInFirst = members[0].filter((id) => controls[0].isControl(id));
    expect(heldInFirst.length).toBeGreaterThan(0);
    for (const id of heldInFirst) expect(everyone).not.toContain(id);

    // A profile of entry 2 who qualifies for entry 1 later moves: removed from 2's list, added to 1's.
    const moving = expected[1].find((id) => !controls[0].isControl(id)) ?? '';
    expect(moving).not.toBe('');
    await join(segments[0], [moving]);
    await syncNow(engine, activations[1]);
    await syncNow(engine, activations[0]);
    expect(connectors[1].received('remove')).toEqual([moving]);
    expect(connectors[0].received('upsert')).toContain(moving);
  });
});
