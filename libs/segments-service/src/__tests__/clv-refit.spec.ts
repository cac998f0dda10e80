import {
  clvDefinitionSchema,
  clvOrderSource,
  compileClvOrdersSql,
  fitClvSegment,
  type ClvOrderRow,
  type StoredClvModel,
} from '@audiencekit/segments-domain';
import { AppConfig, JobQueue, QUEUES } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { FitJobView, ModelFitJobsService } from '../model-fit-jobs.service';
import { ModelSegmentsService } from '../model-segments.service';
import { SegmentDefinitionGate } from '../segment-definition.gate';
import { SegmentsService } from '../segments.service';
import { importOrders } from './real-data';

/**
 * Refits of lifetime-value (`clv`) segments (#21) on real Postgres: online_retail_sample.csv
 * imported with the real CLI importer; a segment created on the orders up to 2011-09-30 and refitted,
 * through the fit job, on the orders up to 2011-12-10. The refit is a new version whose model is the
 * library's fit on those orders, with the previous version's metrics beside it; a refit cadence is
 * accepted on a clv segment and the scheduler queues its refits like a propensity segment's.
 */
jest.setTimeout(180_000);

const EARLY = new Date('2011-09-30T00:00:00Z');
const LATE = new Date('2011-12-10T00:00:00Z');

describe('clv refits', () => {
  let db: TestDatabase;
  let queue: JobQueue;
  let segments: SegmentsService;
  let fits: ModelFitJobsService;
  let segmentId: string;
  const definition = { type: 'clv', amountProperty: 'revenue', horizonDays: 90, tier: 'top' };
  const card = (key: string, refitCadence: string | null) => ({
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

  /** What the pure library fits on the orders Postgres returns as of `now`. */
  async function libraryFit(now: Date): Promise<StoredClvModel> {
    const parsed = clvDefinitionSchema.parse(definition);
    const sql = compileClvOrdersSql(clvOrderSource(parsed), { now });
    return fitClvSegment(parsed, await db.dataSource.query<ClvOrderRow[]>(sql.text, sql.values), now);
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    await importOrders(db.url, 'online_retail_sample.csv');
    queue = new JobQueue({ DATABASE_URL: db.url, SHUTDOWN_GRACE_MS: 2_000 } as AppConfig, { queues: [QUEUES.modelFit], role: 'producer' });
    await queue.onModuleInit();
    segments = new SegmentsService(db.dataSource, new SegmentDefinitionGate());
    fits = new ModelFitJobsService(db.dataSource, segments, new SegmentDefinitionGate(), queue, new ModelSegmentsService());
  });

  afterAll(async () => {
    await queue?.onApplicationShutdown();
    await db?.drop();
  });

  it('accepts a refit cadence on a clv segment (it answered 400 not_a_model_segment)', async () => {
    const created = await segments.create(card('value-top', '0 3 * * *'), 'tester', EARLY);
    segmentId = created.id;
    expect(created).toMatchObject({ version: 1, refitCadence: '0 3 * * *' });
    expect((await segments.update(segmentId, { refitCadence: '0 4 * * 1' }, 'tester', EARLY)).refitCadence).toBe('0 4 * * 1');
    expect((await segments.update(segmentId, { refitCadence: '0 3 * * *' }, 'tester', EARLY)).refitCadence).toBe('0 3 * * *');
    const [version1] = await segments.versions(segmentId);
    expect(version1.model).toEqual(JSON.parse(JSON.stringify(await libraryFit(EARLY))));
  });

  it('a refit job fits the orders up to the refit time into a new version, the previous metrics beside it', async () => {
    const job = (await fits.requestRefit(segmentId, 'tester')) as FitJobView;
    expect(job).toMatchObject({ kind: 'refit', state: 'queued', segmentId, work: 0 });
    const done = await fits.execute(job.id, LATE);
    expect(done).toMatchObject({ state: 'succeeded', result: { segment: { id: segmentId, version: 2 } } });

    const [version1, version2] = await segments.versions(segmentId);
    const expected = await libraryFit(LATE);
    // The model of the refit is the library's fit on the later orders: more customers, new parameters.
    expect(version2.model).toEqual(JSON.parse(JSON.stringify(expected)));
    expect(version2.definition).toEqual(version1.definition);
    expect(expected.profiles).toBeGreaterThan((version1.model as unknown as StoredClvModel).profiles);
    expect(version2.metrics).toEqual({
      kind: 'clv',
      fittedAt: LATE.toISOString(),
      profiles: expected.profiles,
      repeatCustomers: expected.model.fit.repeatCustomers,
      bgNbdLogLikelihood: expected.model.fit.bgNbdLogLikelihood,
      gammaGammaLogLikelihood: expected.model.fit.gammaGammaLogLikelihood,
      horizonDays: 90,
      thresholds: expected.thresholds,
    });
    expect(version2.previousMetrics).toEqual({ version: 1, ...version1.metrics });
    expect(version1.metrics).toMatchObject({ kind: 'clv', fittedAt: EARLY.toISOString() });
    expect(version1.metrics?.profiles).toBeLessThan(expected.profiles);
    expect((done.result as { version: { previousMetrics: { version: number } } }).version.previousMetrics.version).toBe(1);
  });

  it('the refit cadence queues one refit per fire time, and each run is a new version', async () => {
    const [{ created_at }] = await db.dataSource.query<{ created_at: Date }[]>(`SELECT created_at FROM segments WHERE id = $1`, [
      segmentId,
    ]);
    const nextDay = new Date(created_at.getTime() + 26 * 3_600_000);
    const queued = await fits.enqueueDueRefits(nextDay);
    expect(queued).toHaveLength(1);
    expect(await fits.enqueueDueRefits(nextDay)).toEqual([]);
    expect(await fits.get(queued[0])).toMatchObject({ kind: 'refit', segmentId, state: 'queued', work: 0 });
    const done = await fits.execute(queued[0], LATE);
    expect(done).toMatchObject({ state: 'succeeded', result: { segment: { version: 3 } } });
    const versions = await segments.versions(segmentId);
    expect(versions.map((version) => version.version)).toEqual([1, 2, 3]);
    expect(versions[2].previousMetrics).toEqual({ version: 2, ...versions[1].metrics });
  });

  it('a refit with no order by the refit time is refused on the job, naming the field; no version is written', async () => {
    const job = (await fits.requestRefit(segmentId, 'tester')) as FitJobView;
    const done = await fits.execute(job.id, new Date('2010-01-01T00:00:00Z'));
    expect(done.state).toBe('failed');
    expect(done.error).toMatchObject({ code: 'no_purchases_in_window', details: [{ path: 'definition.orderEvent' }] });
    expect((await segments.versions(segmentId)).map((version) => version.version)).toEqual([1, 2, 3]);
  });
});
