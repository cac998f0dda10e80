import { AppConfig, JobQueue, QUEUES } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { FitJobView, ModelFitJobsService } from '../model-fit-jobs.service';
import { ModelSegmentsService } from '../model-segments.service';
import { SegmentDefinitionGate } from '../segment-definition.gate';
import { SegmentsService } from '../segments.service';

/**
 * Model fits as worker jobs (#21) through the service on a real Postgres: queued with the work
 * checked against the cap first (400 naming the field and the cap, nothing queued), executed as the
 * worker does, refusals stored on the job, and refits on the segment's refit cadence, one per fire
 * time, each a new version with the previous version's metrics beside it.
 */
jest.setTimeout(120_000);

describe('model fit jobs', () => {
  let db: TestDatabase;
  let queue: JobQueue;
  let segments: SegmentsService;
  let fits: ModelFitJobsService;
  const query = <T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> => db.dataSource.query(sql, params);
  const count = async (table: string) => (await query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`))[0].n;
  const queuedInPgBoss = async () =>
    (await query<{ n: number }>(`SELECT count(*)::int AS n FROM pgboss.job WHERE name = $1`, [QUEUES.modelFit]))[0].n;
  const cluster = (overrides: Record<string, unknown> = {}) => ({
    type: 'cluster',
    population: 'all',
    k: 2,
    cluster: 0,
    seed: 5,
    restarts: 10,
    features: [
      { source: 'trait', trait: 'age' },
      { source: 'trait', trait: 'visits' },
    ],
    ...overrides,
  });
  const card = (key: string, definition: Record<string, unknown>, refitCadence: string | null = null) => ({
    key,
    name: key,
    description: '',
    owner: 'test',
    refreshCadence: 'manual',
    refitCadence,
    kpi: null,
    status: 'active' as const,
    qualityThresholds: { minSize: 1, maxChurn: 10 },
    definition,
  });
  const serviceWithCaps = (caps: { AK_FIT_WORK_CAP: number; AK_PROPENSITY_WORK_CAP: number }) =>
    new ModelFitJobsService(db.dataSource, segments, new SegmentDefinitionGate(), queue, new ModelSegmentsService(), caps as AppConfig);

  beforeAll(async () => {
    db = await createTestDatabase();
    queue = new JobQueue({ DATABASE_URL: db.url, SHUTDOWN_GRACE_MS: 2_000 } as AppConfig, { queues: [QUEUES.modelFit], role: 'producer' });
    await queue.onModuleInit();
    segments = new SegmentsService(db.dataSource, new SegmentDefinitionGate());
    fits = new ModelFitJobsService(db.dataSource, segments, new SegmentDefinitionGate(), queue, new ModelSegmentsService());
    // 40 profiles in two planted groups: young frequent visitors and older occasional ones.
    await query(
      `INSERT INTO profiles (id, traits, first_seen_at)
       SELECT md5('fit:' || n)::uuid,
              jsonb_build_object('age', CASE WHEN n % 2 = 0 THEN 20 + n % 5 ELSE 60 + n % 7 END,
                                 'visits', CASE WHEN n % 2 = 0 THEN 30 + n % 4 ELSE 2 + n % 3 END),
              '2025-06-01T00:00:00Z'
       FROM generate_series(1, 40) AS n`,
    );
  });

  afterAll(async () => {
    await queue?.onApplicationShutdown();
    await db?.drop();
  });

  it('queues a create (202 material: nothing written but the job and its pg-boss job), and the worker writes version 1 with its metrics', async () => {
    const job = await fits.requestCreate(card('groups', cluster()), 'key-1');
    expect(job).toMatchObject({ kind: 'create', state: 'queued', progress: 0, work: 10 * 1 * 40, url: `/segments/fits/${job?.id}` });
    expect(await count('segments')).toBe(0);
    expect(await queuedInPgBoss()).toBe(1);

    const done = await fits.execute((job as FitJobView).id);
    expect(done).toMatchObject({ state: 'succeeded', stage: 'succeeded', progress: 1 });
    const result = done.result as {
      segment: { id: string; version: number };
      version: { version: number; metrics: { kind: string; profiles: number } };
    };
    expect(result.segment.version).toBe(1);
    expect(result.version.metrics).toMatchObject({ kind: 'cluster', profiles: 40 });
    expect(done.segmentId).toBe(result.segment.id);
    expect(await fits.get((job as FitJobView).id)).toEqual(done);
    // Executed again (a re-delivery after it finished): nothing more is written.
    await fits.execute((job as FitJobView).id);
    expect(await count('segment_versions')).toBe(1);
  });

  it('refuses work above the cap with a 400 naming the field and the cap, before anything is queued', async () => {
    const capped = serviceWithCaps({ AK_FIT_WORK_CAP: 1_000, AK_PROPENSITY_WORK_CAP: 1_000 });
    const jobsBefore = await count('model_fit_jobs');
    const pgBossBefore = await queuedInPgBoss();
    // k = 2..10 (9 k) × 10 restarts × 40 rows = 3,600 > 1,000.
    await expect(capped.requestChooseK(cluster(), { kMin: 2, kMax: 10 })).rejects.toMatchObject({
      code: 'fit_work_over_cap',
      message: expect.stringContaining('cap of 1000'),
      details: [{ path: 'kMax', message: expect.stringContaining('10 restarts × 9 k × 40 profiles = 3600') }],
    });
    // One k × 50 restarts × 40 rows = 2,000 > 1,000.
    await expect(capped.requestCreate(card('big', cluster({ restarts: 50 })), null)).rejects.toMatchObject({
      code: 'fit_work_over_cap',
      details: [{ path: 'definition.restarts' }],
    });
    const propensity = {
      type: 'propensity',
      population: 'all',
      outcome: { event: 'Order Completed', withinDays: 30 },
      cutoff: '2026-01-01T00:00:00Z',
      tier: 'top',
      features: [{ source: 'trait', trait: 'age' }],
    };
    // 40 rows × 1 feature × 100 iterations = 4,000 > 1,000.
    await expect(capped.requestCreate(card('likely', propensity), null)).rejects.toMatchObject({
      code: 'fit_work_over_cap',
      details: [{ path: 'definition.features', message: expect.stringContaining('40 profiles × 1 features × 100 iterations') }],
    });
    // Just under the cap (2 k × 10 restarts × 40 rows = 800) is queued.
    expect(await capped.requestChooseK(cluster(), { kMin: 2, kMax: 3 })).toMatchObject({ state: 'queued', work: 800 });
    expect(await count('model_fit_jobs')).toBe(jobsBefore + 1);
    expect(await queuedInPgBoss()).toBe(pgBossBefore + 1);
  });

  it('runs a k choice with per-k progress and stores the curves; the planted groups give k = 2', async () => {
    const job = await fits.requestChooseK(cluster(), { kMin: 2, kMax: 5 });
    const stages: string[] = [];
    const observing = new ModelFitJobsService(db.dataSource, segments, new SegmentDefinitionGate(), queue, new ModelSegmentsService());
    const progress = jest.spyOn(db.dataSource.manager, 'query');
    const done = await observing.execute(job.id);
    for (const call of progress.mock.calls)
      if (String(call[0]).startsWith('UPDATE model_fit_jobs SET stage')) stages.push(String((call[1] as unknown[])[1]));
    progress.mockRestore();
    expect(stages).toEqual(['reading features', 'fitting k = 2', 'fitting k = 3', 'fitting k = 4', 'fitting k = 5']);
    expect(done).toMatchObject({ state: 'succeeded', progress: 1, result: { profiles: 40, bestBySilhouette: 2 } });
    expect((done.result as { candidates: { k: number }[] }).candidates.map((c) => c.k)).toEqual([2, 3, 4, 5]);
  });

  it('stores a refusal of the fit on the failed job, and writes nothing', async () => {
    await query(`INSERT INTO profiles (traits, first_seen_at) VALUES ('{"flat": 1}', now())`);
    const job = await fits.requestCreate(
      card(
        'flat',
        cluster({
          population: 'all',
          features: [
            { source: 'trait', trait: 'age' },
            { source: 'trait', trait: 'visits' },
          ],
          imputation: 'reject',
        }),
      ),
      null,
    );
    const done = await fits.execute((job as FitJobView).id);
    expect(done.state).toBe('failed');
    expect(done.error).toMatchObject({ code: 'missing_values', details: [{ path: expect.stringMatching(/^definition\.features\.0/) }] });
    expect(await query(`SELECT 1 FROM segments WHERE key = 'flat'`)).toEqual([]);
    await query(`DELETE FROM profiles WHERE traits = '{"flat": 1}'`);
  });

  it('refits on the refit cadence: one job per fire time across workers, a new version with the old metrics beside it', async () => {
    const created = await fits.execute(((await fits.requestCreate(card('fresh', cluster(), '0 3 * * *'), null)) as FitJobView).id);
    const segmentId = created.segmentId as string;
    expect((await segments.get(segmentId)).refitCadence).toBe('0 3 * * *');
    const [{ created_at }] = await query<{ created_at: Date }>(`SELECT created_at FROM segments WHERE id = $1`, [segmentId]);
    const nextDay = new Date(created_at.getTime() + 26 * 3_600_000);
    // Two workers tick at once: one job for the fire time.
    const other = new ModelFitJobsService(db.dataSource, segments, new SegmentDefinitionGate(), queue, new ModelSegmentsService());
    const [mine, theirs] = await Promise.all([fits.enqueueDueRefits(nextDay), other.enqueueDueRefits(nextDay)]);
    expect([...mine, ...theirs]).toHaveLength(1);
    expect(await fits.enqueueDueRefits(nextDay)).toEqual([]);
    const [refitJob] = [...mine, ...theirs];
    expect(await fits.get(refitJob)).toMatchObject({ kind: 'refit', segmentId, state: 'queued' });

    // The data moved before the refit: more profiles.
    await query(
      `INSERT INTO profiles (traits, first_seen_at) SELECT jsonb_build_object('age', 40 + n % 3, 'visits', 10 + n % 2), now() FROM generate_series(1, 6) n`,
    );
    const refit = await fits.execute(refitJob);
    expect(refit).toMatchObject({ state: 'succeeded', result: { segment: { version: 2 } } });
    const versions = await segments.versions(segmentId);
    expect(versions.map((v) => v.version)).toEqual([1, 2]);
    expect(versions[0].previousMetrics).toBeNull();
    expect(versions[1].metrics).toMatchObject({ kind: 'cluster', profiles: 46 });
    expect(versions[1].previousMetrics).toEqual({ version: 1, ...versions[0].metrics });
    expect(versions[0].metrics).toMatchObject({ profiles: 40 });
    expect((await fits.ofSegment(segmentId)).map((job) => [job.kind, job.state])).toEqual([
      ['refit', 'succeeded'],
      ['create', 'succeeded'],
    ]);
    // The next day's fire time queues the next refit.
    expect(await fits.enqueueDueRefits(new Date(nextDay.getTime() + 24 * 3_600_000))).toHaveLength(1);
  });

  it('refuses a refit cadence on a segment without a model, naming refitCadence', async () => {
    const rules = { type: 'rules', match: { type: 'trait', trait: 'age', operator: 'gt', value: 30 } };
    await expect(segments.create(card('old', rules, '0 3 * * *'), null)).rejects.toMatchObject({
      code: 'not_a_model_segment',
      details: [{ path: 'refitCadence' }],
    });
    expect(await fits.requestCreate(card('old', rules), null)).toBeNull();
  });
});
