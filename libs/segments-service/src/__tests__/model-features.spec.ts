import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  categoricalCodes,
  featureMatrix,
  propensityDefinitionSchema,
  clusterDefinitionSchema,
  trainPropensityModel,
} from '@audiencekit/segments-domain';
import type { JobQueue } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { ModelSegmentsService, StoredClusterModel, StoredPropensityModel } from '../model-segments.service';
import { SegmentDefinitionGate } from '../segment-definition.gate';
import { insertProfilesWithTraits, refreshedMembers } from './model-fixtures';
import { SegmentRefreshService } from '../segment-refresh.service';
import { SegmentsService } from '../segments.service';
import { importCsv, readSharedCsv, sharedDataFile } from './real-data';

/**
 * Model features of issue #21 on a real Postgres: categorical traits one-hot (marketing_campaign's
 * Education and Marital_Status), event-property and computed-trait features computed as of the
 * cutoff, the refusals of SQL traits and unknown keys, clip for log1p on net refunds (and the error
 * naming the customer without it), and a population narrowed to a segment.
 */
const LOGISTIC = JSON.parse(readFileSync(path.resolve(__dirname, '../../../segments-domain/fixtures/ml/logistic.json'), 'utf8')) as {
  features: string[];
  log1p: string[];
};
const NOW = new Date('2026-03-01T00:00:00Z');
const CUTOFF = '2026-01-01T00:00:00Z';
const DAY_MS = 86_400_000;

jest.setTimeout(120_000);

