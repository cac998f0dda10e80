import { compileSegmentSql } from '../compile-segment-sql';
import { definitionCost, parseNewSegmentDefinition } from './definition-cost';
import { parseSegmentDefinition, SegmentDefinitionException } from './definition.schema';
import { evaluateSegment } from './evaluate';
import { EXAMPLE_SEGMENTS } from './examples';
import { findSegmentReferenceCycle, segmentReferences } from './references';
import { parseWindow } from './window';

function issuesOf(raw: unknown): { path: string; message: string }[] {
  try {
    parseSegmentDefinition(raw);
  } catch (error) {
    if (error instanceof SegmentDefinitionException) return error.issues;
    throw error;
  }
  throw new Error('expected the definition to be refused');
}

const rules = (match: unknown) => ({ type: 'rules', match });

describe('segment definition schema', () => {
  it.each(Object.entries(EXAMPLE_SEGMENTS))('accepts the seed example %s', (_name, example) => {
    expect(parseSegmentDefinition(example.definition)).toEqual(example.definition);
  });

  it('names the path of an unknown trait operator', () => {
    const issues = issuesOf(rules({ type: 'all', conditions: [{ type: 'trait', trait: 'age', operator: 'greater', value: 3 }] }));
    expect(issues).toEqual([expect.objectContaining({ path: 'match.conditions.0.operator' })]);
    expect(issues[0].message).toMatch(/expected one of/);
  });

  it('names the path and the reason of a value of the wrong type', () => {
    expect(issuesOf(rules({ type: 'any', conditions: [{ type: 'trait', trait: 'age', operator: 'in', value: 3 }] }))).toEqual([
      { path: 'match.conditions.0.value', message: 'must be a non-empty array for operator in' },
    ]);
    expect(issuesOf(rules({ type: 'trait', trait: 'age', operator: 'gt', value: 'soon' }))).toEqual([
      { path: 'match.value', message: 'must be a number or an ISO 8601 date for operator gt' },
    ]);
  });

  it('names the path of a window that does not parse', () => {
    const issues = issuesOf(rules({ type: 'not', condition: { type: 'event', event: 'Order Completed', window: 'recently' } }));
    expect(issues).toEqual([{ path: 'match.condition.window', message: expect.stringMatching(/does not parse/) }]);
  });

  it('refuses unknown node types and unknown keys', () => {
    expect(issuesOf(rules({ type: 'sometimes' }))[0].path).toBe('match.type');
    expect(issuesOf(rules({ type: 'segment', segment: 'vip', extra: 1 }))[0]).toEqual({
      path: 'match',
      message: 'Unrecognized key: "extra"',
    });
  });

  it('refuses numeric path segments, which Postgres and JavaScript read differently', () => {
    expect(issuesOf(rules({ type: 'trait', trait: 'tags.0', operator: 'exists' }))[0].path).toBe('match.trait');
  });

  it('refuses a definition of 1 MB at the root, before walking it', () => {
    const huge = rules({
      type: 'any',
      conditions: Array.from({ length: 20_000 }, (_, index) => ({
        type: 'trait',
        trait: `t${index}`,
        operator: 'equals',
        value: 'x'.repeat(30),
      })),
    });
    expect(JSON.stringify(huge).length).toBeGreaterThan(1_000_000);
    expect(issuesOf(huge)).toEqual([{ path: '', message: expect.stringMatching(/bytes; at most 65536 are allowed/) }]);
  });

  it('refuses too many conditions and too deep nesting', () => {
    let deep: unknown = { type: 'trait', trait: 'a', operator: 'exists' };
    for (let level = 0; level < 25; level += 1) deep = { type: 'not', condition: deep };
    expect(issuesOf(rules(deep))).toEqual([{ path: 'match', message: 'is nested 26 levels deep; at most 20 are allowed' }]);
  });

  // Built thousands deep, these overflowed the stack of the recursive schema (and of JSON.stringify): a 500.
  const nested = (depth: number, wrap: (inner: unknown) => unknown, leaf: unknown) => {
    let node = leaf;
    for (let level = 0; level < depth; level += 1) node = wrap(node);
    return node;
  };
  it.each([
    [
      'not conditions',
      rules(nested(5_000, (inner) => ({ type: 'not', condition: inner }), { type: 'trait', trait: 'a', operator: 'exists' })),
      'match.condition.condition',
    ],
    [
      'all groups',
      rules(nested(5_000, (inner) => ({ type: 'all', conditions: [inner] }), { type: 'trait', trait: 'a', operator: 'exists' })),
      'match.conditions.0.conditions.0',
    ],
    [
      'arrays in a value',
      rules({ type: 'trait', trait: 'a', operator: 'in', value: nested(5_000, (inner) => [inner], 1) }),
      'match.value.0.0',
    ],
    ['objects of a cluster definition', nested(100_000, (inner) => ({ type: 'cluster', features: inner }), 1), 'features.features'],
  ])('refuses %s nested thousands deep with the path and the reason, before any recursive walk', (_label, definition, pathStart) => {
    const issues = issuesOf(definition);
    expect(issues).toEqual([
      {
        path: expect.stringMatching(new RegExp(`^${pathStart.replace(/\./g, '\\.')}`)),
        message: 'is nested more than 64 levels deep (JSON objects and arrays); at most 64 are allowed',
      },
    ]);
    expect(issues[0].path.split('.').length).toBeLessThanOrEqual(64 * 2);
  });
});

