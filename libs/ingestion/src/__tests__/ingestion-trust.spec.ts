import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { IngestionService, TRACKING_LIMITS } from '../index';
import { trackingEvent } from './events';

// Issue #16: what a message may change depends on when it was received and who sent it.
describe('IngestionService: timestamps, consent, sources', () => {
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
  const profile = async (id: string | null) =>
    (
      await query<{ traits: Record<string, unknown>; last_seen_at: Date }>(`SELECT traits, last_seen_at FROM profiles WHERE id = $1`, [id])
    )[0];
  const identities = (profileId: string | null) =>
    query<{ type: string; value: string }>(`SELECT type, value FROM identities WHERE profile_id = $1 ORDER BY type, value`, [profileId]);
  const sourceA = '00000000-0000-4000-8000-00000000000a';
  const sourceB = '00000000-0000-4000-8000-00000000000b';

  describe('timestamps from the future', () => {
    it('lets a later real unsubscribe win over an opt-in dated 9999-12-31', async () => {
      const anHourAgo = new Date(Date.now() - 60 * 60 * 1000);
      const optIn = await service.ingest([
        trackingEvent(
          'identify',
          { userId: 'u-future', timestamp: '9999-12-31T23:59:59Z', traits: { unsubscribed: false, plan: 'pro' } },
          anHourAgo,
        ),
      ]);
      await service.ingest([
        trackingEvent('identify', {
          userId: 'u-future',
          timestamp: new Date().toISOString(),
          traits: { unsubscribed: true, plan: 'free' },
        }),
      ]);
      const { traits } = await profile(optIn.profileIds[0]);
      expect(traits['unsubscribed']).toBe(true);
      // Ordinary traits are clamped too: the real update, received later, is the newer one.
      expect(traits['plan']).toBe('free');
    });

    it('clamps last_seen_at and the stored event time to the receipt plus the allowed skew', async () => {
      const before = Date.now();
      const result = await service.ingest([
        trackingEvent('track', { userId: 'u-future-seen', event: 'Opened', timestamp: '9999-12-31T00:00:00Z' }),
      ]);
      const latest = Date.now() + TRACKING_LIMITS.maxFutureSkewMs;
      const seen = (await profile(result.profileIds[0])).last_seen_at.getTime();
      expect(seen).toBeGreaterThanOrEqual(before + TRACKING_LIMITS.maxFutureSkewMs);
      expect(seen).toBeLessThanOrEqual(latest);
      const [event] = await query<{ timestamp: Date }>(`SELECT timestamp FROM events WHERE profile_id = $1`, [result.profileIds[0]]);
      expect(event.timestamp.getTime()).toBe(seen);
    });
  });

  describe('messageId de-duplication per source', () => {
    it("stores source B's message even when source A sent the same messageId first", async () => {
      const fromA = trackingEvent('track', { messageId: 'shared-id-1', userId: 'u-source-a', event: 'A' });
      const fromB = trackingEvent('track', { messageId: 'shared-id-1', userId: 'u-source-b', event: 'B' });
      expect(await service.ingest([fromA], { sourceId: sourceA })).toMatchObject({ stored: 1, duplicates: 0 });
      expect(await service.ingest([fromB], { sourceId: sourceB })).toMatchObject({ stored: 1, duplicates: 0 });
      expect(await service.ingest([fromA], { sourceId: sourceA })).toMatchObject({ stored: 0, duplicates: 1 });
      const rows = await query(`SELECT source_id, name FROM events WHERE message_id = 'shared-id-1' ORDER BY name`);
      expect(rows).toEqual([
        { source_id: sourceA, name: 'A' },
        { source_id: sourceB, name: 'B' },
      ]);
    });

    it('keeps the two sources apart within one group commit, and a fresh service (no lookup first) too', async () => {
      const fresh = new IngestionService(db.dataSource);
      const fromA = trackingEvent('track', { messageId: 'shared-id-2', userId: 'u-source-a', event: 'A' });
      const fromB = trackingEvent('track', { messageId: 'shared-id-2', userId: 'u-source-b', event: 'B' });
      const results = await Promise.all([
        fresh.ingest([fromA], { sourceId: sourceA }),
        fresh.ingest([fromB], { sourceId: sourceB }),
        fresh.ingest([fromA], { sourceId: sourceA }),
      ]);
      expect(results.map((result) => result.stored)).toEqual([1, 1, 0]);
      expect(await query(`SELECT count(*)::int AS n FROM events WHERE message_id = 'shared-id-2'`)).toEqual([{ n: 2 }]);
    });
  });

  describe('client (browser) sources', () => {
    it("cannot redirect someone's messages: a second email for a known person is refused, nothing is stored", async () => {
      const victim = await service.ingest([trackingEvent('identify', { userId: 'victim', traits: { email: 'victim@example.com' } })], {
        sourceId: sourceA,
        trust: 'server',
      });
      const attack = trackingEvent('identify', { userId: 'victim', traits: { email: 'attacker@example.com', name: 'Mallory' } });
      const result = await service.ingest([attack], { sourceId: sourceB, trust: 'client' });
      expect(result).toMatchObject({
        stored: 0,
        duplicates: 0,
        rejected: [
          {
            index: 0,
            messageId: attack.messageId,
            errors: [
              {
                path: 'traits.email',
                message: expect.stringMatching(/client source may not add an email to a profile that already has one/),
              },
            ],
          },
        ],
      });
      expect(await identities(victim.profileIds[0])).toEqual([
        { type: 'email', value: 'victim@example.com' },
        { type: 'user_id', value: 'victim' },
      ]);
      expect((await profile(victim.profileIds[0])).traits).toEqual({ email: 'victim@example.com' });
      expect(await query(`SELECT count(*)::int AS n FROM events WHERE message_id = $1`, [attack.messageId])).toEqual([{ n: 0 }]);
    });

    it('cannot merge a profile holding another email into a known person', async () => {
      const victim = await service.ingest([trackingEvent('identify', { userId: 'victim-2', traits: { email: 'victim2@example.com' } })], {
        trust: 'server',
      });
      // The attacker's own browser profile: new, so a client source may give it an email.
      await service.ingest([trackingEvent('identify', { anonymousId: 'anon-attacker', traits: { email: 'attacker2@example.com' } })], {
        trust: 'client',
      });
      const link = trackingEvent('track', { userId: 'victim-2', anonymousId: 'anon-attacker', event: 'Login' });
      const result = await service.ingest([link], { trust: 'client' });
      expect(result.rejected).toEqual([
        { index: 0, messageId: link.messageId, errors: [{ path: 'anonymousId', message: expect.stringMatching(/merge .* email/) }] },
      ]);
      expect(await identities(victim.profileIds[0])).toEqual([
        { type: 'email', value: 'victim2@example.com' },
        { type: 'user_id', value: 'victim-2' },
      ]);
    });

    it('may still do what browsers do: new people, logins from new devices, a first email', async () => {
      const browsing = await service.ingest([trackingEvent('page', { anonymousId: 'anon-signup', name: 'Home' })], { trust: 'client' });
      const signup = await service.ingest(
        [trackingEvent('identify', { anonymousId: 'anon-signup', userId: 'u-signup', traits: { email: 'signup@example.com' } })],
        { trust: 'client' },
      );
      const otherDevice = await service.ingest(
        [trackingEvent('track', { anonymousId: 'anon-signup-phone', userId: 'u-signup', event: 'Opened' })],
        { trust: 'client' },
      );
      expect([signup, otherDevice].map((result) => [result.stored, result.rejected])).toEqual([
        [1, []],
        [1, []],
      ]);
      expect(otherDevice.profileIds).toEqual(browsing.profileIds);
      expect(await identities(browsing.profileIds[0])).toEqual([
        { type: 'anonymous_id', value: 'anon-signup' },
        { type: 'anonymous_id', value: 'anon-signup-phone' },
        { type: 'email', value: 'signup@example.com' },
        { type: 'user_id', value: 'u-signup' },
      ]);
    });

    it('cannot change consent traits; a server source can', async () => {
      const server = await service.ingest([trackingEvent('identify', { userId: 'u-consent', traits: { unsubscribed: true } })], {
        trust: 'server',
      });
      const optIn = trackingEvent('identify', { userId: 'u-consent', traits: { unsubscribed: false, consent: { email: true } } });
      const result = await service.ingest([trackingEvent('track', { userId: 'u-consent', event: 'Fine' }), optIn], { trust: 'client' });
      expect(result).toMatchObject({
        stored: 1,
        duplicates: 0,
        rejected: [
          { index: 1, messageId: optIn.messageId, errors: [{ path: 'traits.unsubscribed', message: expect.stringMatching(/consent/) }] },
        ],
      });
      expect((await profile(server.profileIds[0])).traits['unsubscribed']).toBe(true);
    });

    it('treats a source without a trust level (the CSV import, older callers) as a server source', async () => {
      await service.ingest([trackingEvent('identify', { userId: 'u-server-default', traits: { email: 'one@example.com' } })]);
      const result = await service.ingest([
        trackingEvent('identify', { userId: 'u-server-default', traits: { email: 'two@example.com' } }),
      ]);
      expect(result).toMatchObject({ stored: 1, rejected: [] });
    });
  });
});
