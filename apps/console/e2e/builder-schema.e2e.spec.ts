import {
  COMPARISON_OPERATORS as DOMAIN_COMPARISON_OPERATORS,
  COUNT_OPERATORS as DOMAIN_COUNT_OPERATORS,
  parseSegmentDefinition,
  VALUE_OPERATORS as DOMAIN_VALUE_OPERATORS,
} from '@audiencekit/segments-domain';
import { COMPARISON_OPERATORS, COUNT_OPERATORS, LEAF_TYPES, MEASURES, newLeaf, RuleNode, VALUE_OPERATORS } from '../src/builder/rule-nodes';

// The builder's rule forms against the definition schema itself (no browser). It lives with the
// e2e specs because the console's sources may not import libraries (apps/console/tsconfig.json has
// no paths) while these files are type-checked with the workspace's.
describe('the builder offers every rule of the definition schema', () => {
  it('has the operators of libs/segments-domain', () => {
    expect(VALUE_OPERATORS).toEqual([...DOMAIN_VALUE_OPERATORS]);
    expect(COUNT_OPERATORS).toEqual([...DOMAIN_COUNT_OPERATORS]);
    expect(COMPARISON_OPERATORS).toEqual([...DOMAIN_COMPARISON_OPERATORS]);
  });

  it('has a form for every condition type the schema accepts, and each new leaf is valid once named', () => {
    const named: Record<string, Partial<RuleNode>> = {
      event: { event: 'Order Completed' },
      trait: { trait: 'plan', value: 'pro' },
      segment: { segment: 'vip' },
    };
    for (const type of LEAF_TYPES) {
      const leaf = { ...newLeaf(type), ...named[type] } as RuleNode;
      expect(() => parseSegmentDefinition({ type: 'rules', match: { type: 'all', conditions: [leaf] } })).not.toThrow();
    }
    // The group kinds are the group editor's (all / any and its "not" box); the rest are leaves.
    const schemaTypes = ['all', 'any', 'not', 'event', 'trait', 'recency', 'frequency', 'segment'];
    expect([...LEAF_TYPES, 'all', 'any', 'not'].sort()).toEqual(schemaTypes.sort());
    expect(MEASURES).toEqual(['count', 'sum', 'avg', 'min', 'max']);
  });
});