describe('definition cost budget (definitions being saved or previewed)', () => {
  const newIssuesOf = (raw: unknown) => {
    try {
      parseNewSegmentDefinition(raw);
    } catch (error) {
      if (error instanceof SegmentDefinitionException) return error.issues;
      throw error;
    }
    throw new Error('expected the definition to be refused');
  };
  const aggregate = (index: number, window = 'last 30 days') => ({
    type: 'event',
    event: 'Order Completed',
    window,
    aggregate: { function: 'sum', property: 'amount', operator: 'gt', value: index },
  });
  const trait = (index: number) => ({ type: 'trait', trait: `t${index}`, operator: 'equals', value: 'x' });

  it('refuses 120 aggregate conditions (the definition that exhausted the pool), naming the path, the cost and the budget', () => {
    expect(newIssuesOf(rules({ type: 'any', conditions: Array.from({ length: 120 }, (_, index) => aggregate(index)) }))).toEqual([
      { path: 'match', message: expect.stringMatching(/^costs 961 units; at most 800 are allowed \(aggregate event conditions cost 8/) },
    ]);
  });

  it('weighs long windows and property filters: 100 "ever" event conditions with two filters are over budget', () => {
    const filtered = {
      type: 'event',
      event: 'Page Viewed',
      window: 'ever',
      where: [
        { property: 'a', operator: 'exists' },
        { property: 'b', operator: 'exists' },
      ],
    };
    expect(newIssuesOf(rules({ type: 'all', conditions: Array.from({ length: 100 }, () => filtered) }))[0]).toEqual({
      path: 'match',
      message: expect.stringMatching(/^costs 901 units/),
    });
  });

  it('still reads a stored definition over the budget (a lower budget never makes a saved segment unreadable)', () => {
    expect(() =>
      parseSegmentDefinition(rules({ type: 'any', conditions: Array.from({ length: 120 }, (_, index) => aggregate(index)) })),
    ).not.toThrow();
  });

  it('accepts what stays within it: 500 trait conditions, 60 aggregates over all time', () => {
    expect(() =>
      parseNewSegmentDefinition(rules({ type: 'any', conditions: Array.from({ length: 499 }, (_, index) => trait(index)) })),
    ).not.toThrow();
    expect(() =>
      parseNewSegmentDefinition(rules({ type: 'any', conditions: Array.from({ length: 60 }, (_, index) => aggregate(index, 'ever')) })),
    ).not.toThrow();
    expect(
      definitionCost({
        type: 'any',
        conditions: [aggregate(1, 'ever'), trait(1), { type: 'not', condition: { type: 'segment', segment: 'vip' } }],
      } as never),
    ).toBe(1 + 12 + 1 + 1 + 2);
  });
});

describe('windows', () => {
  it.each(['last 30 days', 'last 1 day', 'LAST 12 hours', 'last 2 weeks', 'ever', 'between 2026-01-01 and 2026-02-01T10:00:00Z'])(
    'parses %s',
    (text) => {
      expect(parseWindow(text).problem).toBeUndefined();
    },
  );

  it.each([
    ['last 0 days', /at least one unit/],
    ['last 40000 days', /at most 36500 days/],
    ['between 2026-02-01 and 2026-01-01', /start before it ends/],
    ['between 2026-02-30 and 2026-03-01', /ISO 8601/],
    ['last month', /does not parse/],
  ])('refuses %s', (text, reason) => {
    expect(parseWindow(text).problem).toMatch(reason);
  });
});

describe('the seed examples evaluate as the seeds describe them', () => {
  const now = new Date('2026-06-15T00:00:00Z');
  const daysAgo = (days: number) => new Date(now.getTime() - days * 86_400_000);
  const member = (definition: unknown, events: { name: string; timestamp: Date; properties?: Record<string, unknown> }[]) =>
    evaluateSegment(parseSegmentDefinition(definition), { traits: {}, events }, { now });

  it('cart abandoner: added a product in the last 7 days and bought nothing since', () => {
    const { definition } = EXAMPLE_SEGMENTS.cartAbandoner;
    expect(member(definition, [{ name: 'Product Added', timestamp: daysAgo(2) }])).toBe(true);
    expect(
      member(definition, [
        { name: 'Product Added', timestamp: daysAgo(2) },
        { name: 'Order Completed', timestamp: daysAgo(1) },
      ]),
    ).toBe(false);
    expect(member(definition, [{ name: 'Product Added', timestamp: daysAgo(8) }])).toBe(false);
  });

  it('VIP: lifetime revenue above 1,000 and a purchase in the last 90 days', () => {
    const { definition } = EXAMPLE_SEGMENTS.vip;
    const order = (days: number, revenue: number) => ({ name: 'Order Completed', timestamp: daysAgo(days), properties: { revenue } });
    expect(member(definition, [order(400, 900), order(10, 200)])).toBe(true);
    expect(member(definition, [order(400, 900), order(100, 200)])).toBe(false);
    expect(member(definition, [order(10, 1000)])).toBe(false);
  });

  it('win-back candidate: a purchase ever, none in the last 180 days', () => {
    const { definition } = EXAMPLE_SEGMENTS.winBack;
    expect(member(definition, [{ name: 'Order Completed', timestamp: daysAgo(200) }])).toBe(true);
    expect(member(definition, [{ name: 'Order Completed', timestamp: daysAgo(180) }])).toBe(true);
    expect(
      member(definition, [
        { name: 'Order Completed', timestamp: daysAgo(200) },
        { name: 'Order Completed', timestamp: daysAgo(179) },
      ]),
    ).toBe(false);
    expect(member(definition, [])).toBe(false);
  });
});

describe('compiled SQL', () => {
  it('binds every user value and splices none into the text', () => {
    const hostile = "x'); DROP TABLE profiles; --";
    const definition = parseSegmentDefinition(
      rules({
        type: 'all',
        conditions: [
          { type: 'trait', trait: hostile, operator: 'equals', value: hostile },
          { type: 'event', event: hostile, window: 'last 7 days', where: [{ property: hostile, operator: 'contains', value: hostile }] },
          { type: 'segment', segment: hostile },
        ],
      }),
    );
    const query = compileSegmentSql(definition, { now: new Date() });
    expect(query.text).not.toContain('DROP');
    expect(query.text).not.toContain("'x'");
    expect(query.values).toEqual(expect.arrayContaining([hostile, JSON.stringify(hostile)]));
    expect((query.text.match(/\$\d+/g) ?? []).length).toBeGreaterThanOrEqual(query.values.length);
  });
});

describe('segment reference cycles', () => {
  it('lists what a definition refers to', () => {
    const definition = parseSegmentDefinition(
      rules({
        type: 'any',
        conditions: [
          { type: 'segment', segment: 'a' },
          { type: 'not', condition: { type: 'segment', segment: 'b' } },
        ],
      }),
    );
    expect(segmentReferences(definition).sort()).toEqual(['a', 'b']);
  });

  it('finds a cycle and returns its path', () => {
    const graph = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
      ['d', ['a']],
    ]);
    expect(findSegmentReferenceCycle(graph)).toEqual(['a', 'b', 'c', 'a']);
    expect(findSegmentReferenceCycle(new Map([['a', ['a']]]))).toEqual(['a', 'a']);
  });

  it('accepts shared references that are not cycles, and long chains', () => {
    expect(
      findSegmentReferenceCycle(
        new Map([
          ['a', ['b', 'c']],
          ['b', ['c']],
          ['c', ['unknown']],
        ]),
      ),
    ).toBeUndefined();
    const chain = new Map(Array.from({ length: 100_000 }, (_, index) => [`s${index}`, [`s${index + 1}`]]));
    expect(findSegmentReferenceCycle(chain)).toBeUndefined();
  });
});
