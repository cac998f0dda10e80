import { createTestDatabase, SpawnedProcess, spawnTs, TestDatabase, waitUntil } from '@audiencekit/testing';

/**
 * A real worker process scores the configured events' text on its own (TextSignalScoringJobs) and
 * keeps scoring events that arrive while it runs; events of other names are left alone.
 */
describe('text-signal scoring in the worker', () => {
  let db: TestDatabase;
  let worker: SpawnedProcess | undefined;

  beforeAll(async () => {
    db = await createTestDatabase();
  });

  afterAll(async () => {
    if (worker && worker.child.exitCode === null) worker.child.kill('SIGKILL');
    await db.drop();
  });

  it('stores sentiment and tags in events.signals, for events already there and events arriving later', async () => {
    const [profile] = await db.dataSource.query(`INSERT INTO profiles (traits) VALUES ('{}') RETURNING id`);
    const insert = (messageId: string, name: string, text: string) =>
      db.dataSource.query(
        `INSERT INTO events (message_id, profile_id, type, name, timestamp, properties) VALUES ($1, $2, 'track', $3, now(), $4)`,
        [messageId, profile.id, name, JSON.stringify({ text })],
      );
    await db.dataSource.query(`INSERT INTO text_signal_configs (event, property, vocabularies) VALUES ('Review Submitted', 'text', $1)`, [
      JSON.stringify({ 'price-sensitive': ['price', 'expensive'] }),
    ]);
    await insert('before', 'Review Submitted', 'Far too expensive. Terrible.');
    await insert('other', 'Product Viewed', 'Far too expensive. Terrible.');
    worker = spawnTs('apps/worker/src/main.ts', { DATABASE_URL: db.url, LOG_LEVEL: 'info' });
    await worker.waitFor(/audiencekit-worker up/, 30_000);
    const signalsOf = async (messageId: string) =>
      (await db.dataSource.query(`SELECT signals FROM events WHERE message_id = $1`, [messageId]))[0].signals;
    await waitUntil(async () => (await signalsOf('before')) !== null, 20_000);
    expect(await signalsOf('before')).toEqual({
      sentiment: { compound: expect.any(Number), label: 'negative', negative: 1 },
      tags: ['price-sensitive'],
    });
    await insert('after', 'Review Submitted', 'Lovely, great price!');
    await waitUntil(async () => (await signalsOf('after')) !== null, 20_000);
    expect(await signalsOf('after')).toMatchObject({ sentiment: { label: 'positive', negative: 0 }, tags: ['price-sensitive'] });
    expect(await signalsOf('other')).toBeNull();
    const [config] = await db.dataSource.query(`SELECT events_scored FROM text_signal_configs`);
    expect(config.events_scored).toBe('2');
  });
});
