import { buildLiftReport, LiftReportInput } from '@audiencekit/experimentation';
import { EXAMPLE_SEGMENTS } from '@audiencekit/segments-domain';
import { ApiKeyService } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import type { RunningApi } from '../../../test/api-test-app';
import { insertEvent, insertProfile } from '../../../test/seed-data';
import { callApi, startActivationsTestApi } from './activations-test-app';

const DAY = 86_400_000;
const EXPOSED = new Date('2026-05-01T00:00:00.000Z');
const AS_OF = '2026-06-01T00:00:00.000Z';
const at = (days: number) => new Date(EXPOSED.getTime() + days * DAY);
const iso = (days: number) => at(days).toISOString();
/** The report as it travels over HTTP (dates and numbers through JSON). */
const overHttp = (input: LiftReportInput) => JSON.parse(JSON.stringify(buildLiftReport(input)));

/**
 * GET /activations/:id/lift on a real Postgres: profiles, KPI events and exposures are seeded, and
 * the report must equal what the experimentation lib gives for counts worked out by hand.
 */
describe('the lift report through the API', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let marketer: string;
  let viewer: string;
  let segmentId: string;
  let destinationId: string;
  const call = (method: string, path: string, body?: unknown, key = marketer) => callApi(api.baseUrl, key, method, path, body);

  async function activation(holdoutShare: number, segment = segmentId): Promise<string> {
    const created = await call('POST', '/activations', {
      name: `a${holdoutShare}`,
      segmentId: segment,
      destinationId,
      mode: 'mirror',
      holdoutShare,
    });
    expect(created.status).toBe(201);
    return created.body.id;
  }

  async function expose(activationId: string, profileId: string, arm: string, exposedAt = EXPOSED): Promise<void> {
    await db.dataSource.query(`INSERT INTO activation_exposures (activation_id, profile_id, arm, exposed_at) VALUES ($1, $2, $3, $4)`, [
      activationId,
      profileId,
      arm,
      exposedAt,
    ]);
  }

  /** A profile with `Order Completed` events at the given day offsets from exposure: [day, revenue]. */
  async function person(orders: [number, number][] = [], other: number[] = []): Promise<string> {
    const id = await insertProfile(db.dataSource);
    for (const [day, revenue] of orders) await insertEvent(db.dataSource, id, 'Order Completed', at(day), { revenue });
    for (const day of other) await insertEvent(db.dataSource, id, 'Product Added', at(day), { revenue: 999 });
    return id;
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startActivationsTestApi(db.url);
    marketer = (await api.app.get(ApiKeyService).create('marketer', 'marketer')).secret;
    viewer = (await api.app.get(ApiKeyService).create('viewer', 'viewer')).secret;
    const admin = (await api.app.get(ApiKeyService).create('admin', 'admin')).secret;
    const segment = await call('POST', '/segments', {
      key: 'vip',
      name: 'VIP',
      owner: 'crm',
      definition: EXAMPLE_SEGMENTS.vip.definition,
      kpi: { event: 'Order Completed', windowDays: 7, valueProperty: 'revenue' },
    });
    segmentId = segment.body.id;
    destinationId = (
      await call(
        'POST',
        '/destinations',
        { name: 'list', connector: 'test-list', settings: { listId: 'L' }, secrets: { apiKey: 'sk_test_12345678' } },
        admin,
      )
    ).body.id;
  }, 30_000);

  afterAll(async () => {
    await api.close();
    await db.drop();
  });

  describe('a small activation worked out by hand', () => {
    let id: string;

    beforeAll(async () => {
      id = await activation(0.4);
      // Treatment: t1 converts (100), t2 twice (50 + 30), t3 only after the 7-day window, t4 only
      // before exposure (covariate), t5 before and after (20), t6 never. 3 of 6 convert; Σ = 200.
      await expose(id, await person([[1, 100]], [2]), 'treatment');
      await expose(
        id,
        await person([
          [2, 50],
          [3, 30],
        ]),
        'treatment',
      );
      await expose(id, await person([[8, 70]]), 'treatment');
      await expose(id, await person([[-2, 15]]), 'treatment');
      await expose(
        id,
        await person([
          [-3, 5],
          [1, 20],
        ]),
        'treatment',
      );
      await expose(id, await person(), 'treatment');
      // Control: c1 converts (40), c2 only before, c3 before the covariate window, c4 exactly at the
      // window's end (excluded: windows are half-open). 1 of 4 converts.
      await expose(id, await person([[5, 40]]), 'control');
      await expose(id, await person([[-1, 25]]), 'control');
      await expose(id, await person([[-8, 25]]), 'control');
      await expose(id, await person([[7, 60]]), 'control');
      // In neither arm: a globally held-out customer, and the rest of the base.
      await expose(id, await person([[1, 10]]), 'global_holdout');
      await person([[3, 60]]);
      await person();
    });

    it('equals the experimentation lib’s report for the hand-counted numbers', async () => {
      const response = await call('GET', `/activations/${id}/lift?asOf=${AS_OF}`, undefined, viewer);
      expect(response.status).toBe(200);
      const window = { start: iso(0), end: iso(7) };
      const expected = overHttp({
        controlShare: 0.4,
        window,
        arms: {
          control: { members: 4, conversions: 1, revenue: { sum: 40, sumOfSquares: 1600 } },
          treatment: { members: 6, conversions: 3, revenue: { sum: 200, sumOfSquares: 100 ** 2 + 80 ** 2 + 20 ** 2 } },
        },
        // 13 live profiles; converting in [start, end): t1, t2, t5, c1, the held-out one and one other.
        baseline: {
          window,
          members: 13,
          conversions: 6,
          revenue: { sum: 310, sumOfSquares: 100 ** 2 + 80 ** 2 + 20 ** 2 + 40 ** 2 + 10 ** 2 + 60 ** 2 },
        },
        cuped: {
          metric: 'conversion',
          covariateWindow: { start: iso(-7), end: iso(0) },
          control: { n: 4, sumY: 1, sumX: 1, sumYY: 1, sumXX: 1, sumXY: 0 },
          treatment: { n: 6, sumY: 3, sumX: 2, sumYY: 3, sumXX: 2, sumXY: 1 },
        },
        options: { sequential: { plannedMembers: 10 } },
      });
      expect(response.body).toEqual({
        activationId: id,
        segmentId,
        kpi: { event: 'Order Completed', windowDays: 7, valueProperty: 'revenue' },
        asOf: AS_OF,
        report: expected,
      });
      // Hand-checkable figures.
      const { report } = response.body;
      expect(report.arms.treatment.conversionRate).toBe(0.5);
      expect(report.arms.control.conversionRate).toBe(0.25);
      expect(report.conversion.absoluteLift.estimate).toBeCloseTo(0.25, 12);
      expect(report.conversion.relativeLift.estimate).toBeCloseTo(1, 12);
      expect(report.baseline.conversionRate).toBeCloseTo(6 / 13, 12);
      expect(report.arms.treatment.revenuePerMember.mean).toBeCloseTo(200 / 6, 12);
      expect(report.sampleRatioMismatch).toMatchObject({
        observed: { control: 4, treatment: 6 },
        expected: { control: 4, treatment: 6 },
        detected: false,
      });
    });

    it('takes the window from the query: P3D and windowDays=3 agree', async () => {
      const byDuration = await call('GET', `/activations/${id}/lift?asOf=${AS_OF}&window=P3D`, undefined, viewer);
      const byDays = await call('GET', `/activations/${id}/lift?asOf=${AS_OF}&windowDays=3`, undefined, viewer);
      expect(byDuration.status).toBe(200);
      expect(byDays.body).toEqual(byDuration.body);
      const { report } = byDuration.body;
      // 3 days: t1, t2 (only its day-2 order), t5 convert; c1 (day 5) no longer does.
      expect(report.arms.treatment).toMatchObject({ members: 6, conversions: 3, revenuePerMember: { mean: 170 / 6 } });
      expect(report.arms.control).toMatchObject({ members: 4, conversions: 0 });
      expect(report.window).toEqual({ start: iso(0), end: iso(3) });
      expect(report.conversion.relativeLift).toBeNull();
      expect(report.notes.map((note: any) => note.path)).toContain('conversion.relativeLift');
    });

    it('cuts the window at asOf, so a report can be read while it is still open', async () => {
      const early = await call('GET', `/activations/${id}/lift?asOf=${iso(2)}`, undefined, viewer);
      expect(early.body.report.window).toEqual({ start: iso(0), end: iso(2) });
      expect(early.body.report.arms.treatment.conversions).toBe(2); // t1 (day 1) and t5 (day 1); t2's first order is at day 2
    });
  });

  it('answers a well-defined report for an activation nobody was exposed to yet', async () => {
    const id = await activation(0.1);
    const response = await call('GET', `/activations/${id}/lift?asOf=${AS_OF}`, undefined, viewer);
    expect(response.status).toBe(200);
    const window = { start: new Date(Date.parse(AS_OF) - 7 * DAY).toISOString(), end: AS_OF };
    const [{ members }] = await db.dataSource.query(`SELECT count(*)::int AS members FROM profiles`);
    const [{ conversions }] = await db.dataSource.query(
      `SELECT count(DISTINCT profile_id)::int AS conversions FROM events WHERE name = 'Order Completed' AND timestamp >= $1 AND timestamp < $2`,
      [window.start, window.end],
    );
    expect(response.body.report).toEqual(
      overHttp({
        controlShare: 0.1,
        window,
        arms: {
          control: { members: 0, conversions: 0, revenue: { sum: 0, sumOfSquares: 0 } },
          treatment: { members: 0, conversions: 0, revenue: { sum: 0, sumOfSquares: 0 } },
        },
        baseline: { window, members, conversions, revenue: { sum: 0, sumOfSquares: 0 } },
        cuped: {
          metric: 'conversion',
          covariateWindow: { start: new Date(Date.parse(window.start) - 7 * DAY).toISOString(), end: window.start },
          control: { n: 0, sumY: 0, sumX: 0, sumYY: 0, sumXX: 0, sumXY: 0 },
          treatment: { n: 0, sumY: 0, sumX: 0, sumYY: 0, sumXX: 0, sumXY: 0 },
        },
        options: { sequential: null },
      }),
    );
    expect(response.body.report.arms.control.conversionRate).toBeNull();
    expect(response.body.report.sampleRatioMismatch.detected).toBe(false);
  });

  it('flags a split that does not match the configured share', async () => {
    const id = await activation(0.1);
    const [{ ids }] = await db.dataSource.query(
      `WITH p AS (INSERT INTO profiles (traits) SELECT '{}' FROM generate_series(1, 200) RETURNING id) SELECT array_agg(id) AS ids FROM p`,
    );
    await db.dataSource.query(
      `INSERT INTO activation_exposures (activation_id, profile_id, arm, exposed_at) SELECT $1, p, CASE WHEN n % 2 = 0 THEN 'control' ELSE 'treatment' END, $3 FROM unnest($2::uuid[]) WITH ORDINALITY AS t(p, n)`,
      [id, ids, EXPOSED],
    );
    const { report } = (await call('GET', `/activations/${id}/lift?asOf=${AS_OF}`, undefined, viewer)).body;
    expect(report.sampleRatioMismatch).toMatchObject({
      observed: { control: 100, treatment: 100 },
      expected: { control: 20, treatment: 180 },
      detected: true,
    });
    expect(report.notes[0].path).toBe('sampleRatioMismatch');
  });

  it('refuses what cannot be reported, with the reason', async () => {
    const noKpiSegment = (
      await call('POST', '/segments', { key: 'no-kpi', name: 'No KPI', owner: 'crm', definition: EXAMPLE_SEGMENTS.vip.definition })
    ).body.id;
    const noKpi = await call('GET', `/activations/${await activation(0.1, noKpiSegment)}/lift`, undefined, viewer);
    expect(noKpi).toMatchObject({ status: 409, body: { code: 'kpi_not_configured' } });
    expect((await call('GET', `/activations/${await activation(0)}/lift`, undefined, viewer)).body.code).toBe('no_control_group');
    expect((await call('GET', '/activations/00000000-0000-4000-8000-000000000000/lift', undefined, viewer)).status).toBe(404);
    const id = await activation(0.1);
    const badWindow = await call('GET', `/activations/${id}/lift?window=30days`, undefined, viewer);
    expect(badWindow.status).toBe(400);
    expect(badWindow.body.details[0].path).toBe('query.window');
    const both = await call('GET', `/activations/${id}/lift?window=P3D&windowDays=3`, undefined, viewer);
    expect(both.body.details[0].path).toBe('query.windowDays');
    expect((await call('GET', `/activations/${id}/lift?alpha=1`, undefined, viewer)).body.details[0].path).toBe('query.alpha');
  });

  it("counts a KPI event about the activation's own message as a conversion, even when it reads earlier than the exposure", async () => {
    // A vendor callback (libs/vendor-events: properties.activationId) can be stored before the
    // treatment exposure is committed (a Twilio status racing the end of its batch): it is about
    // this activation's message, so it is no pre-exposure covariate. An untagged event at the same
    // instant stays one.
    const id = await activation(0.5);
    const early = new Date(EXPOSED.getTime() - 2_000);
    const tagged = await insertProfile(db.dataSource);
    const untagged = await insertProfile(db.dataSource);
    const otherActivation = await insertProfile(db.dataSource);
    await insertEvent(db.dataSource, tagged, 'Order Completed', early, { activationId: id, revenue: 7 });
    await insertEvent(db.dataSource, untagged, 'Order Completed', early, { revenue: 7 });
    await insertEvent(db.dataSource, otherActivation, 'Order Completed', early, { activationId: segmentId, revenue: 7 });
    for (const member of [tagged, untagged, otherActivation]) await expose(id, member, 'treatment');
    await expose(id, await insertProfile(db.dataSource), 'control');

    const response = await call('GET', `/activations/${id}/lift?asOf=${AS_OF}`, undefined, viewer);
    expect(response.status).toBe(200);
    expect(response.body.report.arms.treatment).toMatchObject({ members: 3, conversions: 1, revenuePerMember: { mean: 7 / 3 } });
    expect(response.body.report.arms.control).toMatchObject({ members: 1, conversions: 0 });
  });
});
