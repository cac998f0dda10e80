import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  assignTiers,
  clvTiers,
  compileClvOrdersSql,
  fitClvModel,
  predictClv,
  summarizeOrders,
  type ClvModel,
  type CustomerSummary,
} from '@audiencekit/segments-domain';
import { ModelFitJobsService, SegmentRefreshService } from '@audiencekit/segments-service';
import { ApiKeyService } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { RunningApi, startTestApi } from '../../test/api-test-app';
import { insertProfile } from '../../test/seed-data';

const ROOT = path.resolve(__dirname, '../../../..');
/** The last order of online_retail_sample.csv (the scipy fixture's calibration end). */
const LAST_ORDER = '2011-12-09T12:50:00Z';
const HORIZON_DAYS = 90;

/**
 * Lifetime-value segments (#21) through the HTTP API on real data: online_retail_sample.csv imported
 * with the real CLI importer (as libs/segments-service clv-online-retail.spec), its order times moved
 * so the last order is now (the API fits at the current time). A `clv` segment fits BG/NBD +
 * Gamma-Gamma at creation and stores parameters, horizon and tier thresholds with the version; they
 * must equal the pure library's fit on the same orders, and a refresh must pick exactly the profiles
 * whose library prediction falls in the tier. Bad options are 400s naming the field, nothing saved.
 */
