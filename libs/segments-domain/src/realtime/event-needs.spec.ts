import { RulesDefinition } from '../rules/definition.schema';
import { EXAMPLE_SEGMENTS } from '../rules/examples';
import { realtimeEventNeeds } from './event-needs';

const NOW = new Date('2026-06-01T12:00:00.000Z');
const DAY = 86_400_000;
const rules = (match: RulesDefinition['match']): RulesDefinition => ({ type: 'rules', match });

describe('realtimeEventNeeds', () => {
  it('the cart abandoner reads two names over the last 7 days', () => {
    const needs = realtimeEventNeeds([EXAMPLE_SEGMENTS.cartAbandoner.definition]);
    expect(needs.names).toEqual(['Order Completed', 'Product Added']);
    expect(needs.sinceMs(NOW)).toBe(NOW.getTime() - 7 * DAY);
  });

  it('takes the union of names and the longest window, nested anywhere', () => {
    const needs = realtimeEventNeeds([
      rules({ type: 'not', condition: { type: 'event', event: 'Page Viewed', window: 'last 2 hours' } }),
      rules({
        type: 'any',
        conditions: [{ type: 'frequency', event: 'Product Added', window: 'last 3 days', operator: 'at_least', value: 2 }],
      }),
      rules({ type: 'trait', trait: 'plan', operator: 'exists' }),
    ]);
    expect(needs).toMatchObject({ names: ['Page Viewed', 'Product Added'] });
    expect(needs.sinceMs(NOW)).toBe(NOW.getTime() - 3 * DAY);
  });

  it.each([
    ['ever', rules({ type: 'event', event: 'A', window: 'ever' })],
    ['between', rules({ type: 'event', event: 'A', window: 'between 2026-01-01 and 2026-02-01' })],
    ['recency', rules({ type: 'recency', event: 'A', operator: 'lt', days: 1 })],
  ])('%s has no lower bound', (_, definition) => {
    expect(realtimeEventNeeds([definition, rules({ type: 'event', event: 'B', window: 'last 1 days' })]).sinceMs(NOW)).toBeNull();
  });

  it.each([
    ['frequency', rules({ type: 'frequency', window: 'last 1 days', operator: 'at_least', value: 1 })],
    ['recency', rules({ type: 'recency', operator: 'lt', days: 1 })],
  ])('%s without an event needs every name', (_, definition) => {
    expect(realtimeEventNeeds([rules({ type: 'event', event: 'B', window: 'last 1 days' }), definition]).names).toBe('all');
  });

  it('traits and segment references need no events', () => {
    const needs = realtimeEventNeeds([rules({ type: 'segment', segment: 'vip' })]);
    expect(needs.names).toEqual([]);
    expect(needs.sinceMs(NOW)).toBe(NOW.getTime());
  });
});
