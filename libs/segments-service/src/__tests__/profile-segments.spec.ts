import { EXAMPLE_SEGMENTS } from '@audiencekit/segments-domain';
import type { JobQueue } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { ProfileSegmentsService } from '../profile-segments.service';
import { SegmentDefinitionGate } from '../segment-definition.gate';
import { SegmentRefreshService } from '../segment-refresh.service';
import { SegmentsService } from '../segments.service';
import { SeededRandom, randomDefinition, randomEvents, randomTraits } from './random-rules';

/**
 * One profile evaluated in memory against every live rules segment agrees with what a refresh
 * (compiled SQL in Postgres) put in the membership; a new event then shows up at once as an
 * entry or an exit, before any refresh.
 */
describe('a profile evaluated in memory against the live segments', () => {
  const now = new Date('2026-06-15T12:00:00.000Z');
  let database: TestDatabase;
  let profiles: ProfileSegmentsService;
  const profileIds: string[] = [];
  const segmentIds = new Map<string, string>();

  const insertEvent = (profileId: string, name: string, timestamp: Date, properties: Record<string, unknown> = {}) =>
    database.dataSource.query(
      `INSERT INTO events (message_id, profile_id, type, name, timestamp, properties) VALUES (gen_random_uuid()::text, $1, 'track', $2, $3, $4)`,
      [profileId, name, timestamp, properties],
    );

  beforeAll(async () => {
    database = await createTestDatabase();
    const gate = new SegmentDefinitionGate();
    const refresh = new SegmentRefreshService(
      database.dataSource,
      new SegmentsService(database.dataSource, gate),
      gate,
      undefined as unknown as JobQueue,
    );
    profiles = new ProfileSegmentsService(database.dataSource);
    const random = new SeededRandom(424242);
    for (let index = 0; index < 80; index += 1) {
      const [row] = await database.dataSource.query(`INSERT INTO profiles (traits) VALUES ($1) RETURNING id`, [randomTraits(random)]);
      profileIds.push(row.id);
      for (const event of randomEvents(random, now)) await insertEvent(row.id, event.name, event.timestamp, event.properties);
    }
    // The seed examples first (random definitions may refer to them), then random ones.
    const definitions: [string, unknown][] = [
      ...Object.values(EXAMPLE_SEGMENTS).map((example): [string, unknown] => [example.key, example.definition]),
      ...Array.from({ length: 12 }, (_, index): [string, unknown] => [
        `random-${index}`,
        randomDefinition(random, ['cart-abandoner', 'vip']),
      ]),
    ];
    for (const [key, definition] of definitions) {
      const [segment] = await database.dataSource.query(
        `INSERT INTO segments (key, name, owner, refresh_cadence, current_version) VALUES ($1, $1, 'test', 'manual', 1) RETURNING id`,
        [key],
      );
      segmentIds.set(key, segment.id);
      await database.dataSource.query(`INSERT INTO segment_versions (segment_id, version, definition) VALUES ($1, 1, $2)`, [
        segment.id,
        definition,
      ]);
      const [run] = await database.dataSource.query(
        `INSERT INTO segment_runs (segment_id, version, status, trigger) VALUES ($1, 1, 'queued', 'manual') RETURNING id`,
        [segment.id],
      );
      expect(await refresh.execute(run.id, now)).toMatchObject({ status: 'succeeded' });
    }
  }, 60_000);

  afterAll(async () => {
    await database?.drop();
  });

  it('agrees with the refreshed membership for every profile and segment', async () => {
    let members = 0;
    for (const profileId of profileIds) {
      const verdicts = await profiles.evaluate(profileId, now);
      expect(verdicts).toHaveLength(segmentIds.size);
      for (const verdict of verdicts) {
        if (verdict.matches !== verdict.member)
          throw new Error(`profile ${profileId}, segment ${verdict.key}: in memory ${verdict.matches}, refreshed ${verdict.member}`);
        members += verdict.member ? 1 : 0;
      }
    }
    // Enough memberships that agreement is not just "nobody anywhere".
    expect(members).toBeGreaterThan(50);
  });

  it('tells at once that a profile has entered or left a segment', async () => {
    const [newcomer] = await database.dataSource.query(`INSERT INTO profiles (traits) VALUES ('{}') RETURNING id`);
    const cart = async (profileId: string) => (await profiles.evaluate(profileId, now)).find((verdict) => verdict.key === 'cart-abandoner');
    expect(await cart(newcomer.id)).toMatchObject({ matches: false, member: false, entering: false });
    await insertEvent(newcomer.id, 'Product Added', new Date(now.getTime() - 3_600_000));
    expect(await cart(newcomer.id)).toMatchObject({ matches: true, member: false, entering: true, exiting: false });

    const [abandoner] = await database.dataSource.query(`SELECT profile_id FROM segment_memberships WHERE segment_id = $1 LIMIT 1`, [
      segmentIds.get('cart-abandoner'),
    ]);
    expect(await cart(abandoner.profile_id)).toMatchObject({ matches: true, member: true });
    await insertEvent(abandoner.profile_id, 'Order Completed', new Date(now.getTime() - 60_000), { revenue: 10 });
    expect(await cart(abandoner.profile_id)).toMatchObject({ matches: false, member: true, exiting: true, entering: false });
  });

  it('answers 404 for an unknown profile', async () => {
    await expect(profiles.evaluate('00000000-0000-4000-8000-000000000000', now)).rejects.toMatchObject({
      name: 'SegmentsException',
      code: 'profile_not_found',
    });
  });
});
