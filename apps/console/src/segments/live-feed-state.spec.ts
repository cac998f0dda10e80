import type { MembershipChange } from '../types';
import { describeCadence, cadenceKind } from './cadence';
import { FEED_LENGTH, mergeChanges, nextAfter } from './live-feed-state';

const change = (id: number, change: 'added' | 'removed' = 'added'): MembershipChange => ({
  id,
  profileId: `00000000-0000-4000-8000-${String(id).padStart(12, '0')}`,
  change,
  cause: 'realtime',
  runId: null,
  version: 1,
  changedAt: '2026-12-07T03:00:00.000Z',
});

describe('the live feed of a segment page', () => {
  it('puts a poll’s changes above the shown ones, newest first, each once', () => {
    const shown = [change(3), change(2), change(1)];
    expect(mergeChanges([change(5), change(4), change(3)], shown).map((item) => item.id)).toEqual([5, 4, 3, 2, 1]);
  });

  it('keeps the latest FEED_LENGTH changes', () => {
    const shown = Array.from({ length: FEED_LENGTH }, (_, index) => change(FEED_LENGTH - index));
    const merged = mergeChanges([change(FEED_LENGTH + 1)], shown);
    expect(merged).toHaveLength(FEED_LENGTH);
    expect(merged[0].id).toBe(FEED_LENGTH + 1);
    expect(merged[FEED_LENGTH - 1].id).toBe(2);
  });

  it('polls after the highest id seen, and keeps it when a poll brings nothing', () => {
    expect(nextAfter(undefined, [])).toBeUndefined();
    expect(nextAfter(undefined, [change(7), change(9)])).toBe(9);
    expect(nextAfter(9, [])).toBe(9);
  });
});

describe('cadences', () => {
  it.each([
    ['realtime', 'realtime', 'real time'],
    ['manual', 'manual', 'manual'],
    ['0 6 * * *', 'schedule', 'schedule 0 6 * * * (UTC)'],
  ])('%s is %s, shown as “%s”', (cadence, kind, shown) => {
    expect(cadenceKind(cadence)).toBe(kind);
    expect(describeCadence(cadence)).toBe(shown);
  });
});
