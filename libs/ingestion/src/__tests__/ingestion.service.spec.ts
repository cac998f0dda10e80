import { ConsoleLogger, Logger, LoggerService } from '@nestjs/common';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { IngestionService } from '../index';
import { trackingEvent } from './events';

describe('IngestionService against Postgres', () => {
  let db: TestDatabase;
  let service: IngestionService;

  beforeAll(async () => {
    db = await createTestDatabase();
    service = new IngestionService(db.dataSource);
  });
  afterAll(async () => {
    await db.drop();
  });

  const query = <T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> => db.dataSource.query(sql, params);
  const identitiesOf = (profileId: string) =>
    query<{ type: string; value: string }>(`SELECT type, value FROM identities WHERE profile_id = $1 ORDER BY type, value`, [profileId]);

  it('creates a profile with normalised identities, traits and the event, in one call', async () => {
    const identify = trackingEvent('identify', {
      userId: 'u-create',
      anonymousId: 'anon-create',
      timestamp: '2024-05-01T10:00:00Z',
      traits: { email: '  Create@Example.COM ', phone: '+44 7911 123456', plan: 'pro' },
    });
    const result = await service.ingest([identify]);
    expect(result).toMatchObject({ stored: 1, duplicates: 0, refusals: [] });
    const [profile] = await query<{ id: string; traits: object; trait_timestamps: object; first_seen_at: Date }>(
      `SELECT * FROM profiles WHERE id = $1`,
      [result.profileIds[0]],
    );
    expect(profile.traits).toEqual({ email: '  Create@Example.COM ', phone: '+44 7911 123456', plan: 'pro' });
    expect(profile.trait_timestamps).toEqual({
      email: '2024-05-01T10:00:00.000Z',
      phone: '2024-05-01T10:00:00.000Z',
      plan: '2024-05-01T10:00:00.000Z',
    });
    expect(profile.first_seen_at.toISOString()).toBe('2024-05-01T10:00:00.000Z');
    expect(await identitiesOf(profile.id)).toEqual([
      { type: 'anonymous_id', value: 'anon-create' },
      { type: 'email', value: 'create@example.com' },
      { type: 'phone', value: '+447911123456' },
      { type: 'user_id', value: 'u-create' },
    ]);
    const events = await query(`SELECT message_id, type, profile_id FROM events WHERE profile_id = $1`, [profile.id]);
    expect(events).toEqual([{ message_id: identify.messageId, type: 'identify', profile_id: profile.id }]);
  });

  it("stores COPY's special characters (backslash, tab, newline, carriage return, \\N) exactly, in every column", async () => {
    const tricky = 'a\\b\tc\nd\re \\N \\\\ "q" \u2028';
    const event = trackingEvent('track', {
      userId: `u-copy ${tricky}`,
      anonymousId: `anon ${tricky}`,
      event: `Name ${tricky}`,
      properties: { [tricky]: tricky, nested: [tricky] },
      context: { note: tricky },
    });
    await service.ingest([event]);
    const [row] = await query<{ name: string; user_id: string; anonymous_id: string; properties: unknown; context: unknown }>(
      `SELECT name, user_id, anonymous_id, properties, context FROM events WHERE message_id = $1`,
      [event.messageId],
    );
    expect(row).toEqual({
      name: `Name ${tricky}`,
      user_id: `u-copy ${tricky}`,
      anonymous_id: `anon ${tricky}`,
      properties: { [tricky]: tricky, nested: [tricky] },
      context: { note: tricky },
    });
  });

  it('stores a retried messageId once', async () => {
    const track = trackingEvent('track', { userId: 'u-retry', event: 'Order Completed', properties: { revenue: 10 } });
    expect(await service.ingest([track, track])).toMatchObject({ stored: 1, duplicates: 1 });
    expect(await service.ingest([track])).toMatchObject({ stored: 0, duplicates: 1 });
    expect(await query(`SELECT count(*)::int AS n FROM events WHERE message_id = $1`, [track.messageId])).toEqual([{ n: 1 }]);
  });

  it('stores the new events of a batch that also holds stored ones, whether or not the service expected duplicates', async () => {
    const sent = trackingEvent('track', { userId: 'u-mixed', event: 'Sent' });
    await new IngestionService(db.dataSource).ingest([sent]);
    // A fresh service (another API process) does not look message ids up first: the COPY meets the duplicate and the batch runs again.
    const fresh = new IngestionService(db.dataSource);
    const retry = await fresh.ingest([sent, trackingEvent('identify', { userId: 'u-mixed-new', traits: { email: 'mixed@example.com' } })]);
    expect(retry).toMatchObject({ stored: 1, duplicates: 1, profileIds: [null, expect.any(String)] });
    // Its next batch is checked first (the previous one held a duplicate): same answer.
    const again = await fresh.ingest([sent, trackingEvent('track', { userId: 'u-mixed-new', event: 'Next' })]);
    expect(again).toMatchObject({ stored: 1, duplicates: 1, profileIds: [null, retry.profileIds[1]] });
    expect(await query(`SELECT count(*)::int AS n FROM events WHERE message_id = $1`, [sent.messageId])).toEqual([{ n: 1 }]);
    expect(await query(`SELECT type, value FROM identities WHERE profile_id = $1 ORDER BY type`, [retry.profileIds[1]])).toEqual([
      { type: 'email', value: 'mixed@example.com' },
      { type: 'user_id', value: 'u-mixed-new' },
    ]);
  });

  it('keeps anonymous browsing and the later login on one profile', async () => {
    const first = await service.ingest([trackingEvent('page', { anonymousId: 'anon-login', name: 'Home' })]);
    const login = await service.ingest([trackingEvent('identify', { anonymousId: 'anon-login', userId: 'u-login' })]);
    expect(login.profileIds).toEqual(first.profileIds);
    expect(await identitiesOf(String(first.profileIds[0]))).toEqual([
      { type: 'anonymous_id', value: 'anon-login' },
      { type: 'user_id', value: 'u-login' },
    ]);
  });

  it('merges two existing profiles: the loser points at the winner and its events and identities move, none lost', async () => {
    const device = await service.ingest([1, 2, 3].map((n) => trackingEvent('track', { anonymousId: 'anon-merge', event: `Viewed ${n}` })));
    const user = await service.ingest([trackingEvent('identify', { userId: 'u-merge', traits: { plan: 'basic' } })]);
    const [loser, winner] = [device.profileIds[0], user.profileIds[0]];
    expect(loser).not.toBe(winner);

    const link = await service.ingest([trackingEvent('track', { userId: 'u-merge', anonymousId: 'anon-merge', event: 'Signed In' })]);
    expect(link.profileIds).toEqual([winner]);
    expect(await query(`SELECT merged_into FROM profiles WHERE id = $1`, [loser])).toEqual([{ merged_into: winner }]);
    expect(await query(`SELECT count(*)::int AS n FROM events WHERE profile_id = $1`, [winner])).toEqual([{ n: 5 }]);
    expect(await query(`SELECT count(*)::int AS n FROM events WHERE profile_id = $1`, [loser])).toEqual([{ n: 0 }]);
    expect(await identitiesOf(String(winner))).toEqual([
      { type: 'anonymous_id', value: 'anon-merge' },
      { type: 'user_id', value: 'u-merge' },
    ]);
  });

  it('applies traits last-write-wins by event time, not arrival order', async () => {
    const newer = trackingEvent('identify', { userId: 'u-lww', timestamp: '2024-03-01T00:00:00Z', traits: { plan: 'pro' } });
    const older = trackingEvent('identify', {
      userId: 'u-lww',
      timestamp: '2024-01-01T00:00:00Z',
      traits: { plan: 'free', city: 'Leeds' },
    });
    const { profileIds } = await service.ingest([newer]);
    await service.ingest([older]);
    expect(await query(`SELECT traits, trait_timestamps FROM profiles WHERE id = $1`, [profileIds[0]])).toEqual([
      { traits: { plan: 'pro', city: 'Leeds' }, trait_timestamps: { plan: '2024-03-01T00:00:00.000Z', city: '2024-01-01T00:00:00.000Z' } },
    ]);
  });

  it('refuses, reports and keeps apart two people who share a device', async () => {
    const first = await service.ingest([trackingEvent('identify', { userId: 'u-shared-1', anonymousId: 'anon-kiosk' })]);
    const second = await service.ingest([trackingEvent('identify', { userId: 'u-shared-2', anonymousId: 'anon-kiosk' })]);
    expect(second.profileIds[0]).not.toBe(first.profileIds[0]);
    expect(second.refusals).toEqual([
      expect.objectContaining({ kind: 'merge', loser: first.profileIds[0], identifierType: 'user_id', cap: 1 }),
    ]);
    expect(
      await query(`SELECT count(*)::int AS n FROM profiles WHERE id = ANY($1) AND merged_into IS NULL`, [
        [first.profileIds[0], second.profileIds[0]],
      ]),
    ).toEqual([{ n: 2 }]);
  });

  it('honours configured caps: a sixth email is refused by default, allowed with a higher cap', async () => {
    const emails = (user: string, count: number) =>
      Array.from({ length: count }, (_, n) => trackingEvent('identify', { userId: user, traits: { email: `${user}-${n}@example.com` } }));
    const capped = await service.ingest(emails('u-cap', 6));
    expect(capped.refusals).toEqual([
      expect.objectContaining({ kind: 'attach', identifier: { type: 'email', value: 'u-cap-5@example.com' } }),
    ]);
    const generous = new IngestionService(db.dataSource, { mergeCaps: { email: 10 } });
    expect((await generous.ingest(emails('u-cap-10', 6))).refusals).toEqual([]);
  });

  it('logs every refusal of the merge caps as a warning naming the identifier, the profile and the message', async () => {
    const warnings: unknown[] = [];
    const capture: LoggerService = { log: () => undefined, error: () => undefined, warn: (message: unknown) => warnings.push(message) };
    Logger.overrideLogger(capture);
    try {
      const capped = new IngestionService(db.dataSource, { mergeCaps: { email: 1 } });
      const second = trackingEvent('identify', { userId: 'u-logged', traits: { email: 'second@example.com' } });
      const result = await capped.ingest([
        trackingEvent('identify', { userId: 'u-logged', traits: { email: 'first@example.com' } }),
        second,
      ]);
      expect(warnings).toEqual([
        expect.objectContaining({
          msg: 'identity stitching refused by merge cap',
          kind: 'attach',
          identifier: { type: 'email', value: 'second@example.com' },
          profileId: result.profileIds[0],
          cap: 1,
          messageId: second.messageId,
        }),
      ]);
      expect(await identitiesOf(String(result.profileIds[0]))).toEqual([
        { type: 'email', value: 'first@example.com' },
        { type: 'user_id', value: 'u-logged' },
      ]);
    } finally {
      Logger.overrideLogger(new ConsoleLogger());
    }
  });

  it('never trusts a stale cache: a merge made by another process is followed, not written around', async () => {
    const processA = new IngestionService(db.dataSource);
    const processB = new IngestionService(db.dataSource);
    const device = await processA.ingest([trackingEvent('track', { anonymousId: 'anon-stale', event: 'Browse' })]);
    const user = await processB.ingest([trackingEvent('identify', { userId: 'u-stale' })]);
    await processB.ingest([trackingEvent('identify', { userId: 'u-stale', anonymousId: 'anon-stale' })]);
    // Process A still caches anon-stale → the merged-away profile.
    const later = await processA.ingest([trackingEvent('track', { anonymousId: 'anon-stale', event: 'Browse again' })]);
    expect(later.profileIds).toEqual(user.profileIds);
    expect(await query(`SELECT merged_into FROM profiles WHERE id = $1`, [device.profileIds[0]])).toEqual([
      { merged_into: user.profileIds[0] },
    ]);
    expect(await query(`SELECT count(*)::int AS n FROM events WHERE profile_id = $1`, [user.profileIds[0]])).toEqual([{ n: 4 }]);
  });

  it('creates one profile when concurrent batches bring the same new people', async () => {
    const people = Array.from({ length: 20 }, (_, n) => `u-race-${n}`);
    const batches = Array.from({ length: 6 }, (_, b) =>
      [...people]
        .sort(() => (b % 2 ? 1 : -1))
        .map((userId) => trackingEvent('track', { userId, anonymousId: `anon-${userId}`, event: 'Raced' })),
    );
    // One service per batch, as if six API processes: within one process they would share a group commit.
    await Promise.all(batches.map((batch) => new IngestionService(db.dataSource).ingest(batch)));
    const rows = await query<{ value: string; profiles: number; events: number }>(
      `SELECT i.value, count(DISTINCT i.profile_id)::int AS profiles,
              (SELECT count(*)::int FROM events e WHERE e.profile_id = min(i.profile_id::text)::uuid) AS events
         FROM identities i WHERE i.type = 'user_id' AND i.value LIKE 'u-race-%' GROUP BY i.value`,
    );
    expect(rows).toHaveLength(20);
    expect(rows.every((row) => row.profiles === 1 && row.events === 6)).toBe(true);
    const orphans = await query(
      `SELECT p.id FROM profiles p WHERE NOT EXISTS (SELECT 1 FROM identities i WHERE i.profile_id = p.id) AND p.merged_into IS NULL`,
    );
    expect(orphans).toEqual([]);
  });

  it('never leaves an event on a merged profile when a merge races with events for the loser', async () => {
    for (let round = 0; round < 5; round++) {
      await service.ingest([trackingEvent('track', { anonymousId: `anon-rm-${round}`, event: 'Browse' })]);
      await service.ingest([trackingEvent('identify', { userId: `u-rm-${round}` })]);
      // Separate services (processes), so the merge and the browsing batches are separate transactions that race.
      const merge = new IngestionService(db.dataSource).ingest([
        trackingEvent('identify', { userId: `u-rm-${round}`, anonymousId: `anon-rm-${round}` }),
      ]);
      const browsing = Array.from({ length: 4 }, () =>
        new IngestionService(db.dataSource).ingest(
          Array.from({ length: 25 }, () => trackingEvent('track', { anonymousId: `anon-rm-${round}`, event: 'Browse' })),
        ),
      );
      await Promise.all([merge, ...browsing]);
    }
    const stranded = await query(
      `SELECT count(*)::int AS n FROM events e JOIN profiles p ON p.id = e.profile_id WHERE p.merged_into IS NOT NULL`,
    );
    expect(stranded).toEqual([{ n: 0 }]);
    const perUser = await query<{ n: number }>(
      `SELECT count(*)::int AS n FROM events e JOIN identities i ON i.profile_id = e.profile_id AND i.type = 'user_id' WHERE i.value LIKE 'u-rm-%' GROUP BY i.value`,
    );
    expect(perUser.map((row) => row.n)).toEqual([103, 103, 103, 103, 103]);
  });

  describe('group commit', () => {
    const xminsOf = async (messageIds: string[]) =>
      (await query<{ n: number }>(`SELECT count(DISTINCT xmin::text)::int AS n FROM events WHERE message_id = ANY($1)`, [messageIds]))[0].n;

    it('stores calls made while a transaction is running together in the next one, with a result per call', async () => {
      const grouped = new IngestionService(db.dataSource);
      const calls = Array.from({ length: 5 }, (_, call) =>
        Array.from({ length: 3 }, (_, n) => trackingEvent('track', { userId: `u-group-${call}`, event: `Step ${n}` })),
      );
      const results = await Promise.all(calls.map((events) => grouped.ingest(events)));
      // The first call commits alone at once; the four made meanwhile share the next transaction.
      expect(await xminsOf(calls[0].map((event) => event.messageId))).toBe(1);
      expect(
        await xminsOf(
          calls
            .slice(1)
            .flat()
            .map((event) => event.messageId),
        ),
      ).toBe(1);
      expect(await xminsOf(calls.flat().map((event) => event.messageId))).toBe(2);
      for (const result of results) {
        expect(result).toMatchObject({ stored: 3, duplicates: 0, refusals: [] });
        expect(new Set(result.profileIds).size).toBe(1);
      }
      const owners = await query<{ value: string; profile_id: string }>(
        `SELECT value, profile_id FROM identities WHERE type = 'user_id' AND value LIKE 'u-group-%' ORDER BY value`,
      );
      // Each call's events are on the profile of its own user.
      expect(owners.map((row) => row.profile_id)).toEqual(results.map((result) => result.profileIds[0]));
    });

    it('counts a message sent by two calls of one group once: stored for the first, a duplicate for the second', async () => {
      const grouped = new IngestionService(db.dataSource);
      const shared = trackingEvent('track', { userId: 'u-group-dup', event: 'Retried' });
      const [first, second, third] = await Promise.all([
        grouped.ingest([trackingEvent('track', { userId: 'u-group-dup', event: 'Opened' })]),
        grouped.ingest([shared, trackingEvent('track', { userId: 'u-group-dup', event: 'Other' })]),
        grouped.ingest([shared]),
      ]);
      expect(first).toMatchObject({ stored: 1, duplicates: 0 });
      expect(second).toMatchObject({ stored: 2, duplicates: 0 });
      expect(third).toMatchObject({ stored: 0, duplicates: 1 });
      expect(third.profileIds).toEqual([second.profileIds[0]]);
      expect(await query(`SELECT count(*)::int AS n FROM events WHERE message_id = $1`, [shared.messageId])).toEqual([{ n: 1 }]);
    });

    it('reports a refusal with the index of the message in its own call', async () => {
      const grouped = new IngestionService(db.dataSource, { mergeCaps: { email: 1 } });
      const person = (email: string) => trackingEvent('identify', { userId: 'u-group-cap', traits: { email } });
      const [, capped] = await Promise.all([
        grouped.ingest([person('first@group.example')]),
        grouped.ingest([
          trackingEvent('track', { userId: 'u-group-other', event: 'x' }),
          person('first@group.example'),
          person('second@group.example'),
        ]),
      ]);
      expect(capped.refusals).toEqual([
        expect.objectContaining({ kind: 'attach', messageIndex: 2, identifier: { type: 'email', value: 'second@group.example' } }),
      ]);
    });

    it('fails only the call that cannot be stored: its group is stored again one call at a time', async () => {
      const grouped = new IngestionService(db.dataSource);
      const good = [trackingEvent('track', { userId: 'u-group-ok-1', event: 'x' })];
      const bad = [trackingEvent('track', { userId: 'u-group-bad', event: 'x' })];
      const alsoGood = [trackingEvent('track', { userId: 'u-group-ok-2', event: 'x' })];
      const [first, second, third, fourth] = await Promise.allSettled([
        grouped.ingest([trackingEvent('track', { userId: 'u-group-ok-0', event: 'x' })]),
        grouped.ingest(good),
        grouped.ingest(bad, { sourceId: 'not-a-uuid' }), // source_id is a uuid column: Postgres refuses this call's COPY
        grouped.ingest(alsoGood),
      ]);
      expect([first.status, second.status, third.status, fourth.status]).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
      expect(String((third as PromiseRejectedResult).reason)).toMatch(/uuid/);
      expect(
        await query(`SELECT count(*)::int AS n FROM events WHERE message_id = ANY($1)`, [
          [...good, ...alsoGood].map((event) => event.messageId),
        ]),
      ).toEqual([{ n: 2 }]);
      expect(await query(`SELECT count(*)::int AS n FROM events WHERE message_id = $1`, [bad[0].messageId])).toEqual([{ n: 0 }]);
      expect(await query(`SELECT count(*)::int AS n FROM identities WHERE value = 'u-group-bad'`)).toEqual([{ n: 0 }]);
    });

    it('commits every call alone when group commit is off', async () => {
      const single = new IngestionService(db.dataSource, { groupCommit: { maxInFlight: 0 } });
      const calls = Array.from({ length: 4 }, (_, call) => [trackingEvent('track', { userId: `u-nogroup-${call}`, event: 'x' })]);
      await Promise.all(calls.map((events) => single.ingest(events)));
      expect(await xminsOf(calls.flat().map((event) => event.messageId))).toBe(4);
    });
  });
});