describe('clv segments through the API (online_retail_sample.csv)', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let marketerKey: string;
  let viewerKey: string;
  let topId: string;

  async function call(method: string, route: string, body?: unknown, key = marketerKey): Promise<{ status: number; body: any }> {
    const response = await fetch(`${api.baseUrl}${route}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  }
  /** Plays the worker for a 202 (fits are worker jobs, #21): runs the queued fit job, then answers what GET <job.url> shows. */
  async function runFit(accepted: { status: number; body: any }): Promise<any> {
    expect(accepted.status).toBe(202);
    await api.app.get(ModelFitJobsService).execute(accepted.body.job.id);
    const polled = await call('GET', accepted.body.job.url, undefined, viewerKey);
    expect(polled.status).toBe(200);
    return polled.body;
  }
  /** A create through the fit job, answered with the created segment. */
  async function created(key: string, definition: unknown): Promise<{ id: string; key: string }> {
    const job = await runFit(await create(key, definition));
    expect(job).toMatchObject({ kind: 'create', state: 'succeeded' });
    return job.result.segment;
  }
  const create = (key: string, definition: unknown, extra: Record<string, unknown> = {}) =>
    call('POST', '/segments', { key, name: key, owner: 'crm-team', definition, ...extra });
  const clv = (tier: string, extra: Record<string, unknown> = {}) => ({
    type: 'clv',
    amountProperty: 'revenue',
    horizonDays: HORIZON_DAYS,
    tier,
    ...extra,
  });

  /** The orders as the library reads them, as of `now`, summarised per profile. */
  async function summariesAt(now: Date): Promise<CustomerSummary[]> {
    const sql = compileClvOrdersSql({ revenueProperty: 'revenue' }, { now });
    const rows = await db.dataSource.query<{ profile_id: string; order_id: string; ordered_at: Date; amount: string }[]>(
      sql.text,
      sql.values,
    );
    return summarizeOrders(
      rows.map((row) => ({
        customerId: row.profile_id,
        orderId: row.order_id,
        time: row.ordered_at.getTime(),
        amount: Number(row.amount),
      })),
      { calibrationEnd: now.getTime() },
    );
  }

  function expectClose(actual: number, expected: number, tolerance = 1e-9): void {
    if (!(Math.abs(actual - expected) <= tolerance * Math.max(1, Math.abs(expected))))
      throw new Error(`${actual} differs from ${expected} by more than ${tolerance} relative`);
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    const { DATABASE_URL: _inherited, ...env } = process.env;
    await promisify(execFile)(
      process.execPath,
      [
        '-r',
        '@swc-node/register',
        path.join(ROOT, 'apps/cli/src/main.ts'),
        'import',
        'orders',
        path.join(ROOT, 'data/online_retail_sample.csv'),
      ],
      { cwd: ROOT, env: { ...env, DATABASE_URL: db.url, LOG_LEVEL: 'warn' }, maxBuffer: 10 * 1024 * 1024 },
    );
    // The API fits at the current time: move every event so the file's last order is now.
    await db.dataSource.query(`UPDATE events SET timestamp = timestamp + (now() - $1::timestamptz)`, [LAST_ORDER]);
    api = await startTestApi(db.url);
    // The test fits the library model between two calls (seconds under load): longer than Node's 5 s
    // keep-alive, after which fetch would reuse a socket the server has closed (ECONNRESET).
    (api.app.getHttpServer() as import('node:http').Server).keepAliveTimeout = 120_000;
    marketerKey = (await api.app.get(ApiKeyService).create('marketer', 'marketer')).secret;
    viewerKey = (await api.app.get(ApiKeyService).create('viewer', 'viewer')).secret;
  }, 240_000);

  afterAll(async () => {
    await api?.close();
    await db?.drop();
  });

  it('fits on create: the stored parameters, horizon and tier thresholds equal the library fit on the same orders', async () => {
    topId = (await created('clv-top', clv('top'))).id;
    const version = (await call('GET', `/segments/${topId}/versions/1`, undefined, viewerKey)).body;
    const stored = version.model;
    expect(stored).toMatchObject({
      kind: 'clv',
      horizonDays: HORIZON_DAYS,
      monthlyDiscountRate: null,
      model: { kind: 'bgnbd-gamma-gamma' },
    });

    const summaries = await summariesAt(new Date(stored.fittedAt));
    const library: ClvModel = fitClvModel(summaries);
    expect(stored.profiles).toBe(summaries.length);
    expect(stored.model.fit.customers).toBe(library.fit.customers);
    for (const key of ['r', 'alpha', 'a', 'b'] as const) expectClose(stored.model.bgNbd[key], library.bgNbd[key]);
    for (const key of ['p', 'q', 'v'] as const) expectClose(stored.model.gammaGamma[key], library.gammaGamma[key]);
    const tiers = clvTiers(predictClv(library, summaries, { horizonDays: HORIZON_DAYS }), { topShare: 0.2, bottomShare: 0.5 });
    expectClose(stored.thresholds.top, tiers.thresholds.top);
    expectClose(stored.thresholds.bottom, tiers.thresholds.bottom);
    expect(stored.tierCounts).toEqual(tiers.counts);
    // The retail sample's fit (scipy reference r = 0.78459, a = 0.056160 with the last order as the end): sane, not degenerate.
    expect(stored.model.bgNbd.r).toBeGreaterThan(0.7);
    expect(stored.model.bgNbd.r).toBeLessThan(0.9);
  });

  it('refreshes each tier with the stored model: members are the profiles whose prediction falls in it; explain shows the prediction', async () => {
    const top = (await call('GET', `/segments/${topId}`, undefined, viewerKey)).body;
    const bottom = await created('clv-bottom', clv('bottom', { monthlyDiscountRate: 0.01 }));
    const middle = await created('clv-middle', clv('middle'));
    const noOrders = await insertProfile(db.dataSource, { plan: 'none' });

    const refreshedAt = new Date(Date.now() + 60_000);
    const summaries = await summariesAt(refreshedAt);
    const members: Record<string, string[]> = {};
    for (const segment of [top, bottom, middle]) {
      const stored = (await call('GET', `/segments/${segment.id}/versions/1`, undefined, viewerKey)).body.model;
      const rate = segment.key === 'clv-bottom' ? 0.01 : undefined;
      const predictions = predictClv(stored.model, summaries, { horizonDays: HORIZON_DAYS, monthlyDiscountRate: rate });
      const picked = segment.key.slice('clv-'.length);
      const { tiers } = assignTiers(
        predictions.map((prediction) => prediction.clv),
        stored.thresholds,
      );
      const expected = summaries.filter((_, i) => tiers[i] === picked).map((summary) => summary.customerId);
      expect(expected.length).toBeGreaterThan(0);

      const queued = await call('POST', `/segments/${segment.id}/refresh`);
      expect(await api.app.get(SegmentRefreshService).execute(queued.body.runId, refreshedAt)).toMatchObject({
        status: 'succeeded',
        size: expected.length,
      });
      const rows = await db.dataSource.query<{ profile_id: string }[]>(`SELECT profile_id FROM segment_memberships WHERE segment_id = $1`, [
        segment.id,
      ]);
      members[picked] = rows.map((row) => row.profile_id).sort();
      expect(members[picked]).toEqual([...expected].sort());
      expect(members[picked]).not.toContain(noOrders);

      // Explain of one member: its predicted transactions, P(alive), CLV and tier, as the library predicts.
      const member = expected[0];
      const index = summaries.findIndex((summary) => summary.customerId === member);
      const explained = await call(
        'GET',
        `/profiles/${member}/explain?segment=${segment.key}&at=${encodeURIComponent(refreshedAt.toISOString())}`,
        undefined,
        viewerKey,
      );
      expect(explained.status).toBe(200);
      expect(explained.body).toMatchObject({
        matches: true,
        member: true,
        model: { kind: 'clv', inPopulation: true, tier: picked, pickedTier: picked },
      });
      expectClose(explained.body.model.expectedTransactions, predictions[index].expectedTransactions, 1e-12);
      expectClose(explained.body.model.probabilityAlive, predictions[index].probabilityAlive, 1e-12);
      expectClose(explained.body.model.clv, predictions[index].clv, 1e-12);
    }
    // The three tiers of the undiscounted model split the customers; the two undiscounted segments share none.
    expect(members['top'].filter((id) => members['middle'].includes(id))).toEqual([]);

    const none = await call('GET', `/profiles/${noOrders}/explain?segment=clv-top`, undefined, viewerKey);
    expect(none).toMatchObject({ status: 200, body: { matches: false, member: false, model: { kind: 'clv', inPopulation: false } } });
  });

  it('answers 400 naming the field for bad options and saves nothing', async () => {
    const cases: [unknown, string][] = [
      [clv('top', { horizonDays: 0 }), 'definition.horizonDays'],
      [{ type: 'clv', horizonDays: 90, tier: 'top' }, 'definition.amountProperty'],
      [clv('best'), 'definition.tier'],
      [clv('top', { tierShares: { topShare: 0.6, bottomShare: 0.6 } }), 'definition.tierShares.bottomShare'],
      [clv('top', { monthlyDiscountRate: -0.1 }), 'definition.monthlyDiscountRate'],
      [clv('top', { amountProperty: 'items.0' }), 'definition.amountProperty'],
      [clv('top', { window: 'last 30 days' }), 'definition'],
    ];
    for (const [definition, field] of cases) {
      const refused = await create('clv-bad', definition);
      expect(refused).toMatchObject({ status: 400, body: { code: 'invalid_definition' } });
      expect(refused.body.details.map((detail: { path: string }) => detail.path)).toContain(field);
    }
    // The fit itself refuses in the worker: the job fails with the reason, nothing is created.
    const noOrders = await runFit(await create('clv-bad', clv('top', { orderEvent: 'Never Happened' })));
    expect(noOrders).toMatchObject({
      state: 'failed',
      error: { code: 'no_purchases_in_window', details: [{ path: 'definition.orderEvent' }] },
      result: null,
    });
    const realtime = await create('clv-bad', clv('top'), { refreshCadence: 'realtime' });
    expect(realtime).toMatchObject({ status: 400, body: { details: [expect.objectContaining({ path: 'definition.type' })] } });
    const preview = await call('POST', '/segments/preview', { definition: clv('top') });
    expect(preview).toMatchObject({ status: 400, body: { code: 'needs_fitted_model' } });
    const listed = (await call('GET', '/segments?limit=100', undefined, viewerKey)).body;
    expect(listed.items.map((segment: { key: string }) => segment.key)).not.toContain('clv-bad');
  });

  it('a new version that changes only the tier reuses the stored model (200); a new horizon is a new fit (202)', async () => {
    const tierOnly = await call('PATCH', `/segments/${topId}`, { definition: clv('middle') });
    expect(tierOnly).toMatchObject({ status: 200, body: { version: 2 } });
    const [v1, v2] = (await call('GET', `/segments/${topId}/versions`, undefined, viewerKey)).body;
    expect(v2.definition.tier).toBe('middle');
    expect(v2.model).toEqual(v1.model);
    const refit = await runFit(await call('PATCH', `/segments/${topId}`, { definition: clv('middle', { horizonDays: 30 }) }));
    expect(refit).toMatchObject({ kind: 'update', state: 'succeeded', result: { segment: { version: 3 } } });
    const v3 = (await call('GET', `/segments/${topId}/versions/3`, undefined, viewerKey)).body;
    expect(v3.model).toMatchObject({ kind: 'clv', horizonDays: 30 });
    expect(v3.model.thresholds.top).toBeLessThan(v1.model.thresholds.top);
  });

  it('POST /segments/:id/refit refits a clv segment (it answered 400 not_a_model_segment) into a new version, the previous metrics beside it', async () => {
    const cadence = await call('PATCH', `/segments/${topId}`, { refitCadence: '0 3 * * *' });
    expect(cadence).toMatchObject({ status: 200, body: { refitCadence: '0 3 * * *', version: 3 } });
    const job = await runFit(await call('POST', `/segments/${topId}/refit`));
    expect(job).toMatchObject({ kind: 'refit', state: 'succeeded', segmentId: topId, result: { segment: { version: 4 } } });
    const v3 = (await call('GET', `/segments/${topId}/versions/3`, undefined, viewerKey)).body;
    const v4 = (await call('GET', `/segments/${topId}/versions/4`, undefined, viewerKey)).body;
    expect(v4.definition).toEqual(v3.definition);
    expect(v4.metrics).toMatchObject({ kind: 'clv', horizonDays: 30, profiles: v4.model.profiles, fittedAt: v4.model.fittedAt });
    expect(v4.previousMetrics).toEqual({ version: 3, ...v3.metrics });
    expect(job.result.version.previousMetrics).toMatchObject({ version: 3, kind: 'clv' });
    expect(Date.parse(v4.model.fittedAt)).toBeGreaterThan(Date.parse(v3.model.fittedAt));
    // The refit is the library's fit on the orders as of its fit time.
    const expected = fitClvModel(await summariesAt(new Date(v4.model.fittedAt)));
    for (const parameter of ['r', 'alpha', 'a', 'b'] as const) expectClose(v4.model.model.bgNbd[parameter], expected.bgNbd[parameter]);
    for (const parameter of ['p', 'q', 'v'] as const) expectClose(v4.model.model.gammaGamma[parameter], expected.gammaGamma[parameter]);
  });
});
