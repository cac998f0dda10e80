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
