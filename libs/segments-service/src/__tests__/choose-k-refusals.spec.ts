import { AppConfig, JobQueue, QUEUES } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { ModelFitJobsService } from '../model-fit-jobs.service';
import { ModelSegmentsService } from '../model-segments.service';
import { SegmentDefinitionGate } from '../segment-definition.gate';
import { SegmentsService } from '../segments.service';

/**
 * A k choice on too few profiles (#21) is a 400 at request time naming the reason — nothing queued —
 * instead of a job that fails later (or an empty curve): no live profile, every profile first seen
 * after now, no purchaser in the window, or fewer profiles than kMax + 1 (naming kMax and the
 * largest that fits). Real Postgres.
 */
jest.setTimeout(120_000);

describe('choose-k refusals', () => {
  let db: TestDatabase;
  let queue: JobQueue;
  let fits: ModelFitJobsService;
  const query = <T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> => db.dataSource.query(sql, params);
  const jobs = async () => (await query<{ n: number }>(`SELECT count(*)::int AS n FROM model_fit_jobs`))[0].n;
  const cluster = (population: unknown = 'all') => ({
    type: 'cluster',
    population,
    k: 2,
    cluster: 0,
    features: [
      { source: 'trait', trait: 'age' },
      { source: 'trait', trait: 'visits' },
    ],
  });
  const now = new Date();

  beforeAll(async () => {
    db = await createTestDatabase();
    queue = new JobQueue({ DATABASE_URL: db.url, SHUTDOWN_GRACE_MS: 2_000 } as AppConfig, { queues: [QUEUES.modelFit], role: 'producer' });
    await queue.onModuleInit();
    const segments = new SegmentsService(db.dataSource, new SegmentDefinitionGate());
    fits = new ModelFitJobsService(db.dataSource, segments, new SegmentDefinitionGate(), queue, new ModelSegmentsService());
  });

  afterAll(async () => {
    await queue?.onApplicationShutdown();
    await db?.drop();
  });

  it('no live profile: 400 no_profiles at definition.population', async () => {
    await expect(fits.requestChooseK(cluster(), { kMin: 2, kMax: 5 }, now)).rejects.toMatchObject({
      code: 'no_profiles',
      message: expect.stringContaining('there is no live profile'),
      details: [{ path: 'definition.population' }],
    });
    expect(await jobs()).toBe(0);
  });

  it('every profile first seen after now: 400 no_profiles_seen_by_cutoff saying when they were first seen', async () => {
    await query(
      `INSERT INTO profiles (traits, first_seen_at)
       SELECT jsonb_build_object('age', 20 + n, 'visits', n), $1::timestamptz FROM generate_series(1, 3) n`,
      [new Date(now.getTime() + 86_400_000)],
    );
    await expect(fits.requestChooseK(cluster(), { kMin: 2, kMax: 5 }, now)).rejects.toMatchObject({
      code: 'no_profiles_seen_by_cutoff',
      message: expect.stringContaining('3 profiles exist'),
    });
    expect(await jobs()).toBe(0);
  });

  it('fewer profiles than kMax + 1: 400 too_few_rows at kMax with the count and the largest kMax that fits', async () => {
    await query(
      `INSERT INTO profiles (traits, first_seen_at)
       SELECT jsonb_build_object('age', 20 + n, 'visits', n % 4), '2025-01-01T00:00:00Z' FROM generate_series(1, 5) n`,
    );
    await expect(fits.requestChooseK(cluster(), { kMin: 2, kMax: 8 }, now)).rejects.toMatchObject({
      code: 'too_few_rows',
      message: 'only 5 profile(s) are in the population (live profiles); choosing k up to 8 needs at least 9',
      details: [{ path: 'kMax', message: 'must be at most 4 for 5 profile(s), or widen definition.population' }],
    });
    // kMax = rows is refused too (k-means on k = rows points is no choice); one less is queued.
    await expect(fits.requestChooseK(cluster(), { kMin: 2, kMax: 5 }, now)).rejects.toMatchObject({ code: 'too_few_rows' });
    expect(await jobs()).toBe(0);
    expect(await fits.requestChooseK(cluster(), { kMin: 2, kMax: 4 }, now)).toMatchObject({ kind: 'choose_k', state: 'queued' });
    expect(await jobs()).toBe(1);
  });

  it('purchasers without a purchase in the window: 400 no_purchases_in_window at definition.window', async () => {
    await expect(fits.requestChooseK(cluster('purchasers'), { kMin: 2, kMax: 3 }, now)).rejects.toMatchObject({
      code: 'no_purchases_in_window',
      message: expect.stringContaining('"Order Completed" event in the window "last 365 days"'),
      details: [{ path: 'definition.window' }],
    });
  });

  it('an empty population segment: 400 no_profiles at definition.population.segment', async () => {
    const segments = new SegmentsService(db.dataSource, new SegmentDefinitionGate());
    await segments.create(
      {
        key: 'nobody',
        name: 'nobody',
        description: '',
        owner: 'test',
        refreshCadence: 'manual',
        refitCadence: null,
        kpi: null,
        status: 'active',
        qualityThresholds: { minSize: 0, maxChurn: 10 },
        definition: { type: 'rules', match: { type: 'trait', trait: 'age', operator: 'gt', value: 1000 } },
      },
      null,
    );
    await expect(fits.requestChooseK(cluster({ segment: 'nobody' }), { kMin: 2, kMax: 3 }, now)).rejects.toMatchObject({
      code: 'no_profiles',
      message: expect.stringContaining('"nobody" has no live member'),
      details: [{ path: 'definition.population.segment' }],
    });
  });
});
