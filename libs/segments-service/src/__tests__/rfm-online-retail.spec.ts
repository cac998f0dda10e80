import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  compileRfmScoresSql,
  featureMatrixFromColumns,
  fitClusterModel,
  INTENT_VALUE_CELLS,
  parseSegmentDefinition,
} from '@audiencekit/segments-domain';
import type { JobQueue } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { StoredClusterModel } from '../model-segments.service';
import { SegmentDefinitionGate } from '../segment-definition.gate';
import { SegmentRefreshService } from '../segment-refresh.service';
import { SegmentsService } from '../segments.service';
import { importOrders } from './real-data';

/**
 * RFM, intent × value and k-means segments on the real UCI Online Retail sample (30,000 rows,
 * 3,569 customers), imported through the real CSV importer. RFM scores are checked customer by
 * customer against pandas (libs/segments-domain/fixtures/rfm/make_rfm_fixture.py, from the raw CSV).
 */
interface FixtureWindow {
  window: string;
  purchasers: number;
  tierCounts: Record<string, number>;
  customers: Record<string, [string, number, number, number, number, number, string]>;
}
const FIXTURE = JSON.parse(
  readFileSync(path.resolve(__dirname, '../../../segments-domain/fixtures/rfm/rfm-online-retail-sample.json'), 'utf8'),
) as { now: string; windows: FixtureWindow[] };
const NOW = new Date(FIXTURE.now);

jest.setTimeout(180_000);

