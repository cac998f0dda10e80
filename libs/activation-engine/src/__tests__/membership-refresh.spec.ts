import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { buildEngine, recordingConnector, seedActivation, seedSegment, syncNow } from './sync-fixtures';

/**
 * A connector that reads the vendor-side list's own membership lifespan (`membershipRefreshDays`,
 * e.g. a Google user list made with a 30-day `membershipDuration`): the run re-sends members older
 * than what it answers, not the static `limits.refreshMembershipAfterDays`; a failed read keeps the
 * static value and is a warning on the run, never a failure.
 */
describe('membership lifespan read from the vendor list', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  const age = (activationId: string, profileIds: string[], days: number) =>
    db.dataSource.query(
      `UPDATE activation_members SET delivered_at = now() - make_interval(days => $3::int) WHERE activation_id = $1 AND profile_id = ANY($2::uuid[])`,
      [activationId, profileIds, days],
    );

  it('re-sends after the days the list gives (27), not the static 500', async () => {
    const list = recordingConnector({ slug: 'lifespan-read', limits: { maxBatchSize: 50, refreshMembershipAfterDays: 500 } });
    const definition = { ...list.definition, membershipRefreshDays: async () => 27 };
    const engine = buildEngine(db.dataSource, [definition]);
    const { segmentId, profileIds } = await seedSegment(db.dataSource, 10);
    const { activationId } = await seedActivation(db.dataSource, { segmentId, connector: 'lifespan-read', mode: 'add_only' });
    await syncNow(engine, activationId);
    await age(activationId, profileIds.slice(0, 3), 28);
    await age(activationId, profileIds.slice(3, 6), 26);
    list.calls.length = 0;
    const second = await syncNow(engine, activationId);
    expect(second.run.status).toBe('succeeded');
    expect(list.received('upsert').sort()).toEqual(profileIds.slice(0, 3).sort());
    expect(second.run.counts).toMatchObject({ refreshed: 3 });
  });

  it('a failed read keeps the static limit and leaves a warning; the run succeeds', async () => {
    const list = recordingConnector({ slug: 'lifespan-broken', limits: { maxBatchSize: 50, refreshMembershipAfterDays: 500 } });
    const definition = {
      ...list.definition,
      membershipRefreshDays: async () => {
        throw new Error('user list unreadable');
      },
    };
    const engine = buildEngine(db.dataSource, [definition]);
    const { segmentId, profileIds } = await seedSegment(db.dataSource, 6);
    const { activationId } = await seedActivation(db.dataSource, { segmentId, connector: 'lifespan-broken', mode: 'add_only' });
    await syncNow(engine, activationId);
    await age(activationId, profileIds.slice(0, 2), 28);
    await age(activationId, profileIds.slice(2, 4), 501);
    list.calls.length = 0;
    const second = await syncNow(engine, activationId);
    expect(second.run.status).toBe('succeeded');
    expect(list.received('upsert').sort()).toEqual(profileIds.slice(2, 4).sort());
    const [{ errors }] = await db.dataSource.query(`SELECT errors FROM sync_runs WHERE id = $1`, [second.run.id]);
    expect(errors).toContainEqual(expect.objectContaining({ kind: 'warning', code: 'membership_lifespan_unavailable' }));
  });
});