describe('hand-off to real-time evaluation', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  const touches = async (): Promise<string[]> =>
    (await db.dataSource.query(`SELECT profile_id FROM realtime_touches ORDER BY id`)).map((row: { profile_id: string }) => row.profile_id);

  it('hands every touched profile over in the transaction that stores its events, a merge loser included', async () => {
    const service = new IngestionService(db.dataSource);
    await db.dataSource.query(`DELETE FROM realtime_touches`);
    const first = await service.ingest([trackingEvent('track', { anonymousId: 'anon-rt', event: 'Viewed' })]);
    const second = await service.ingest([trackingEvent('track', { userId: 'user-rt', event: 'Viewed' })]);
    expect(await touches()).toEqual([first.profileIds[0], second.profileIds[0]]);
    await db.dataSource.query(`DELETE FROM realtime_touches`);
    // The identify links both: one profile absorbs the other, and both are handed over (the loser leaves its segments).
    await service.ingest([trackingEvent('identify', { userId: 'user-rt', anonymousId: 'anon-rt', traits: {} })]);
    expect((await touches()).sort()).toEqual([first.profileIds[0], second.profileIds[0]].sort());
  });

  it('never stores an event without its hand-off, nor a hand-off without its event; hands nothing over when real time is off', async () => {
    await db.dataSource.query(`DELETE FROM realtime_touches`);
    const service = new IngestionService(db.dataSource, { maxAttempts: 1 });
    const eventsOf = async (userId: string) =>
      (await db.dataSource.query(`SELECT count(*)::int AS n FROM events WHERE user_id = $1`, [userId]))[0].n;
    // The event's COPY fails: no hand-off is left behind.
    await db.dataSource.query(`ALTER TABLE events ADD CONSTRAINT no_failing CHECK (name IS DISTINCT FROM 'Fail Me')`);
    await expect(service.ingest([trackingEvent('track', { userId: 'user-fail', event: 'Fail Me' })])).rejects.toThrow(/no_failing/);
    expect(await touches()).toEqual([]);
    await db.dataSource.query(`ALTER TABLE events DROP CONSTRAINT no_failing`);
    // The hand-off fails: the event is not stored either (one transaction; the client gets an error and retries).
    await db.dataSource.query(`ALTER TABLE realtime_touches ADD CONSTRAINT no_handoff CHECK (false) NOT VALID`);
    await expect(service.ingest([trackingEvent('track', { userId: 'user-lost', event: 'Viewed' })])).rejects.toThrow(/no_handoff/);
    expect(await eventsOf('user-lost')).toBe(0);
    await db.dataSource.query(`ALTER TABLE realtime_touches DROP CONSTRAINT no_handoff`);
    const off = new IngestionService(db.dataSource, { realtimeHandOff: false });
    const stored = await off.ingest([trackingEvent('track', { userId: 'user-off', event: 'Viewed' })]);
    expect(stored.stored).toBe(1);
    expect(await touches()).toEqual([]);
  });
});
