import { describeDefinition } from './describe-definition';
import { lineDiff } from './line-diff';

describe('lineDiff', () => {
  it('keeps common lines and lists a changed line as removed then added', () => {
    expect(lineDiff(['all of:', 'a', 'b', 'c'], ['all of:', 'a', 'B', 'c'])).toEqual([
      { kind: 'same', text: 'all of:' },
      { kind: 'same', text: 'a' },
      { kind: 'removed', text: 'b' },
      { kind: 'added', text: 'B' },
      { kind: 'same', text: 'c' },
    ]);
  });

  it('handles additions at the end and an empty side', () => {
    expect(lineDiff(['a'], ['a', 'b'])).toEqual([
      { kind: 'same', text: 'a' },
      { kind: 'added', text: 'b' },
    ]);
    expect(lineDiff(['a', 'b'], [])).toEqual([
      { kind: 'removed', text: 'a' },
      { kind: 'removed', text: 'b' },
    ]);
  });
});

describe('describeDefinition', () => {
  it('reads a nested rules tree as indented sentences', () => {
    const definition = {
      type: 'rules',
      match: {
        type: 'all',
        conditions: [
          { type: 'event', event: 'Product Added', window: 'last 7 days' },
          { type: 'event', event: 'Order Completed', window: 'last 7 days', count: { operator: 'exactly', value: 0 } },
          {
            type: 'not',
            condition: {
              type: 'any',
              conditions: [
                { type: 'trait', trait: 'plan', operator: 'in', value: ['gold', 'vip'] },
                { type: 'segment', segment: 'vip' },
              ],
            },
          },
        ],
      },
    };
    expect(describeDefinition(definition)).toEqual([
      { depth: 0, text: 'all of:' },
      { depth: 1, text: 'did “Product Added” in the last 7 days' },
      { depth: 1, text: 'did not do “Order Completed” in the last 7 days' },
      { depth: 1, text: 'not:' },
      { depth: 2, text: 'any of:' },
      { depth: 3, text: 'trait plan is one of “gold” and “vip”' },
      { depth: 3, text: 'member of segment vip' },
    ]);
  });
});
