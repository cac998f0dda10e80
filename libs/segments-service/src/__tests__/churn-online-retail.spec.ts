import { readFileSync } from 'node:fs';
import path from 'node:path';
import { propensityDefinitionSchema } from '@audiencekit/segments-domain';
import type { JobQueue } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { ModelSegmentsService, StoredPropensityModel } from '../model-segments.service';
import { SegmentDefinitionGate } from '../segment-definition.gate';
import { SegmentRefreshService } from '../segment-refresh.service';
import { SegmentsService } from '../segments.service';
import { importOrders } from './real-data';

/**
 * Churn (#21) on the real UCI Online Retail sample imported through the CLI importer: the label of
 * every customer equals pandas' computation of the same rule (fixtures/churn/make_churn_fixture.py),
 * and the fit is reproducible: the same file imported into two databases (different random profile
 * ids) gives exactly the same model, split and metrics.
 */
interface ChurnCase {
  cutoff: string;
  withinDays: number;
  lookbackDays: number;
  active: number;
  churned: number;
  labels: Record<string, 0 | 1>;
}
const FIXTURE = JSON.parse(
  readFileSync(path.resolve(__dirname, '../../../segments-domain/fixtures/churn/churn-online-retail-sample.json'), 'utf8'),
) as { cases: ChurnCase[] };
const NOW = new Date('2011-12-10T00:00:00Z');

jest.setTimeout(240_000);

const churnDefinition = (testCase: ChurnCase) => ({
  type: 'propensity',
  population: 'all',
  tier: 'top',
  seed: 11,
  cutoff: testCase.cutoff,
  outcome: {
    kind: 'churn',
    event: 'Order Completed',
    withinDays: testCase.withinDays,
    active: { lookbackDays: testCase.lookbackDays, events: 'outcome_event' },
  },
  features: [
    { source: 'recency_days' },
    { source: 'frequency', log1p: true },
    { source: 'monetary', clip: { min: 0 }, log1p: true },
    { source: 'tenure_days' },
  ],
});

const card = (key: string, definition: Record<string, unknown>) => ({
  key,
  name: key,
  description: '',
  owner: 'test',
  refreshCadence: 'manual',
  refitCadence: null,
  kpi: null,
  status: 'active' as const,
  qualityThresholds: { minSize: 1, maxChurn: 10 },
  definition,
});

describe('churn on online_retail_sample.csv', () => {
  const databases: TestDatabase[] = [];
  const models = new ModelSegmentsService();

  const customersOf = async (db: TestDatabase): Promise<Map<string, string>> => {
    const rows: { profile_id: string; value: string }[] = await db.dataSource.query(
      `SELECT profile_id, value FROM identities WHERE type = 'user_id'`,
    );
    return new Map(rows.map((row) => [row.profile_id, row.value]));
  };

  beforeAll(async () => {
    for (let i = 0; i < 2; i++) {
      const db = await createTestDatabase();
      databases.push(db);
      expect(await importOrders(db.url, 'online_retail_sample.csv')).toMatch(/Order Completed 27,384, Order Refunded 616/);
    }
  });
  afterAll(async () => {
    for (const db of databases) await db.drop();
  });

  it.each(FIXTURE.cases.map((testCase) => [testCase.cutoff, testCase] as const))(
    'labels every active customer as pandas does (cutoff %s)',
    async (_cutoff, testCase) => {
      const [db] = databases;
      const definition = propensityDefinitionSchema.parse(churnDefinition(testCase));
      const rows = await models.featureRows(db.dataSource.manager, definition, new Date(testCase.cutoff), definition.outcome);
      const customerOf = await customersOf(db);
      const labels = Object.fromEntries(rows.profileIds.map((id, i) => [customerOf.get(id) as string, (rows.outcome as Float64Array)[i]]));
      expect(rows.profileIds).toHaveLength(testCase.active);
      expect(labels).toEqual(testCase.labels);
      expect(Object.values(labels).filter((label) => label === 1)).toHaveLength(testCase.churned);
    },
  );

  it('fits the same model in two databases holding the same import (random profile ids differ), and tiers by churn risk', async () => {
    const testCase = FIXTURE.cases[0];
    const fitted: StoredPropensityModel[] = [];
    for (const db of databases) {
      const gate = new SegmentDefinitionGate();
      const segments = new SegmentsService(db.dataSource, gate);
      const segment = await segments.create(card('churn-risk', churnDefinition(testCase)), null, NOW);
      const [{ model }] = await db.dataSource.query(`SELECT model FROM segment_versions WHERE segment_id = $1`, [segment.id]);
      fitted.push(model as StoredPropensityModel);
      if (db === databases[0]) {
        const [run] = await db.dataSource.query(
          `INSERT INTO segment_runs (segment_id, version, status, trigger) VALUES ($1, 1, 'queued', 'manual') RETURNING id`,
          [segment.id],
        );
        const refresh = new SegmentRefreshService(db.dataSource, segments, gate, undefined as unknown as JobQueue);
        expect(await refresh.execute(run.id, NOW)).toMatchObject({
          status: 'succeeded',
          size: (model as StoredPropensityModel).tierCounts.top,
        });
      }
    }
    const [a, b] = fitted;
    // The profile ids are random per database: the rows and the split must not depend on them.
    const idsA = [...(await customersOf(databases[0])).keys()].sort();
    const idsB = [...(await customersOf(databases[1])).keys()].sort();
    expect(idsA).not.toEqual(idsB);
    expect(a).toMatchObject({ profiles: testCase.active, positives: testCase.churned, cutoff: testCase.cutoff.replace('Z', '.000Z') });
    expect(b.model.coefficients).toEqual(a.model.coefficients);
    expect(b.model.intercept).toBe(a.model.intercept);
    expect(b.model.preprocessor).toEqual(a.model.preprocessor);
    expect(b.heldOutAuc).toBe(a.heldOutAuc);
    expect(b.trainAuc).toBe(a.trainAuc);
    expect(b.split).toEqual(a.split);
    expect(b.thresholds).toEqual(a.thresholds);
    expect(b.tierCounts).toEqual(a.tierCounts);
    expect(b.calibration).toEqual(a.calibration);
    // Recency and a short history predict churn on this data: the model is published.
    expect(a.heldOutAuc).toBeGreaterThan(0.6);
    process.stdout.write(
      `churn online retail (cutoff ${testCase.cutoff}, ${testCase.withinDays} d): held-out AUC ${a.heldOutAuc}, train AUC ${a.trainAuc}, ${a.profiles} active, ${a.positives} churned, tiers ${JSON.stringify(a.tierCounts)}\n`,
    );
  });
});
