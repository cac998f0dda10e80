import { join } from 'node:path';
import { expectGolden } from '@audiencekit/testing';
import { compileFeatureSql, featureKinds, FeatureSourceException } from './feature-sql';
import { clusterDefinitionSchema, propensityDefinitionSchema } from './model-definitions.schema';

/**
 * The feature SQL of the #21 sources (categorical trait, event property, computed traits as of the
 * cutoff, a segment population), pinned as golden text next to the other builders' goldens
 * (`UPDATE_GOLDENS=1 npx jest libs/segments-domain/src/models` rewrites it). Values are checked against
 * Postgres in libs/segments-service (model-features.spec.ts).
 */
const NOW = new Date('2026-03-01T12:00:00.000Z');
const computedTraits = {
  spend_90d: {
    version: 3,
    definition: { function: 'sum' as const, event: 'Order Completed', property: 'revenue', window: 'last 90 days' },
  },
  last_channel: {
    version: 1,
    definition: { function: 'last' as const, event: 'Page Viewed', property: 'utm_source', window: 'last 30 days' },
  },
};
const definition = propensityDefinitionSchema.parse({
  type: 'propensity',
  tier: 'top',
  population: { segment: 'newsletter' },
  outcome: { event: 'Order Completed', withinDays: 30 },
  features: [
    { source: 'trait', trait: 'plan', kind: 'categorical', topLevels: 5 },
    { source: 'event_property', event: 'Order Completed', property: 'payment_method' },
    { source: 'computed_trait', key: 'spend_90d', log1p: true, clip: { min: 0 } },
    { source: 'computed_trait', key: 'last_channel' },
  ],
});

describe('compileFeatureSql for categorical, event-property and computed-trait features', () => {
  it('pins the text; every user value is a bind parameter', () => {
    const sql = compileFeatureSql(definition, NOW, definition.outcome, { computedTraits });
    expectGolden(
      join(__dirname, '..', 'sql', '__golden__', 'feature-categorical.sql'),
      `${sql.text}\n-- values: ${JSON.stringify(sql.values)}`,
    );
    for (const text of ['plan', 'payment_method', 'Order Completed', 'newsletter', 'revenue', 'utm_source'])
      expect(sql.text).not.toContain(text);
  });

  it('types each feature: a categorical trait, an event property, a sum (numeric) and a last value (categorical)', () => {
    expect(featureKinds(definition, { computedTraits })).toEqual(['categorical', 'categorical', 'numeric', 'categorical']);
  });

  it('needs the computed traits resolved (the service resolves and stores them)', () => {
    expect(() => compileFeatureSql(definition, NOW)).toThrow(FeatureSourceException);
  });

  it('refuses numeric options on a declared categorical feature, and topLevels on a numeric one', () => {
    const parse = (feature: Record<string, unknown>) =>
      clusterDefinitionSchema
        .safeParse({ type: 'cluster', k: 2, cluster: 0, features: [feature] })
        .error?.issues.map((issue) => issue.path.join('.'));
    expect(parse({ source: 'trait', trait: 'plan', kind: 'categorical', log1p: true })).toEqual(['features.0.log1p']);
    expect(parse({ source: 'trait', trait: 'age', topLevels: 3 })).toEqual(['features.0.topLevels']);
    expect(parse({ source: 'monetary', clip: { min: 5, max: 1 } })).toEqual(['features.0.clip']);
    expect(parse({ source: 'computed_trait', key: 'Bad Key' })).toEqual(['features.0.key']);
    expect(parse({ source: 'trait', trait: 'age' })).toBeUndefined();
  });
});