describe('RFM, intent × value and clusters on online_retail_sample.csv', () => {
  let db: TestDatabase;
  let segments: SegmentsService;
  let refresh: SegmentRefreshService;
  let customerOf: Map<string, string>;

  const query = <T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> => db.dataSource.query(sql, params);
  const card = (key: string, definition: Record<string, unknown>) => ({
    key,
    name: key,
    description: '',
    owner: 'test',
    refreshCadence: 'manual',
    kpi: null,
    status: 'active' as const,
    qualityThresholds: { minSize: 1, maxChurn: 10 },
    definition,
  });
  /** Runs a refresh of the current version at `now` and returns the members' customer ids. */
  const refreshed = async (segmentId: string, now = NOW): Promise<Set<string>> => {
    const [segment] = await query<{ current_version: number }>(`SELECT current_version FROM segments WHERE id = $1`, [segmentId]);
    const [run] = await query<{ id: string }>(
      `INSERT INTO segment_runs (segment_id, version, status, trigger) VALUES ($1, $2, 'queued', 'manual') RETURNING id`,
      [segmentId, segment.current_version],
    );
    const outcome = await refresh.execute(run.id, now);
    expect(outcome.status).toBe('succeeded');
    const rows = await query<{ profile_id: string }>(`SELECT profile_id FROM segment_memberships WHERE segment_id = $1`, [segmentId]);
    return new Set(rows.map((row) => customerOf.get(row.profile_id) as string));
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    const output = await importOrders(db.url, 'online_retail_sample.csv');
    expect(output).toMatch(/Order Completed 27,384, Order Refunded 616/);
    const gate = new SegmentDefinitionGate();
    segments = new SegmentsService(db.dataSource, gate);
    refresh = new SegmentRefreshService(db.dataSource, segments, gate, undefined as unknown as JobQueue);
    const identities = await query<{ profile_id: string; value: string }>(
      `SELECT profile_id, value FROM identities WHERE type = 'user_id'`,
    );
    customerOf = new Map(identities.map((row) => [row.profile_id, row.value]));
  });
  afterAll(async () => {
    await db?.drop();
  });

  it.each(FIXTURE.windows.map((window) => [window.window, window] as const))(
    'scores every purchaser exactly as pandas does (window %s)',
    async (_name, expected) => {
      const definition = parseSegmentDefinition({ type: 'rfm', tiers: ['champions'], window: expected.window });
      if (definition.type !== 'rfm') throw new Error('not rfm');
      const scores = compileRfmScoresSql(definition, { now: NOW });
      const rows = await query<{
        profile_id: string;
        last_purchase_at: Date;
        frequency: number;
        monetary: string;
        r: number;
        f: number;
        m: number;
      }>(scores.text, scores.values);
      expect(rows).toHaveLength(expected.purchasers);
      const actual = Object.fromEntries(
        rows.map((row) => [
          customerOf.get(row.profile_id),
          // numeric arrives as an exact decimal string; the fixture holds integer thousandths.
          [
            row.last_purchase_at.toISOString().replace('.000Z', 'Z'),
            row.frequency,
            Math.round(Number(row.monetary) * 1000),
            row.r,
            row.f,
            row.m,
          ],
        ]),
      );
      const reference = Object.fromEntries(Object.entries(expected.customers).map(([customer, values]) => [customer, values.slice(0, 6)]));
      expect(actual).toEqual(reference);
      // The scores use all five quintiles on each axis, and tie groups are never split.
      for (const axis of ['r', 'f', 'm'] as const) expect(new Set(rows.map((row) => row[axis])).size).toBeGreaterThanOrEqual(3);
    },
  );

  it('refreshes tier segments to exactly the customers pandas puts in those tiers', async () => {
    const expected = FIXTURE.windows[0];
    for (const tiers of [['champions'], ['at_risk_high_value'], ['low_value_dormant', 'hibernating']]) {
      const segment = await segments.create(
        card(`rfm-${tiers.join('-')}`.replace(/_/g, '-'), { type: 'rfm', tiers, window: 'ever' }),
        null,
        NOW,
      );
      const members = await refreshed(segment.id);
      const wanted = Object.entries(expected.customers)
        .filter(([, values]) => tiers.includes(values[6]))
        .map(([customer]) => customer);
      expect(wanted.length).toBeGreaterThan(100);
      expect([...members].sort()).toEqual(wanted.sort());
    }
  });

  it('splits the purchasers into the four intent × value cells (R ≥ 4 = high intent, M ≥ 4 = high value)', async () => {
    const expected = FIXTURE.windows[0];
    const seen = new Set<string>();
    for (const cell of INTENT_VALUE_CELLS) {
      const segment = await segments.create(
        card(`iv-${cell}`.replace(/_/g, '-'), { type: 'intent_value', cell, window: 'ever' }),
        null,
        NOW,
      );
      const members = await refreshed(segment.id);
      const [intent, value] = cell.split('_intent_');
      const wanted = Object.entries(expected.customers)
        .filter(([, v]) => v[3] >= 4 === (intent === 'high') && v[5] >= 4 === (value === 'high_value'))
        .map(([customer]) => customer);
      expect([...members].sort()).toEqual(wanted.sort());
      for (const member of members) {
        expect(seen.has(member)).toBe(false);
        seen.add(member);
      }
    }
    expect(seen.size).toBe(expected.purchasers);
  });

  it('refuses an RFM segment whose window holds no purchase, with a 400 and nothing saved', async () => {
    const before = await query(`SELECT id FROM segments`);
    await expect(
      segments.create(card('empty-window', { type: 'rfm', tiers: ['champions'], window: 'between 2009-01-01 and 2009-06-01' }), null, NOW),
    ).rejects.toMatchObject({
      name: 'SegmentsException',
      code: 'no_purchases_in_window',
      details: [{ path: 'definition.window' }],
    });
    expect(await query(`SELECT id FROM segments`)).toEqual(before);
  });

  it('takes intent from a propensity segment: likely buyers in the next 30 days × high monetary value', async () => {
    const cutoff = '2011-11-09T00:00:00Z';
    const likely = await segments.create(
      card('likely-buyers', {
        type: 'propensity',
        window: 'ever',
        tier: 'top',
        cutoff,
        outcome: { event: 'Order Completed', withinDays: 30 },
        features: [{ source: 'recency_days' }, { source: 'frequency', log1p: true }, { source: 'monetary' }],
      }),
      null,
      NOW,
    );
    const [{ model }] = await query<{ model: { heldOutAuc: number; positives: number; profiles: number; tierCounts: { top: number } } }>(
      `SELECT model FROM segment_versions WHERE segment_id = $1`,
      [likely.id],
    );
    // Label check straight from the events: purchasers before the cutoff who bought again within 30 days.
    const [labels] = await query<{ profiles: number; positives: number }>(
      `SELECT count(*)::int AS profiles, count(*) FILTER (WHERE again)::int AS positives FROM (
         SELECT profile_id, bool_or(timestamp > $1::timestamptz AND timestamp <= $1::timestamptz + interval '30 days') AS again
         FROM events WHERE name = 'Order Completed' GROUP BY profile_id HAVING min(timestamp) <= $1::timestamptz) t`,
      [cutoff],
    );
    expect(model).toMatchObject(labels);
    expect(model.heldOutAuc).toBeGreaterThan(0.6);
    const buyers = await refreshed(likely.id);
    expect(buyers.size).toBe(model.tierCounts.top);

    const cell = await segments.create(
      card('likely-valuable', {
        type: 'intent_value',
        cell: 'high_intent_high_value',
        window: 'ever',
        intent: { source: 'segment', segment: 'likely-buyers' },
      }),
      null,
      NOW,
    );
    const members = await refreshed(cell.id);
    const wanted = Object.entries(FIXTURE.windows[0].customers)
      .filter(([customer, v]) => buyers.has(customer) && v[5] >= 4)
      .map(([customer]) => customer);
    expect(wanted.length).toBeGreaterThan(50);
    expect([...members].sort()).toEqual(wanted.sort());
  });

  describe('a k-means segment on recency, frequency and monetary', () => {
    const definition = {
      type: 'cluster',
      window: 'ever',
      k: 4,
      seed: 7,
      cluster: 0,
      features: [{ source: 'recency_days' }, { source: 'frequency', log1p: true }, { source: 'monetary' }],
    };
    let segmentId: string;
    let stored: StoredClusterModel;

    it('fits on create and stores the model with version 1, the same model as fitting the pandas RFM values', async () => {
      const segment = await segments.create(card('rfm-clusters', definition), null, NOW);
      segmentId = segment.id;
      const [version] = await query<{ model: StoredClusterModel }>(
        `SELECT model FROM segment_versions WHERE segment_id = $1 AND version = 1`,
        [segmentId],
      );
      stored = version.model;
      expect(stored).toMatchObject({
        kind: 'cluster',
        profiles: FIXTURE.windows[0].purchasers,
        model: { k: 4, features: ['recency_days', 'frequency', 'monetary'] },
      });
      expect(stored.clusters.map((cluster) => cluster.size).reduce((a, b) => a + b, 0)).toBe(FIXTURE.windows[0].purchasers);

      // The same fit from the independent pandas aggregates, rows in the feature query's order (the
      // stable key "user_id:<customer>", bytewise; customer ids are ASCII, so JavaScript's order is the same).
      const byProfile = [...customerOf.entries()]
        .filter(([, customer]) => customer in FIXTURE.windows[0].customers)
        .sort(([, a], [, b]) => (`user_id:${a}` < `user_id:${b}` ? -1 : 1));
      const values = byProfile.map(([, customer]) => FIXTURE.windows[0].customers[customer]);
      const matrix = featureMatrixFromColumns({
        recency_days: values.map((v) => (NOW.getTime() - Date.parse(v[0])) / 86_400_000),
        frequency: values.map((v) => v[1]),
        monetary: values.map((v) => v[2] / 1000),
      });
      const reference = fitClusterModel(matrix, {
        k: 4,
        preprocessing: { log1p: ['frequency'] },
        kmeans: { seed: 7, nInit: 10 },
        silhouette: { seed: 7 },
      });
      expect(stored.model.inertia).toBeCloseTo(reference.model.inertia, 6);
      expect(stored.clusters.map((c) => c.size)).toEqual(reference.profiles.map((c) => c.size));
    });

    it('refreshes with the stored centroids, and only a refit (a new version) changes them', async () => {
      const members = await refreshed(segmentId);
      expect(members.size).toBe(stored.clusters[0].size);

      // New purchases move the population's statistics; a refresh still uses version 1's centroids.
      const someone = [...members][0];
      const [profile] = await query<{ profile_id: string }>(`SELECT profile_id FROM identities WHERE type = 'user_id' AND value = $1`, [
        someone,
      ]);
      await query(
        `INSERT INTO events (message_id, profile_id, type, name, timestamp, properties)
         SELECT 'test-bulk-' || g, $1, 'track', 'Order Completed', '2011-12-09T12:00:00Z', jsonb_build_object('order_id', 'T' || g, 'revenue', 100000)
         FROM generate_series(1, 50) g`,
        [profile.profile_id],
      );
      const after = await refreshed(segmentId);
      // Only the changed profile can change cluster: nobody else's distance to the stored centres moved.
      const moved = [...members].filter((m) => !after.has(m)).concat([...after].filter((m) => !members.has(m)));
      expect(moved.filter((customer) => customer !== someone)).toEqual([]);
      const [{ versions }] = await query<{ versions: number }>(
        `SELECT count(*)::int AS versions FROM segment_versions WHERE segment_id = $1`,
        [segmentId],
      );
      expect(versions).toBe(1);

      const refit = await segments.refit(segmentId, null, NOW);
      expect(refit.version).toBe(2);
      const rows = await query<{ version: number; model: StoredClusterModel }>(
        `SELECT version, model FROM segment_versions WHERE segment_id = $1 ORDER BY version`,
        [segmentId],
      );
      expect(rows[0].model.model.centroids).toEqual(stored.model.centroids);
      expect(rows[1].model.model.centroids).not.toEqual(stored.model.centroids);
      expect(rows[1].model.profiles).toBe(stored.profiles);
      // The pick follows the new cluster sharing most members with the old one.
      expect(refit.definition['cluster']).toEqual(expect.any(Number));
      const members2 = await refreshed(segmentId);
      const shared = [...members2].filter((m) => after.has(m)).length;
      expect(shared / after.size).toBeGreaterThan(0.5);
    });

    it('refuses to refit a segment that has no model', async () => {
      const rfm = await segments.create(card('rfm-no-model', { type: 'rfm', tiers: ['new'], window: 'ever' }), null, NOW);
      await expect(segments.refit(rfm.id, null, NOW)).rejects.toMatchObject({ name: 'SegmentsException', code: 'not_a_model_segment' });
    });
  });
});
