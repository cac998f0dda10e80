import { parseComparedNumber, parseValue, valueText } from './rule-nodes';

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
