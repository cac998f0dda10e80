import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { buildEngine, recordingConnector, seedActivation, seedSegment, syncNow } from './sync-fixtures';

// The real cancel check (a real query), made slower, so every lane is inside its round trip at once.
jest.mock('../data/run-control.repository', () => {
  const actual = jest.requireActual('../data/run-control.repository');
  return {
    ...actual,
    cancelRequested: async (...args: unknown[]) => {
      await new Promise((resolve) => setTimeout(resolve, 150));
      return actual.cancelRequested(...args);
    },
  };
});

/**
 * Batch lanes share one cursor over the batches. The cancel check between batches is a database
 * round trip; a lane must check, after it, that a batch is still left, or two lanes that both saw "one batch left"
 * claim it and the one after the end (a TypeError on `undefined.length` that failed the run,
 * seen first in the holdout property spec's real-time deltas).
 */
describe('sync lanes', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('delivers every batch exactly once when several lanes wait on the cancel check together', async () => {
    const connector = recordingConnector({ slug: 'lanes', limits: { maxBatchSize: 1, maxConcurrency: 3, maxRequestsPerSecond: 1000 } });
    // One page of five one-member batches: four lanes (concurrency 3 + 1) share it.
    const engine = buildEngine(db.dataSource, [connector.definition], { pageSize: 50 });
    const { segmentId, profileIds } = await seedSegment(db.dataSource, 5);
    const { activationId } = await seedActivation(db.dataSource, { segmentId, connector: 'lanes', mode: 'add_only' });

    const { run } = await syncNow(engine, activationId);

    expect(run.status).toBe('succeeded');
    expect(connector.calls).toHaveLength(5);
    expect([...connector.received('upsert')].sort()).toEqual([...profileIds].sort());
  });
});
