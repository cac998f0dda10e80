import {
  COMPARISON_OPERATORS as DOMAIN_COMPARISON_OPERATORS,
  COUNT_OPERATORS as DOMAIN_COUNT_OPERATORS,
  LIFECYCLE_EXAMPLES,
  MESSAGE_TYPES as DOMAIN_MESSAGE_TYPES,
  parseSegmentDefinition,
  VALUE_OPERATORS as DOMAIN_VALUE_OPERATORS,
} from '@audiencekit/segments-domain';
import {
  COMPARISON_OPERATORS,
  COUNT_OPERATORS,
  definitionOf,
  LEAF_TYPES,
  MEASURES,
  MESSAGE_TYPES,
  newFilter,
  newLeaf,
  RuleNode,
  ruleNodeOf,
  VALUE_OPERATORS,
} from '../src/builder/rule-nodes';

// The builder's rule forms against the definition schema itself (no browser). It lives with the
// e2e specs because the console's sources may not import libraries (apps/console/tsconfig.json has
// no paths) while these files are type-checked with the workspace's.
describe('the builder offers every rule of the definition schema', () => {
  it('has the operators of libs/segments-domain', () => {
    expect(VALUE_OPERATORS).toEqual([...DOMAIN_VALUE_OPERATORS]);
    expect(COUNT_OPERATORS).toEqual([...DOMAIN_COUNT_OPERATORS]);
    expect(COMPARISON_OPERATORS).toEqual([...DOMAIN_COMPARISON_OPERATORS]);
    expect(MESSAGE_TYPES).toEqual([...DOMAIN_MESSAGE_TYPES]);
  });

  it('has a form for every condition type the schema accepts, and each new leaf is valid once named', () => {
    const named: Record<string, Partial<RuleNode>> = {
      event: { event: 'Order Completed' },
      trait: { trait: 'plan', value: 'pro' },
      segment: { segment: 'vip' },
      computed_trait: { key: 'spend_90d' },
      sequence: { steps: [{ event: 'Pricing Viewed' }, { event: 'Demo Requested' }] },
      first_time: { event: 'Order Completed' },
      stopped: { event: 'Order Completed' },
      regularly: { event: 'Page Viewed' },
      location: { country: ['DE'] },
    };
    for (const type of LEAF_TYPES) {
      const leaf = { ...newLeaf(type), ...named[type] } as RuleNode;
      expect(() => parseSegmentDefinition({ type: 'rules', match: { type: 'all', conditions: [leaf] } })).not.toThrow();
    }
    // The group kinds are the group editor's (all / any and its "not" box); the rest are leaves.
    const schemaTypes = [
      'all',
      'any',
      'not',
      'event',
      'trait',
      'recency',
      'frequency',
      'segment',
      'computed_trait',
      'sequence',
      'first_time',
      'stopped',
      'regularly',
      'location',
    ];
    expect([...LEAF_TYPES, 'all', 'any', 'not'].sort()).toEqual(schemaTypes.sort());
    expect(MEASURES).toEqual(['count', 'sum', 'avg', 'min', 'max']);
  });

  it('offers filters of each kind (property, context, near) that the schema accepts once filled', () => {
    const filled = [
      { ...newFilter('property'), property: 'total', operator: 'gt', value: 10 },
      { ...newFilter('context'), value: '/pricing' },
      newFilter('near'),
    ];
    const match = { type: 'event', event: 'Order Completed', window: 'last 7 days', where: filled };
    expect(() => parseSegmentDefinition({ type: 'rules', match: definitionOf(match as RuleNode) })).not.toThrow();
  });

  it.each(Object.entries(LIFECYCLE_EXAMPLES))('round-trips the domain example %s and sends what the schema accepts', (_name, example) => {
    const sent = definitionOf(ruleNodeOf(example.definition.match));
    expect(sent).toEqual(example.definition.match);
    expect(() => parseSegmentDefinition({ type: 'rules', match: sent })).not.toThrow();
  });
});