describe('model features', () => {
  let db: TestDatabase;
  let segments: SegmentsService;
  let refresh: SegmentRefreshService;
  const models = new ModelSegmentsService();
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
  const storedModel = async <T>(segmentId: string): Promise<T> =>
    (await query<{ model: T }>(`SELECT model FROM segment_versions WHERE segment_id = $1 ORDER BY version DESC LIMIT 1`, [segmentId]))[0]
      .model;
  const refreshed = (segmentId: string): Promise<string[]> => refreshedMembers(db.dataSource, refresh, segmentId, NOW);
  const insertProfiles = (traits: Record<string, unknown>[], group: string) => insertProfilesWithTraits(db.dataSource, traits, group);

  beforeAll(async () => {
    db = await createTestDatabase();
    const gate = new SegmentDefinitionGate();
    segments = new SegmentsService(db.dataSource, gate);
    refresh = new SegmentRefreshService(db.dataSource, segments, gate, undefined as unknown as JobQueue);
  });
  afterAll(async () => {
    await db?.drop();
  });

  describe('marketing_campaign.csv with Education and Marital_Status one-hot', () => {
    const records = readSharedCsv('marketing_campaign.csv', '\t');
    const CATEGORICAL = ['Education', 'Marital_Status'];
    let order: { id: string; index: number }[];
    const definition = (categorical: boolean) => ({
      type: 'propensity',
      population: 'all',
      tier: 'top',
      seed: 1,
      cutoff: CUTOFF,
      outcome: { event: 'Campaign Accepted', withinDays: 30 },
      features: [
        ...LOGISTIC.features.map((trait) => ({ source: 'trait', trait, log1p: LOGISTIC.log1p.includes(trait) })),
        ...(categorical
          ? [
              { source: 'trait', trait: 'Education', kind: 'categorical' },
              { source: 'trait', trait: 'Marital_Status', kind: 'categorical', topLevels: 4 },
            ]
          : []),
      ],
    });

    beforeAll(async () => {
      order = await insertProfiles(
        records.map((r) => ({
          ...Object.fromEntries(LOGISTIC.features.filter((f) => r[f] !== '').map((f) => [f, Number(r[f])])),
          Education: r['Education'],
          Marital_Status: r['Marital_Status'],
        })),
        'campaign',
      );
      const accepted = order.filter((row) => records[row.index]['Response'] === '1').map((row) => row.id);
      await query(
        `INSERT INTO events (message_id, profile_id, type, name, timestamp) SELECT 'accepted-' || p, p, 'track', 'Campaign Accepted', '2026-01-02T00:00:00Z' FROM unnest($1::uuid[]) p`,
        [accepted],
      );
    });
    afterAll(async () => {
      await query(`DELETE FROM segment_memberships`);
      await query(`DELETE FROM events`);
      await query(`DELETE FROM profiles`);
    });

    it('string traits are one-hot (top levels, rest as other, stored levels): the pure trainer on the same rows, and a better AUC', async () => {
      const segment = await segments.create(card('acceptors-categorical', definition(true)), null, NOW);
      const model = await storedModel<StoredPropensityModel>(segment.id);
      const numericNames = LOGISTIC.features;
      const coded = CATEGORICAL.map((name) => categoricalCodes(order.map((row) => records[row.index][name])));
      const cols = numericNames.length + CATEGORICAL.length;
      const data = new Float64Array(order.length * cols);
      order.forEach((row, i) => {
        numericNames.forEach((f, j) => (data[i * cols + j] = records[row.index][f] === '' ? Number.NaN : Number(records[row.index][f])));
        coded.forEach((column, c) => (data[i * cols + numericNames.length + c] = column.codes[i]));
      });
      const matrix = featureMatrix(data, order.length, [...numericNames, ...CATEGORICAL], {
        categories: { Education: coded[0].levels, Marital_Status: coded[1].levels },
      });
      const reference = trainPropensityModel(
        matrix,
        order.map((row) => Number(records[row.index]['Response'])),
        {
          C: 1,
          seed: 1,
          // No identifier: the stable key is the profile id (rows are in id order).
          keys: order.map((row) => `profile_id:${row.id}`),
          testFraction: 0.25,
          aucFloor: 0.6,
          preprocessing: { imputation: 'median', log1p: LOGISTIC.log1p, topLevels: { Marital_Status: 4 } },
        },
      );
      expect(model.model.features).toEqual(reference.model.features);
      expect(model.model.coefficients).toEqual(reference.model.coefficients);
      expect(model.heldOutAuc).toBe(reference.heldOutAuc);
      expect(model.model.features.filter((name) => name.startsWith('Marital_Status'))).toEqual([
        'Marital_Status=Married',
        'Marital_Status=Together',
        'Marital_Status=Single',
        'Marital_Status=Divorced',
        'Marital_Status:other',
      ]);
      const numericOnly = await segments.create(card('acceptors-numeric', definition(false)), null, NOW);
      expect(model.heldOutAuc).toBeGreaterThan((await storedModel<StoredPropensityModel>(numericOnly.id)).heldOutAuc);

      // A value never seen at fit time scores as "other"; refresh does not fail on it.
      await query(`UPDATE profiles SET traits = traits || '{"Marital_Status": "Engaged"}' WHERE id = $1`, [order[0].id]);
      const members = await refreshed(segment.id);
      expect(members.length).toBeGreaterThanOrEqual(model.tierCounts.top - 1);
    });
  });

  describe('marketing_campaign.csv imported through the CSV importer (its own database)', () => {
    let imported: TestDatabase;
    let folder: string;
    const records = readSharedCsv('marketing_campaign.csv', '\t');
    const numeric = LOGISTIC.features.map((name) => name.toLowerCase());
    const log1p = LOGISTIC.log1p.map((name) => name.toLowerCase());

    beforeAll(async () => {
      imported = await createTestDatabase();
      folder = mkdtempSync(path.join(tmpdir(), 'ak-campaign-'));
      // The importer reads comma-separated files; the data set has no comma or quote in any cell.
      const csv = readFileSync(sharedDataFile('marketing_campaign.csv'), 'utf8').replace(/\t/g, ',');
      writeFileSync(path.join(folder, 'campaign.csv'), csv);
      await importCsv(imported.url, 'customers', path.join(folder, 'campaign.csv'));
      // An imported profile is first seen at the import time (the CSV first-seen column is another part of #21).
      await imported.dataSource.query(`UPDATE profiles SET first_seen_at = '2025-06-01T00:00:00Z'`);
      await imported.dataSource.query(
        `INSERT INTO events (message_id, profile_id, type, name, timestamp)
         SELECT 'accepted-' || id, id, 'track', 'Campaign Accepted', '2026-01-02T00:00:00Z' FROM profiles WHERE (traits->>'response')::int = 1`,
      );
    });
    afterAll(async () => {
      await imported?.drop();
      rmSync(folder, { recursive: true, force: true });
    });

    it('the importer keeps Education and Marital_Status as strings; the fit one-hot encodes them as the pure trainer does on the same rows', async () => {
      const gate = new SegmentDefinitionGate();
      const service = new SegmentsService(imported.dataSource, gate);
      const segment = await service.create(
        card('imported-acceptors', {
          type: 'propensity',
          population: 'all',
          tier: 'top',
          seed: 1,
          cutoff: CUTOFF,
          outcome: { event: 'Campaign Accepted', withinDays: 30 },
          features: [
            ...numeric.map((trait) => ({ source: 'trait', trait, log1p: log1p.includes(trait) })),
            { source: 'trait', trait: 'education', kind: 'categorical' },
            { source: 'trait', trait: 'marital_status', kind: 'categorical', topLevels: 4 },
          ],
        }),
        null,
        NOW,
      );
      const [{ model }] = await imported.dataSource.query(`SELECT model FROM segment_versions WHERE segment_id = $1`, [segment.id]);
      const stored = model as StoredPropensityModel;
      expect(stored).toMatchObject({ profiles: 2240, positives: 334 });
      expect(stored.model.features).toEqual(
        expect.arrayContaining(['education=PhD', 'education=2n Cycle', 'marital_status=Married', 'marital_status:other']),
      );
      // The same rows in the feature query's order (the stable key "user_id:<id>", bytewise), from the CSV by user id.
      const rows: { user_id: string }[] = await imported.dataSource.query(
        `SELECT i.value AS user_id FROM profiles p JOIN identities i ON i.profile_id = p.id AND i.type = 'user_id' ORDER BY ('user_id:' || i.value) COLLATE "C"`,
      );
      const byId = new Map(records.map((record) => [record['ID'], record]));
      const ordered = rows.map((row) => byId.get(row.user_id) as Record<string, string>);
      const coded = ['Education', 'Marital_Status'].map((name) => categoricalCodes(ordered.map((record) => record[name])));
      const cols = numeric.length + 2;
      const data = new Float64Array(ordered.length * cols);
      ordered.forEach((record, i) => {
        LOGISTIC.features.forEach((f, j) => (data[i * cols + j] = record[f] === '' ? Number.NaN : Number(record[f])));
        coded.forEach((column, c) => (data[i * cols + numeric.length + c] = column.codes[i]));
      });
      const matrix = featureMatrix(data, ordered.length, [...numeric, 'education', 'marital_status'], {
        categories: { education: coded[0].levels, marital_status: coded[1].levels },
      });
      const reference = trainPropensityModel(
        matrix,
        ordered.map((record) => Number(record['Response'])),
        {
          C: 1,
          seed: 1,
          keys: rows.map((row) => `user_id:${row.user_id}`),
          testFraction: 0.25,
          aucFloor: 0.6,
          preprocessing: { imputation: 'median', log1p, topLevels: { marital_status: 4 } },
        },
      );
      expect(stored.model.features).toEqual(reference.model.features);
      expect(stored.model.coefficients).toEqual(reference.model.coefficients);
      expect(stored.heldOutAuc).toBe(reference.heldOutAuc);
      expect(stored.heldOutAuc).toBeGreaterThan(0.85);
    });
  });

  describe('event properties, computed traits, clip and a segment population (synthetic shop)', () => {
    const METHODS = ['card', 'paypal', 'invoice'];
    let order: { id: string; index: number }[];
    /** Per profile: its orders (time, revenue, method) and refunds. */
    const shop = Array.from({ length: 90 }, (_, n) => ({
      plan: n % 7 === 0 ? undefined : ['pro', 'free', 'team'][n % 3],
      orders: Array.from({ length: 1 + (n % 4) }, (_, k) => ({
        at: new Date(Date.parse(CUTOFF) - (5 + ((n * 13 + k * 29) % 200)) * DAY_MS),
        revenue: 10 + ((n * 7 + k * 11) % 90),
        method: METHODS[(n + (k === 0 ? 0 : n % 2)) % 3],
      })),
      late: n % 3 === 0, // orders after the cutoff, with revenue a leak would show
      refund: n % 10 === 5 ? 500 : 0,
    }));
    const before = (n: number) => shop[n].orders.filter((o) => o.at.getTime() > Date.parse(CUTOFF) - 365 * DAY_MS);

    beforeAll(async () => {
      order = await insertProfiles(
        shop.map((p) => (p.plan ? { plan: p.plan } : {})),
        'shop',
      );
      const ids = new Map(order.map((row) => [row.index, row.id]));
      const events: unknown[][] = [];
      shop.forEach((p, n) => {
        p.orders.forEach((o, k) =>
          events.push([
            ids.get(n),
            `o-${n}-${k}`,
            'Order Completed',
            o.at.toISOString(),
            { revenue: o.revenue, payment_method: o.method, order_id: `${n}-${k}` },
          ]),
        );
        if (p.late)
          for (let k = 0; k < 3; k++)
            events.push([
              ids.get(n),
              `late-${n}-${k}`,
              'Order Completed',
              new Date(Date.parse(CUTOFF) + (k + 1) * DAY_MS).toISOString(),
              { revenue: 100_000, payment_method: 'crypto', order_id: `late-${n}-${k}` },
            ]);
        if (p.refund)
          events.push([
            ids.get(n),
            `r-${n}`,
            'Order Refunded',
            new Date(Date.parse(CUTOFF) - DAY_MS).toISOString(),
            { total: p.refund, order_id: `${n}-0` },
          ]);
      });
      await query(
        `INSERT INTO events (message_id, profile_id, type, name, timestamp, properties)
         SELECT e->>1, (e->>0)::uuid, 'track', e->>2, (e->>3)::timestamptz, e->4 FROM jsonb_array_elements($1::jsonb) e`,
        [JSON.stringify(events)],
      );
      await query(
        `INSERT INTO identities (type, value, profile_id) SELECT 'user_id', 'u-' || (traits->>'row'), id FROM profiles WHERE traits->>'group' = 'shop'`,
      );
      const trait = async (key: string, definition: Record<string, unknown>) => {
        const [row] = await query<{ id: string }>(
          `INSERT INTO computed_traits (key, owner, current_version) VALUES ($1, 'test', 1) RETURNING id`,
          [key],
        );
        await query(`INSERT INTO computed_trait_versions (trait_id, version, definition) VALUES ($1, 1, $2)`, [
          row.id,
          JSON.stringify(definition),
        ]);
        // Today's stored value: a fit as of the cutoff must never read it.
        await query(
          `INSERT INTO computed_trait_values (profile_id, key, value, source_kind, source_id, source_version, computed_at)
           SELECT id, $1, $2::jsonb, 'computed', $3, 1, now() FROM profiles`,
          [key, JSON.stringify(definition['function'] === 'last' ? 'stale' : 999_999), row.id],
        );
      };
      await trait('spend_year', { function: 'sum', event: 'Order Completed', property: 'revenue', window: 'last 365 days' });
      await trait('last_method', { function: 'last', event: 'Order Completed', property: 'payment_method', window: 'last 365 days' });
      const [sqlTrait] = await query<{ id: string }>(`INSERT INTO sql_traits (key, owner) VALUES ('ltv_sql', 'test') RETURNING id`);
      await query(
        `INSERT INTO sql_trait_versions (trait_id, version, sql, key_kind, value_columns) VALUES ($1, 1, 'SELECT 1', 'profile_id', '{ltv}')`,
        [sqlTrait.id],
      );
    });

    const features = [
      { source: 'computed_trait', key: 'spend_year' },
      { source: 'computed_trait', key: 'last_method' },
      { source: 'event_property', event: 'Order Completed', property: 'payment_method', topLevels: 2 },
    ];

    it('computes computed traits and the most frequent property value as of the cutoff, never from stored or later values', async () => {
      const definition = propensityDefinitionSchema.parse({
        type: 'propensity',
        tier: 'top',
        population: 'all',
        outcome: { event: 'Order Completed', withinDays: 30 },
        features,
      });
      const rows = await db.dataSource.transaction(async (manager) =>
        models.featureRows(
          manager,
          definition,
          new Date(CUTOFF),
          definition.outcome,
          await models.resolveFeatureSources(manager, definition),
        ),
      );
      const levels = rows.matrix.categories ?? {};
      const text = (name: string, i: number) => {
        const code = rows.matrix.data[i * rows.matrix.cols + rows.matrix.names.indexOf(name)];
        return Number.isNaN(code) ? null : levels[name][code];
      };
      // Rows come in stable-key order (user id "u-<row>", bytewise), not in profile id order.
      expect(rows.stableKeys).toEqual(order.map((row) => `user_id:u-${row.index}`).sort());
      order.forEach((row) => {
        const i = rows.profileIds.indexOf(row.id);
        const orders = before(row.index);
        const spend = orders.reduce((sum, o) => sum + o.revenue, 0);
        const last = [...orders].sort((a, b) => a.at.getTime() - b.at.getTime()).at(-1);
        const tally = new Map<string, { n: number; latest: number }>();
        for (const o of orders) {
          const entry = tally.get(o.method) ?? { n: 0, latest: 0 };
          tally.set(o.method, { n: entry.n + 1, latest: Math.max(entry.latest, o.at.getTime()) });
        }
        const mostFrequent = [...tally].sort((a, b) => b[1].n - a[1].n || b[1].latest - a[1].latest)[0]?.[0] ?? null;
        expect(rows.stableKeys[i]).toBe(`user_id:u-${row.index}`);
        expect(rows.matrix.data[i * rows.matrix.cols]).toBe(orders.length ? spend : Number.NaN);
        expect(text('last_method', i)).toBe(last?.method ?? null);
        expect(text('top_Order_Completed_payment_method', i)).toBe(mostFrequent);
        expect(rows.outcome?.[i]).toBe(shop[row.index].late ? 1 : 0);
      });
    });

    it('fits with them, stores the trait definitions and levels, and refreshes with the stored ones', async () => {
      const segment = await segments.create(
        card('shop-likely', {
          type: 'propensity',
          tier: 'top',
          population: 'all',
          aucFloor: 0,
          cutoff: CUTOFF,
          outcome: { event: 'Order Completed', withinDays: 30 },
          features,
        }),
        null,
        NOW,
      );
      const model = await storedModel<StoredPropensityModel>(segment.id);
      expect(Object.keys(model.computedTraits ?? {}).sort()).toEqual(['last_method', 'spend_year']);
      expect(model.computedTraits?.['spend_year']).toMatchObject({ version: 1, definition: { function: 'sum' } });
      const eventColumns = model.model.features.filter((name) => name.startsWith('top_Order_Completed_payment_method'));
      // Two kept levels (the most frequent values on the training rows), the third as other.
      expect(eventColumns).toHaveLength(3);
      expect(eventColumns[2]).toBe('top_Order_Completed_payment_method:other');
      // The trait changes definition after the fit: the published model keeps computing what it was trained on.
      await query(
        `INSERT INTO computed_trait_versions (trait_id, version, definition) SELECT id, 2, '{"function": "count", "event": "Nothing", "window": "last 7 days"}' FROM computed_traits WHERE key = 'spend_year'`,
      );
      await query(`UPDATE computed_traits SET current_version = 2 WHERE key = 'spend_year'`);
      const members = await refreshed(segment.id);
      expect(members).toHaveLength(model.tierCounts.top);
    });

    it('refuses a SQL trait (no history) and an unknown key as features: 400 naming the path', async () => {
      const base = { type: 'cluster', k: 2, cluster: 0, population: 'all' };
      await expect(
        segments.create(
          card('sql-feature', { ...base, features: [{ source: 'frequency' }, { source: 'computed_trait', key: 'ltv' }] }),
          null,
          NOW,
        ),
      ).rejects.toMatchObject({
        code: 'sql_trait_not_a_feature',
        details: [{ path: 'definition.features.1.key', message: expect.stringMatching(/SQL trait ltv_sql.*keeps no history/) }],
      });
      await expect(
        segments.create(card('unknown-feature', { ...base, features: [{ source: 'computed_trait', key: 'nope' }] }), null, NOW),
      ).rejects.toMatchObject({ code: 'unknown_computed_trait', details: [{ path: 'definition.features.0.key' }] });
      await expect(
        segments.create(
          card('log-of-text', {
            ...base,
            features: [{ source: 'frequency' }, { source: 'computed_trait', key: 'last_method', log1p: true }],
          }),
          null,
          NOW,
        ),
      ).rejects.toMatchObject({ code: 'invalid_definition', details: [{ path: 'definition.features.1.log1p' }] });
    });

    it('log1p of net spend below −1 names the customer (profile and user id); clip.min makes it fit', async () => {
      const refunded = order.find((row) => shop[row.index].refund > 0) as { id: string; index: number };
      const definition = (monetary: Record<string, unknown>) => ({
        type: 'cluster',
        k: 2,
        cluster: 0,
        population: 'all',
        window: 'last 365 days',
        features: [{ source: 'frequency' }, { source: 'monetary', ...monetary }],
      });
      const error = await segments.create(card('net-spend', definition({ log1p: true })), null, NOW).then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
      expect(error).toMatchObject({ code: 'invalid_value', details: [{ path: 'definition.features.1' }] });
      const message = (error as Error).message;
      expect(message).toMatch(
        /^model refused: monetary: profile [0-9a-f-]{36} \(user id u-\d+\) has -\d+(\.\d+)?; log1p needs values above -1/,
      );
      expect(message).not.toMatch(/row \d/);
      const named = /profile ([0-9a-f-]{36}) \(user id u-(\d+)\)/.exec(message) as RegExpExecArray;
      expect(shop[Number(named[2])].refund).toBeGreaterThan(0);
      expect(order.find((row) => row.id === named[1])?.index).toBe(Number(named[2]));
      expect(refunded).toBeDefined();

      const clipped = await segments.create(card('net-spend-clipped', definition({ log1p: true, clip: { min: 0 } })), null, NOW);
      const model = await storedModel<StoredClusterModel>(clipped.id);
      expect(model.model.preprocessor.features[1]).toMatchObject({ name: 'monetary', log1p: true, clip: { min: 0 } });
    });

    it('narrows the population to a segment: trains and scores only its members; an unknown segment or itself is refused', async () => {
      const free = await segments.create(
        card('plan-free', { type: 'rules', match: { type: 'trait', trait: 'plan', operator: 'equals', value: 'free' } }),
        null,
        NOW,
      );
      const freeMembers = await refreshed(free.id);
      expect(freeMembers).toHaveLength(shop.filter((p) => p.plan === 'free').length);
      const definition = (population: unknown, pick = 0) => ({
        type: 'cluster',
        k: 2,
        cluster: pick,
        population,
        features: [{ source: 'frequency' }, { source: 'recency_days' }],
      });
      const narrowed = await segments.create(card('free-clusters', definition({ segment: 'plan-free' })), null, NOW);
      const model = await storedModel<StoredClusterModel>(narrowed.id);
      expect(model.profiles).toBe(freeMembers.length);
      const members = [
        ...(await refreshed(narrowed.id)),
        ...(await refreshed((await segments.create(card('free-clusters-1', definition({ segment: 'plan-free' }, 1)), null, NOW)).id)),
      ];
      expect(members.sort()).toEqual([...freeMembers].sort());

      await expect(segments.create(card('nowhere-clusters', definition({ segment: 'no-such-segment' })), null, NOW)).rejects.toMatchObject({
        code: 'unknown_segment_reference',
        details: [{ path: 'definition.population.segment' }],
      });
      await expect(segments.update(narrowed.id, { definition: definition({ segment: 'free-clusters' }) }, null, NOW)).rejects.toMatchObject(
        {
          code: 'segment_reference_cycle',
        },
      );
    });

    it('a categorical trait with missing values gets its own missing level', async () => {
      const definition = clusterDefinitionSchema.parse({
        type: 'cluster',
        k: 2,
        cluster: 0,
        population: 'all',
        features: [{ source: 'frequency' }, { source: 'trait', trait: 'plan', kind: 'categorical' }],
      });
      const segment = await segments.create(card('plan-clusters', definition), null, NOW);
      const model = await storedModel<StoredClusterModel>(segment.id);
      expect([...model.model.features].sort()).toEqual(['frequency', 'plan:missing', 'plan=free', 'plan=pro', 'plan=team']);
      // Inside a segment where every member has the same plan, the feature carries nothing: refused, naming it.
      await expect(
        segments.create(card('free-by-plan', { ...definition, population: { segment: 'plan-free' } }), null, NOW),
      ).rejects.toMatchObject({ code: 'constant_feature', details: [{ path: 'definition.features.1' }] });
      expect(model.notes).toContain(`plan: one-hot, 3 level(s) kept, ${shop.filter((p) => !p.plan).length} missing as plan:missing`);
    });
  });
});
