import { formatDate } from '../format';
import { valuesText } from './explain-values';

describe('what decided a new kind of leaf, in words', () => {
  const at = '2026-12-01T10:00:00.000Z';
  const later = '2026-12-03T10:00:00.000Z';
  it.each([
    [
      { kind: 'sequence', matchedAt: [at, later], windowStart: null, windowEnd: later },
      `steps at ${formatDate(at)} → ${formatDate(later)}`,
    ],
    [{ kind: 'sequence', matchedAt: null, windowStart: null, windowEnd: later }, 'no matching sequence in the window'],
    [{ kind: 'first_time', firstAt: null, windowStart: null, windowEnd: later }, 'never'],
    [
      { kind: 'stopped', activeSince: at, quietSince: at, lastActiveAt: at, lastQuietAt: null },
      `last active ${formatDate(at)}, quiet since`,
    ],
    [
      { kind: 'regularly', per: 'week', distinct: 2, atLeast: 3, periods: [], windowStart: null, windowEnd: later },
      '2 distinct weeks of 3 needed',
    ],
    [
      { kind: 'location', lastAt: at, locations: [{ country: 'DE', city: 'Berlin' }], distanceKm: 1.25 },
      `last seen Berlin, DE (${formatDate(at)}), 1.3 km away`,
    ],
    [{ kind: 'location', lastAt: null, locations: [] }, 'no known location'],
  ])('%j', (values, text) => {
    expect(valuesText(values)).toBe(text);
  });
});
