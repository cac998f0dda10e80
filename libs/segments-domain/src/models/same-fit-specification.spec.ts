import { parseSegmentDefinition } from '../rules';
import { type PropensityDefinition, sameFitSpecification } from './model-definitions.schema';

describe('sameFitSpecification', () => {
  const definition = parseSegmentDefinition({
    type: 'propensity',
    tier: 'top',
    population: 'all',
    outcome: { event: 'Order Completed', withinDays: 30 },
    features: [{ source: 'frequency' }, { source: 'trait', trait: 'plan', kind: 'categorical' }],
  }) as PropensityDefinition;
  /** The same object with its keys in another order, as a jsonb column gives it back. */
  const reordered = <T>(value: T): T =>
    value && typeof value === 'object' && !Array.isArray(value)
      ? (Object.fromEntries(
          Object.entries(value)
            .reverse()
            .map(([key, inner]) => [key, reordered(inner)]),
        ) as T)
      : Array.isArray(value)
        ? (value.map(reordered) as T)
        : value;

  it('ignores key order, the pick and the drift settings', () => {
    expect(JSON.stringify(reordered(definition))).not.toBe(JSON.stringify(definition));
    expect(sameFitSpecification(reordered(definition), definition)).toBe(true);
    expect(sameFitSpecification(definition, { ...definition, tier: 'bottom' })).toBe(true);
    expect(sameFitSpecification(reordered(definition), { ...definition, drift: { psiThreshold: 0.3, aucFloor: 0.7 } })).toBe(true);
  });

  it('tells a change of anything the fit reads', () => {
    expect(sameFitSpecification(definition, { ...definition, C: 2 })).toBe(false);
    expect(sameFitSpecification(definition, { ...definition, outcome: { ...definition.outcome, withinDays: 60 } })).toBe(false);
    // Feature order is the column order of the model: a different model.
    expect(sameFitSpecification(definition, { ...definition, features: [...definition.features].reverse() })).toBe(false);
  });
});
