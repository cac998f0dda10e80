import { ModelFitJobsService, SegmentRefreshService } from '@audiencekit/segments-service';
import { ApiKeyService } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { RunningApi, startTestApi } from '../../test/api-test-app';
import { daysAgo, insertEvent, insertProfile } from '../../test/seed-data';

/**
 * RFM, intent × value and cluster segments through the HTTP API: the tier table and plays as data,
 * fit on create, the model in the version, a refit into a new version, refusals as 400s. Fits are
 * worker jobs (#21): the API answers 202 with the job; here the test plays the worker by running
 * the queued job with the service the worker calls (a real worker process: fit-isolation.e2e.spec).
 */
describe('model-backed segments through the API', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let marketerKey: string;
  let viewerKey: string;

  async function call(method: string, path: string, body?: unknown, key = marketerKey): Promise<{ status: number; body: any }> {
    const response = await fetch(`${api.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  }
  /** Plays the worker for a 202: runs the queued fit job, then answers what GET <job.url> shows. */
  async function runFit(accepted: { status: number; body: any }): Promise<any> {
    expect(accepted.status).toBe(202);
    const { job } = accepted.body;
    expect(job).toMatchObject({ state: 'queued', progress: 0, url: `/segments/fits/${job.id}` });
    await api.app.get(ModelFitJobsService).execute(job.id);
    const polled = await call('GET', job.url, undefined, viewerKey);
    expect(polled.status).toBe(200);
    return polled.body;
  }
  const create = (key: string, definition: unknown) =>
    call('POST', '/segments', { key, name: key, owner: 'crm-team', definition, qualityThresholds: { minSize: 1, maxChurn: 10 } });
  const cluster = (k: number) => ({
    type: 'cluster',
    population: 'all',
    k,
    cluster: 0,
    seed: 3,
    features: [{ source: 'trait', trait: 'age' }, { source: 'frequency' }],
  });

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startTestApi(db.url);
    marketerKey = (await api.app.get(ApiKeyService).create('marketer', 'marketer')).secret;
    viewerKey = (await api.app.get(ApiKeyService).create('viewer', 'viewer')).secret;
    // Two obvious groups: young frequent buyers and older one-off buyers.
    for (let i = 0; i < 30; i++) {
      const young = i % 2 === 0;
      const id = await insertProfile(db.dataSource, { age: young ? 20 + (i % 5) : 60 + (i % 7) });
      for (let order = 0; order < (young ? 8 + (i % 3) : 1); order++) {
        await insertEvent(db.dataSource, id, 'Order Completed', daysAgo(1 + order * 3 + (i % 4)), {
          order_id: `o-${i}-${order}`,
          revenue: 10 + i,
        });
      }
    }
  }, 60_000);

  afterAll(async () => {
    await api?.close();
    await db?.drop();
  });

  it('serves the default RFM tier table and the four intent × value plays', async () => {
    const response = await call('GET', '/segments/value-tiers', undefined, viewerKey);
    expect(response.status).toBe(200);
    expect(response.body.rfmTiers.map((tier: { key: string }) => tier.key)).toEqual(
      expect.arrayContaining(['champions', 'at_risk_high_value', 'low_value_dormant']),
    );
    expect(response.body.intentValuePlays).toHaveLength(4);
  });

  it('returns the k = 2..10 silhouette and elbow curves of a cluster definition (marketer), with 400s naming the field', async () => {
    const job = await runFit(await call('POST', '/segments/choose-k', { definition: cluster(2) }));
    expect(job).toMatchObject({ kind: 'choose_k', state: 'succeeded', progress: 1 });
    const curve = { body: job.result };
    expect(curve.body.candidates.map((c: { k: number }) => c.k)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(curve.body).toMatchObject({ profiles: 30, silhouetteExact: true });
    // The two planted groups: k = 2 separates them best.
    expect(curve.body.bestBySilhouette).toBe(2);
    expect((await call('POST', '/segments/choose-k', { definition: cluster(2) }, viewerKey)).status).toBe(403);
    const reversed = await call('POST', '/segments/choose-k', { definition: cluster(2), kMin: 5, kMax: 3 });
    expect(reversed).toMatchObject({ status: 400, body: { details: [expect.objectContaining({ path: 'kMax' })] } });
    const notCluster = await call('POST', '/segments/choose-k', { definition: { type: 'rfm', tiers: ['champions'] } });
    expect(notCluster).toMatchObject({ status: 400, body: { code: 'not_a_cluster_definition', details: [{ path: 'definition.type' }] } });
  });

  it('creates an RFM segment (no model) and refuses to refit it', async () => {
    const created = await create('champions', { type: 'rfm', tiers: ['champions', 'loyal'] });
    expect(created.status).toBe(201);
    expect((await call('GET', `/segments/${created.body.id}/versions/1`, undefined, viewerKey)).body.model).toBeNull();
    const refit = await call('POST', `/segments/${created.body.id}/refit`);
    expect(refit).toMatchObject({ status: 400, body: { code: 'not_a_model_segment' } });
  });

  it('fits a cluster segment on create, stores the model with the version, refits into version 2 and refreshes', async () => {
    const createJob = await runFit(await create('young-frequent', cluster(2)));
    expect(createJob).toMatchObject({ kind: 'create', state: 'succeeded', result: { segment: { key: 'young-frequent', version: 1 } } });
    const created = { body: createJob.result.segment };
    const v1 = (await call('GET', `/segments/${created.body.id}/versions/1`, undefined, viewerKey)).body;
    expect(v1.model).toMatchObject({ kind: 'cluster', profiles: 30, model: { k: 2, features: ['age', 'frequency'] } });
    expect(v1.model.clusters.map((c: { size: number }) => c.size).sort()).toEqual([15, 15]);

    const refit = await runFit(await call('POST', `/segments/${created.body.id}/refit`));
    expect(refit).toMatchObject({ kind: 'refit', state: 'succeeded', segmentId: created.body.id, result: { segment: { version: 2 } } });
    // The new version with the old one's metrics beside it.
    expect(refit.result.version).toMatchObject({ version: 2, metrics: { kind: 'cluster', profiles: 30 }, previousMetrics: { version: 1 } });
    const versions = (await call('GET', `/segments/${created.body.id}/versions`, undefined, viewerKey)).body;
    expect(versions.map((v: { version: number }) => v.version)).toEqual([1, 2]);
    expect(versions[1].previousMetrics).toEqual({ version: 1, ...versions[0].metrics });

    const queued = await call('POST', `/segments/${created.body.id}/refresh`);
    expect(await api.app.get(SegmentRefreshService).execute(queued.body.runId)).toMatchObject({ status: 'succeeded', size: 15 });
    const run = (await call('GET', `/segments/${created.body.id}/runs/${queued.body.runId}`, undefined, viewerKey)).body;
    expect(run.version).toBe(2);
  });

  it('fails the fit job with the reason of a refused fit, answers 400 for previewing an unfitted model, publishing nothing', async () => {
    const tooMany = await runFit(await create('too-many-clusters', cluster(20)));
    expect(tooMany).toMatchObject({ state: 'failed', error: { code: 'too_few_distinct_points' }, result: null });
    const constant = await runFit(
      await create('constant', {
        ...cluster(2),
        features: [
          { source: 'trait', trait: 'age' },
          { source: 'event_count', event: 'Never Seen' },
        ],
      }),
    );
    expect(constant).toMatchObject({ state: 'failed', error: { code: 'constant_feature', details: [{ path: 'definition.features.1' }] } });
    const noPurchases = await create('old-window', {
      type: 'intent_value',
      cell: 'low_intent_low_value',
      window: 'between 2001-01-01 and 2002-01-01',
    });
    expect(noPurchases).toMatchObject({ status: 400, body: { code: 'no_purchases_in_window' } });
    const preview = await call('POST', '/segments/preview', { definition: cluster(2) });
    expect(preview).toMatchObject({ status: 400, body: { code: 'needs_fitted_model' } });
    const list = (await call('GET', '/segments', undefined, viewerKey)).body;
    expect(list.items.map((s: { key: string }) => s.key).sort()).toEqual(['champions', 'young-frequent']);
  });

  it('answers 404 for an unknown fit job, and a viewer may poll but not start one', async () => {
    expect(await call('GET', '/segments/fits/00000000-0000-4000-8000-000000000000', undefined, viewerKey)).toMatchObject({
      status: 404,
      body: { code: 'fit_job_not_found' },
    });
    expect(await call('GET', '/segments/fits/not-a-uuid', undefined, viewerKey)).toMatchObject({ status: 400 });
    expect((await call('POST', '/segments', { key: 'v', name: 'v', owner: 'o', definition: cluster(2) }, viewerKey)).status).toBe(403);
  });

  it('refuses model features it cannot build with a 400 naming the path (#21), publishing nothing', async () => {
    const before = (await call('GET', '/segments', undefined, viewerKey)).body.items.length;
    const unknownTrait = await create('unknown-trait-feature', {
      ...cluster(2),
      features: [{ source: 'frequency' }, { source: 'computed_trait', key: 'spend_90d' }],
    });
    expect(unknownTrait).toMatchObject({
      status: 400,
      body: {
        code: 'unknown_computed_trait',
        details: [{ path: 'definition.features.1.key', message: 'no computed trait has key "spend_90d"' }],
      },
    });
    const unknownPopulation = await create('unknown-population', { ...cluster(2), population: { segment: 'no-such-segment' } });
    expect(unknownPopulation).toMatchObject({
      status: 400,
      body: { code: 'unknown_segment_reference', details: [{ path: 'definition.population.segment' }] },
    });
    const logOfText = await create('log-of-text', {
      ...cluster(2),
      features: [{ source: 'frequency' }, { source: 'trait', trait: 'plan', kind: 'categorical', log1p: true }],
    });
    expect(logOfText).toMatchObject({
      status: 400,
      body: { code: 'invalid_definition', details: [{ path: 'definition.features.1.log1p' }] },
    });
    expect((await call('GET', '/segments', undefined, viewerKey)).body.items).toHaveLength(before);
  });
});
