import type { JobQueue } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase, waitUntil } from '@audiencekit/testing';
import { SegmentDefinitionGate } from '../segment-definition.gate';
import { SegmentRefreshService } from '../segment-refresh.service';
import { SegmentsService } from '../segments.service';

/**
 * Cancel and retry of refreshes against a real Postgres: a queued run is cancelled before it runs;
 * a running one, held mid-transaction by a lock on the membership table, rolls back at its commit
 * (membership, changes and events untouched) and ends `cancelled`; a retry is a new run that applies.
 */
describe('refresh run control', () => {
  let db: TestDatabase;
  let refresh: SegmentRefreshService;
  let segmentId: string;
  const jobs: unknown[] = [];

  const count = async (sql: string): Promise<number> => Number((await db.dataSource.query(sql, [segmentId]))[0].count);
  const members = () => count(`SELECT count(*) FROM segment_memberships WHERE segment_id = $1`);
  const statusOf = async (runId: string): Promise<string> =>
    (await db.dataSource.query(`SELECT status FROM segment_runs WHERE id = $1`, [runId]))[0].status;

  const queued = async () => {
    const run = await refresh.requestRefresh(segmentId, 'api');
    if (!run) throw new Error('the refresh was not queued');
    return run;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    const gate = new SegmentDefinitionGate();
    const queue = {
      sendInTransaction: async (_manager: unknown, _name: string, data: unknown) => void jobs.push(data),
    } as unknown as JobQueue;
    const segments = new SegmentsService(db.dataSource, gate);
    refresh = new SegmentRefreshService(db.dataSource, segments, gate, queue);
    for (let index = 0; index < 5; index++) await db.dataSource.query(`INSERT INTO profiles (traits) VALUES ('{"plan": "pro"}')`);
    const created = await segments.create(
      {
        key: 'pro',
        name: 'Pro',
        owner: 'crm',
        description: '',
        refreshCadence: 'manual',
        definition: { type: 'rules', match: { type: 'trait', trait: 'plan', operator: 'equals', value: 'pro' } },
      } as never,
      null,
    );
    segmentId = created.id;
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('cancels a queued run: it never runs; cancelling it again is refused', async () => {
    const run = await queued();
    expect(await refresh.cancel(segmentId, run.id)).toMatchObject({ status: 'cancelled', cancelRequestedAt: expect.any(Date) });
    expect(await refresh.execute(run.id)).toEqual({ status: 'skipped' });
    expect(await members()).toBe(0);
    await expect(refresh.cancel(segmentId, run.id)).rejects.toMatchObject({ code: 'run_not_cancellable' });
  });

  it('a running refresh cancelled mid-transaction rolls back at its commit; a retry is a new run that applies', async () => {
    const run = await queued();
    // Hold the refresh at its first write to the membership: reads pass, writes wait for this lock.
    const blocker = db.dataSource.createQueryRunner();
    await blocker.connect();
    await blocker.startTransaction();
    await blocker.query(`LOCK TABLE segment_memberships IN EXCLUSIVE MODE`);
    const executing = refresh.execute(run.id);
    await waitUntil(
      async () =>
        Number(
          (
            await db.dataSource.query(
              `SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = 'segment_memberships'::regclass AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
            )
          )[0].count,
        ) > 0,
    );
    expect(await statusOf(run.id)).toBe('running');
    expect(await refresh.cancel(segmentId, run.id)).toMatchObject({ status: 'running', cancelRequestedAt: expect.any(Date) });
    await blocker.commitTransaction();
    await blocker.release();
    expect(await executing).toEqual({ status: 'cancelled' });
    expect(await statusOf(run.id)).toBe('cancelled');
    expect(await members()).toBe(0);
    expect(await count(`SELECT count(*) FROM segment_membership_changes WHERE segment_id = $1`)).toBe(0);
    expect(await count(`SELECT count(*) FROM events WHERE name = 'Segment Entered' AND properties->>'segment_id' = $1::text`)).toBe(0);

    const retried = await refresh.retry(segmentId, run.id);
    expect(retried).toMatchObject({ status: 'queued', trigger: 'retry' });
    expect(retried.id).not.toBe(run.id);
    expect(await refresh.execute(retried.id)).toMatchObject({ status: 'succeeded', size: 5 });
    expect(await members()).toBe(5);
    await expect(refresh.retry(segmentId, retried.id)).rejects.toMatchObject({ code: 'run_not_retryable' });
    await expect(refresh.cancel(segmentId, retried.id)).rejects.toMatchObject({ code: 'run_not_cancellable' });
  });

  it('refuses a run of another segment, or an unknown one, as not found', async () => {
    await expect(refresh.cancel(segmentId, '00000000-0000-4000-8000-000000000000')).rejects.toMatchObject({ code: 'run_not_found' });
    await expect(refresh.retry(segmentId, 'not-a-uuid')).rejects.toMatchObject({ code: 'run_not_found' });
  });
});
