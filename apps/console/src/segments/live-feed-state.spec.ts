import type { MembershipChange } from '../types';
import { describeCadence, cadenceKind } from './cadence';
import { CATCH_UP_PAGE, changesQuery, FEED_LENGTH, FIRST_PAGE, HEAL_EVERY, mergeChanges, nextAfter } from './live-feed-state';

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

  it('asks for the latest page first and until a change is seen, then after the highest id, re-reading the latest page every HEAL_EVERY polls', () => {
    expect(changesQuery(undefined, 0)).toEqual({ limit: FIRST_PAGE });
    expect(changesQuery(undefined, 3)).toEqual({ limit: FIRST_PAGE });
    expect(changesQuery(12, 1)).toEqual({ limit: CATCH_UP_PAGE, after: 12 });
    expect(changesQuery(12, HEAL_EVERY)).toEqual({ limit: FIRST_PAGE });
    expect(changesQuery(12, HEAL_EVERY + 1)).toEqual({ limit: CATCH_UP_PAGE, after: 12 });
  });

  it('slots a change committed late (a lower id than one shown) into its place', () => {
    expect(mergeChanges([change(6), change(4)], [change(6), change(5)]).map((item) => item.id)).toEqual([6, 5, 4]);
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
