import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { ComputedTraitsService } from '../computed-traits.service';

const DAY = 86_400_000;

/**
 * Computed traits on their cadence (`runDue`, what the worker's ComputedTraitJobs calls every
 * SCHEDULER_TICK_MS) against a real Postgres: a trait with a fire time due since its last run (or
 * its creation) runs once, a manual one never; the run is recorded with trigger 'schedule'; the
 * next fire time runs it again.
 */
describe('ComputedTraitsService.runDue', () => {
  let database: TestDatabase;
  let service: ComputedTraitsService;
  let profileId: string;

  const insertTrait = async (key: string, cadence: string, createdAt: Date): Promise<string> => {
    const [trait] = await database.dataSource.query(
      `INSERT INTO computed_traits (key, owner, cadence, current_version, created_at) VALUES ($1, 'crm', $2, 1, $3) RETURNING id`,
      [key, cadence, createdAt],
    );
    await database.dataSource.query(`INSERT INTO computed_trait_versions (trait_id, version, definition) VALUES ($1, 1, $2)`, [
      trait.id,
      JSON.stringify({ function: 'count', event: 'Order Completed', window: 'ever' }),
    ]);
    return trait.id;
  };
  const storedKeys = async (): Promise<string[]> =>
    (await database.dataSource.query(`SELECT key FROM computed_trait_values WHERE profile_id = $1 ORDER BY key`, [profileId])).map(
      (row: { key: string }) => row.key,
    );

  beforeAll(async () => {
    database = await createTestDatabase();
    service = new ComputedTraitsService(database.dataSource);
    const [profile] = await database.dataSource.query(`INSERT INTO profiles (traits) VALUES ('{}') RETURNING id`);
    profileId = profile.id;
    await database.dataSource.query(
      `INSERT INTO events (message_id, profile_id, type, name, timestamp, properties) VALUES ('o1', $1, 'track', 'Order Completed', now(), '{}')`,
      [profileId],
    );
  });

  afterAll(async () => {
    await database?.drop();
  });

  it('runs each due trait once per fire time, never a manual one, and records the scheduled run', async () => {
    const now = new Date();
    const twoDaysAgo = new Date(now.getTime() - 2 * DAY);
    const daily = await insertTrait('orders_daily', '0 3 * * *', twoDaysAgo);
    await insertTrait('orders_realtime', 'realtime', twoDaysAgo);
    await insertTrait('orders_manual', 'manual', twoDaysAgo);
    // Created at `now`: no hourly fire time lies between its creation and `now`.
    await insertTrait('orders_hourly', '0 * * * *', now);

    expect(await service.runDue(now)).toEqual([
      { key: 'orders_daily', status: 'succeeded' },
      { key: 'orders_realtime', status: 'succeeded' },
    ]);
    expect(await storedKeys()).toEqual(['orders_daily', 'orders_realtime']);
    const [card] = await database.dataSource.query(`SELECT last_run_at, last_run FROM computed_traits WHERE id = $1`, [daily]);
    expect(card.last_run).toMatchObject({ key: 'orders_daily', version: 1, trigger: 'schedule', withValue: 1, upserted: 1 });
    expect(card.last_run_at).not.toBeNull();

    // The same fire time again (another worker's tick): nothing is due.
    expect(await service.runDue(now)).toEqual([]);

    // 25 hours later every scheduled trait has a new fire time; the manual one still never runs.
    const tomorrow = new Date(now.getTime() + DAY + DAY / 24);
    expect((await service.runDue(tomorrow)).map((run) => `${run.key} ${run.status}`)).toEqual([
      'orders_daily succeeded',
      'orders_hourly succeeded',
      'orders_realtime succeeded',
    ]);
    expect(await storedKeys()).toEqual(['orders_daily', 'orders_hourly', 'orders_realtime']);
  });
});
