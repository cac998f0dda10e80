import { definitionOf, LEAF_TYPES, newLeaf, parseComparedNumber, parseList, parseValue, ruleNodeOf, valueText } from './rule-nodes';

describe('builder values as typed', () => {
  it.each([
    ['equals', 'pro', [], 'pro'],
    ['equals', '01234', [], '01234'],
    ['equals', '42', ['number'], 42],
    ['equals', 'true', ['boolean'], true],
    ['equals', '42', ['number', 'string'], '42'],
    ['gt', '10.5', [], 10.5],
    ['gte', '2026-01-01', [], '2026-01-01'],
    ['in', 'shoes, boots,', [], ['shoes', 'boots']],
    ['not_in', '1, 2', ['number'], [1, 2]],
    ['between', '5, 10', [], [5, 10]],
    ['between', '2026-01-01, 2026-02-01', [], ['2026-01-01', '2026-02-01']],
    ['exists', 'ignored', [], undefined],
    ['not_exists', '', [], undefined],
  ])('%s %j (types %j) is %j', (operator, text, types, expected) => {
    expect(parseValue(operator, text, types)).toEqual(expected);
  });

  it('reads a compared number, or [low, high] for between', () => {
    expect(parseComparedNumber('gt', '1000')).toBe(1000);
    expect(parseComparedNumber('between', '0, 7')).toEqual([0, 7]);
    // Switching to between from "30" starts from the range [30, 30].
    expect(parseComparedNumber('between', '30')).toEqual([30, 30]);
  });

  it('shows lists as comma-separated text', () => {
    expect(valueText(['a', 'b'])).toBe('a, b');
    expect(valueText(undefined)).toBe('');
  });
});

// One definition of each condition kind (the lifecycle and context-geo ones as in
// libs/segments-domain's LIFECYCLE_EXAMPLES and CONTEXT_GEO_EXAMPLES: the console's sources may not
// import libraries; e2e/builder-schema.e2e.spec.ts checks them against the schema).
const EXAMPLES: Record<string, unknown> = {
  sequence: {
    type: 'sequence',
    steps: [
      { event: 'Page Viewed', where: [{ property: 'path', operator: 'starts_with', value: '/pricing' }] },
      { event: 'Demo Requested' },
    ],
    within: '7d',
    window: 'last 30 days',
  },
  first_time: { type: 'first_time', event: 'Order Completed', window: 'last 7 days' },
  stopped: {
    type: 'stopped',
    event: 'Order Completed',
    where: [{ property: 'total', operator: 'gt', value: 10 }],
    active: '60d',
    quiet: '30d',
  },
  regularly: { type: 'regularly', event: 'Page Viewed', window: 'last 28 days', per: 'week', atLeast: 3 },
  computed_trait: { type: 'computed_trait', key: 'spend_90d', operator: 'between', value: [100, 500] },
  page_context: {
    type: 'event',
    messageType: 'page',
    window: 'last 30 days',
    where: [{ context: 'page.path', operator: 'starts_with', value: '/pricing' }],
  },
  location_near: { type: 'location', near: { latitude: 52.52, longitude: 13.405, km: 25 }, window: 'last 90 days' },
  dach_mobile: {
    type: 'all',
    conditions: [
      { type: 'location', country: ['DE', 'AT', 'CH'], postalCode: ['10', '80'] },
      {
        type: 'event',
        event: 'Order Completed',
        window: 'last 30 days',
        where: [
          { context: 'campaign.source', operator: 'equals', value: 'newsletter' },
          { context: 'device.type', operator: 'in', value: ['mobile', 'tablet'] },
          { near: { latitude: 48.1374, longitude: 11.5755, km: 50 } },
        ],
      },
    ],
  },
  screen_of_a_name: {
    type: 'not',
    condition: { type: 'event', event: 'Checkout', messageType: 'screen', window: 'ever', count: { operator: 'exactly', value: 0 } },
  },
};

describe('a definition of every condition kind round-trips through the builder', () => {
  it.each(Object.entries(EXAMPLES))('%s: definition -> nodes -> definition is the same', (_kind, match) => {
    expect(definitionOf(ruleNodeOf(match))).toEqual(match);
  });

  it('refuses, by path and type, a condition it has no form for (rather than dropping it on save)', () => {
    expect(() => ruleNodeOf({ type: 'all', conditions: [{ type: 'weather', sunny: true }] })).toThrow(
      'match.conditions.0: the builder has no form for a condition of type weather',
    );
  });

  it('drops what the form leaves empty: no filters, blank location entries, an "any page" empty name', () => {
    expect(definitionOf({ type: 'first_time', event: 'A', where: [], window: 'ever' })).toEqual({
      type: 'first_time',
      event: 'A',
      window: 'ever',
    });
    expect(definitionOf({ type: 'location', country: ['DE', ''], city: [''] })).toEqual({ type: 'location', country: ['DE'] });
    expect(definitionOf({ type: 'event', event: '', messageType: 'page', window: 'ever' })).toEqual({
      type: 'event',
      messageType: 'page',
      window: 'ever',
    });
    // A track event keeps its empty name: the API's 400 names the field.
    expect(definitionOf({ type: 'event', event: '', window: 'ever' })).toEqual({ type: 'event', event: '', window: 'ever' });
    expect(definitionOf({ type: 'sequence', steps: [{ event: 'A', where: [] }, { event: 'B' }], within: '1d', window: 'ever' })).toEqual({
      type: 'sequence',
      steps: [{ event: 'A' }, { event: 'B' }],
      within: '1d',
      window: 'ever',
    });
  });

  it('types every new leaf kind with a form of its own', () => {
    for (const type of LEAF_TYPES) expect(newLeaf(type).type).toBe(type);
    expect(parseList('DE, AT,')).toEqual(['DE', 'AT', '']);
  });
});
