import type { MembershipChange } from '../types';

/** How many entries and exits the feed keeps on screen. */
export const FEED_LENGTH = 100;

/**
 * The feed after a poll: the new changes and the ones shown, once each, newest (highest id)
 * first, cut to `FEED_LENGTH`. A poll that repeats a change (a retried request) adds nothing.
 */
export function mergeChanges(incoming: MembershipChange[], shown: MembershipChange[]): MembershipChange[] {
  const byId = new Map<number, MembershipChange>();
  for (const change of [...incoming, ...shown]) if (!byId.has(change.id)) byId.set(change.id, change);
  return [...byId.values()].sort((a, b) => b.id - a.id).slice(0, FEED_LENGTH);
}

/** The `after` of the next poll: the highest id seen, or undefined before the first change. */
export const nextAfter = (after: number | undefined, items: MembershipChange[]): number | undefined =>
  items.reduce<number | undefined>((highest, item) => (highest === undefined || item.id > highest ? item.id : highest), after);

/** The first call takes the latest this many changes. */
export const FIRST_PAGE = 50;
/** A poll after a change id takes up to this many; a full page means more are waiting. */
export const CATCH_UP_PAGE = 500;
/**
 * Every this many polls the feed re-reads the latest page as well. Ids are taken at insert and
 * commits land in any order, so a change committed after a higher id was read is not "after" it;
 * the latest page brings it, and `mergeChanges` slots it in by id.
 */
export const HEAL_EVERY = 5;

export interface ChangesQuery {
  limit: number;
  after?: number;
}

/** What poll number `poll` (0, 1, …) asks for: the latest page first, then after the highest id, with a heal now and then. */
export function changesQuery(after: number | undefined, poll: number): ChangesQuery {
  if (after === undefined || poll % HEAL_EVERY === 0) return { limit: FIRST_PAGE };
  return { limit: CATCH_UP_PAGE, after };
}
