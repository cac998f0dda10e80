import { join } from 'node:path';
import { expectGolden } from '@audiencekit/testing';
import { compileSegmentSql } from '../compile-segment-sql';
import { compileFeatureSql } from '../models/feature-sql';
import { clusterDefinitionSchema, propensityDefinitionSchema } from '../models/model-definitions.schema';
import { compileRfmScoresSql } from '../rfm/compile-rfm-sql';
import { parseSegmentDefinition } from '../rules/definition.schema';
import { CONTEXT_GEO_EXAMPLES } from '../rules/context-geo.examples';
import { EXAMPLE_SEGMENTS, LIFECYCLE_EXAMPLES } from '../rules/examples';
import type { CompiledSql } from './sql-parameters';

/**
 * Golden SQL of every builder of this library (`__golden__/*.sql`): the rules compiler over the
 * example segments, RFM and intent × value, and the feature SQL of cluster / propensity segments.
 * They make a query change visible in review; correctness is proven elsewhere (the differential
 * test against the in-memory evaluator, the pandas and scikit-learn reference numbers).
 * `UPDATE_GOLDENS=1 npx jest libs/segments-domain/src/sql` rewrites them.
 */
const NOW = new Date('2026-03-01T12:00:00.000Z');
const golden = (name: string, sql: CompiledSql) =>
  expectGolden(join(__dirname, '__golden__', `${name}.sql`), `${sql.text}\n-- values: ${JSON.stringify(sql.values)}`);

describe('golden SQL of the segment SQL builders', () => {
  it.each(Object.values(EXAMPLE_SEGMENTS).map((example) => [example.key, example.definition] as const))(
    'rules: example segment %s',
    (key, definition) => {
      golden(`rules-${key}`, compileSegmentSql(parseSegmentDefinition(definition), { now: NOW }));
    },
  );

  it.each(Object.values(LIFECYCLE_EXAMPLES).map((example) => [example.key, example.definition] as const))(
    'rules: lifecycle example %s',
    (key, definition) => {
      golden(`rules-${key}`, compileSegmentSql(parseSegmentDefinition(definition), { now: NOW }));
    },
  );

  it.each(Object.values(CONTEXT_GEO_EXAMPLES).map((example) => [example.key, example.definition] as const))(
    'rules: context and geography example %s',
    (key, definition) => {
      golden(`rules-${key}`, compileSegmentSql(parseSegmentDefinition(definition), { now: NOW }));
    },
  );

  it('rfm: tiers, and the scores query', () => {
    const rfm = parseSegmentDefinition({ type: 'rfm', tiers: ['champions', 'loyal'], window: 'last 365 days' });
    golden('rfm-tiers', compileSegmentSql(rfm, { now: NOW }));
    const withoutRefunds = parseSegmentDefinition({ type: 'rfm', tiers: ['champions'], refundEvent: null });
    if (withoutRefunds.type !== 'rfm') throw new Error('expected an rfm definition');
    golden('rfm-scores-without-refunds', compileRfmScoresSql(withoutRefunds, { now: NOW }));
  });

  it('intent × value: by recency and by an intent segment', () => {
    golden(
      'intent-value-recency',
      compileSegmentSql(parseSegmentDefinition({ type: 'intent_value', cell: 'high_intent_low_value' }), { now: NOW }),
    );
    golden(
      'intent-value-segment',
      compileSegmentSql(
        parseSegmentDefinition({
          type: 'intent_value',
          cell: 'low_intent_high_value',
          intent: { source: 'segment', segment: 'cart-abandoner' },
        }),
        { now: NOW },
      ),
    );
  });

  it('feature SQL: a cluster over every feature source, and a propensity model with its outcome', () => {
    const cluster = clusterDefinitionSchema.parse({
      type: 'cluster',
      k: 3,
      cluster: 0,
      population: 'all',
      features: [
        { source: 'recency_days' },
        { source: 'frequency' },
        { source: 'monetary' },
        { source: 'avg_order_value' },
        { source: 'tenure_days' },
        { source: 'event_count', event: 'Page Viewed' },
        { source: 'trait', trait: 'income.yearly' },
      ],
    });
    golden('feature-cluster', compileFeatureSql(cluster, NOW));
    const propensity = propensityDefinitionSchema.parse({
      type: 'propensity',
      tier: 'top',
      outcome: { event: 'Order Completed', withinDays: 30 },
      features: [{ source: 'frequency' }, { source: 'event_count', event: 'Product Viewed' }],
    });
    golden('feature-propensity', compileFeatureSql(propensity, NOW, propensity.outcome));
    const churn = propensityDefinitionSchema.parse({
      type: 'propensity',
      tier: 'top',
      population: 'all',
      outcome: { kind: 'churn', event: 'Order Completed', withinDays: 90, active: { lookbackDays: 365, events: 'any_event' } },
      features: [{ source: 'frequency' }, { source: 'recency_days' }],
    });
    golden('feature-churn', compileFeatureSql(churn, NOW, churn.outcome));
  });
});
