import { createHoldoutAssigner } from '@audiencekit/experimentation';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { buildEngine, recordingConnector, seedActivation, seedSegment, syncNow } from './sync-fixtures';

/**
 * Limits that depend on a destination's settings (`limitsFor`, e.g. an SMS sender's throughput)
 * and memberships that expire at the vendor (`refreshMembershipAfterDays`, e.g. Google Customer
 * Match): members whose last delivery is too old are re-sent, after the same filters.
 */
describe('sync limits', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  const treatmentOf = (salt: string, share: number, ids: string[]) => {
    const assigner = createHoldoutAssigner(salt, share);
    return ids.filter((id) => !assigner.isControl(id));
  };

  describe('limitsFor(settings)', () => {
    // Twilio-like: one second's worth of messages per call, at `mps` messages a second.
    const sms = recordingConnector({
      slug: 'limits-sms',
      deliveryModel: 'send',
      limits: { maxBatchSize: 1, maxRequestsPerSecond: 1, maxConcurrency: 1 },
      limitsFor: (settings: { mps?: number }) => ({ maxBatchSize: settings.mps ?? 1, maxRequestsPerSecond: 20, maxConcurrency: 1 }),
    });

    it('batches to the size the settings give, and spaces calls by their rate', async () => {
      const engine = buildEngine(db.dataSource, [sms.definition]);
      const { segmentId, profileIds } = await seedSegment(db.dataSource, 10);
      const fast = await seedActivation(db.dataSource, {
        segmentId,
        connector: 'limits-sms',
        mode: 'send',
        settings: { mps: 4 },
        message: { text: 'hi' },
      });
      const faster = await seedActivation(db.dataSource, {
        segmentId,
        connector: 'limits-sms',
        mode: 'send',
        settings: { mps: 7 },
        message: { text: 'hi' },
      });

      const first = await syncNow(engine, fast.activationId);
      expect(first.run.status).toBe('succeeded');
      expect(sms.calls.map((call) => call.members.length)).toEqual([4, 4, 2]);
      expect(first.run.counts).toMatchObject({ sent: 10, requests: 3 });
      // 20 calls a second: call starts 50 ms apart (not the static limits' 1 a second).
      expect(engine.gates.find(fast.destinationId)?.interval()).toBe(50);

      sms.calls.length = 0;
      const second = await syncNow(engine, faster.activationId);
      expect(sms.calls.map((call) => call.members.length)).toEqual([7, 3]);
      expect(second.run.counts).toMatchObject({ sent: 10, requests: 2 });
      expect(new Set(sms.received()).size).toBe(profileIds.length);
    });

    it('takes edited settings on the next run (a new gate for the new limits)', async () => {
      const engine = buildEngine(db.dataSource, [sms.definition]);
      const { segmentId } = await seedSegment(db.dataSource, 5);
      const { activationId, destinationId } = await seedActivation(db.dataSource, {
        segmentId,
        connector: 'limits-sms',
        mode: 'send',
        settings: { mps: 2 },
        message: { text: 'hi' },
      });
      sms.calls.length = 0;
      await db.dataSource.query(`UPDATE destinations SET settings = '{"mps": 5}' WHERE id = $1`, [destinationId]);
      await syncNow(engine, activationId);
      expect(sms.calls.map((call) => call.members.length)).toEqual([5]);
    });

    it('fails the run naming the problem when limitsFor gives no valid batch size', async () => {
      const broken = recordingConnector({ slug: 'limits-broken', deliveryModel: 'send', limitsFor: () => ({ maxBatchSize: 0 }) });
      const engine = buildEngine(db.dataSource, [broken.definition]);
      const { segmentId } = await seedSegment(db.dataSource, 3);
      const { activationId } = await seedActivation(db.dataSource, {
        segmentId,
        connector: 'limits-broken',
        mode: 'send',
        message: { text: 'hi' },
      });
      const { run } = await syncNow(engine, activationId);
      expect(run.status).toBe('failed');
      expect(JSON.stringify(run.errors)).toMatch(/maxBatchSize/);
      expect(broken.calls).toEqual([]);
    });
  });

  describe('refreshMembershipAfterDays', () => {
    const age = (activationId: string, profileIds: string[], days: number) =>
      db.dataSource.query(
        `UPDATE activation_members SET delivered_at = now() - make_interval(days => $3::int) WHERE activation_id = $1 AND profile_id = ANY($2::uuid[])`,
        [activationId, profileIds, days],
      );

    it('mirror: re-sends members delivered longer ago than the lifespan allows, after the filters, counted as refreshed', async () => {
      const list = recordingConnector({ slug: 'refresh-list', limits: { maxBatchSize: 50, refreshMembershipAfterDays: 500 } });
      const engine = buildEngine(db.dataSource, [list.definition]);
      const { segmentId, profileIds } = await seedSegment(db.dataSource, 40);
      const { activationId } = await seedActivation(db.dataSource, {
        segmentId,
        connector: 'refresh-list',
        mode: 'mirror',
        holdoutShare: 0.25,
        salt: 'refresh-salt',
      });
      const treated = treatmentOf('refresh-salt', 0.25, profileIds);
      const heldOut = profileIds.filter((id) => !treated.includes(id));
      const first = await syncNow(engine, activationId);
      expect(first.run.counts).toMatchObject({ added: treated.length });
      const [{ n: stamped }] = await db.dataSource.query(
        `SELECT count(*)::int AS n FROM activation_members WHERE activation_id = $1 AND delivered_at > now() - interval '1 hour'`,
        [activationId],
      );
      expect(stamped).toBe(treated.length);

      const stale = treated.slice(0, 10);
      const fresh = treated.slice(10, 15);
      await age(activationId, stale, 501);
      await age(activationId, fresh, 499);
      // One stale member was suppressed since: a mirror removes it instead of refreshing it.
      const [suppressedEmail] = await db.dataSource.query(`SELECT value FROM identities WHERE profile_id = $1 AND type = 'email'`, [
        stale[0],
      ]);
      await db.dataSource.query(
        `INSERT INTO suppressions (identifier_type, identifier_value, channel, reason) VALUES ('email', $1, 'email', 'unsubscribed')`,
        [suppressedEmail.value],
      );

      const plan = await engine.service.dryRun(activationId, { sampleSize: 5 });
      expect(plan.plan).toMatchObject({ adds: 9, refreshes: 9, removes: 1 });

      list.calls.length = 0;
      const second = await syncNow(engine, activationId);
      expect(second.run.status).toBe('succeeded');
      expect(list.received('upsert').sort()).toEqual(stale.slice(1).sort());
      expect(list.received('remove')).toEqual([stale[0]]);
      expect(second.run.counts).toMatchObject({ refreshed: 9, removed: 1 });
      expect(second.run.counts.added ?? 0).toBe(0);
      expect(list.received().some((id) => heldOut.includes(id))).toBe(false);

      // Refreshed members carry a new delivery time: a third run sends nothing.
      list.calls.length = 0;
      const third = await syncNow(engine, activationId);
      expect(list.calls).toEqual([]);
      expect(third.run.counts.refreshed ?? 0).toBe(0);
    });

    it('add-only refreshes too; a connector without a lifespan never re-sends aged members', async () => {
      const expiring = recordingConnector({ slug: 'refresh-add-only', limits: { maxBatchSize: 50, refreshMembershipAfterDays: 30 } });
      const lasting = recordingConnector({ slug: 'refresh-lasting', maxBatchSize: 50 });
      const engine = buildEngine(db.dataSource, [expiring.definition, lasting.definition]);
      const { segmentId, profileIds } = await seedSegment(db.dataSource, 12);
      const a = await seedActivation(db.dataSource, { segmentId, connector: 'refresh-add-only', mode: 'add_only' });
      const b = await seedActivation(db.dataSource, { segmentId, connector: 'refresh-lasting', mode: 'add_only' });
      await syncNow(engine, a.activationId);
      await syncNow(engine, b.activationId);
      await age(a.activationId, profileIds.slice(0, 4), 31);
      await age(b.activationId, profileIds, 10_000);
      expiring.calls.length = 0;
      lasting.calls.length = 0;

      const refreshed = await syncNow(engine, a.activationId);
      expect(expiring.received('upsert').sort()).toEqual(profileIds.slice(0, 4).sort());
      expect(refreshed.run.counts).toMatchObject({ refreshed: 4 });
      await syncNow(engine, b.activationId);
      expect(lasting.calls).toEqual([]);
    });
  });
});
