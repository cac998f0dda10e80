import { boundsAt, distinctPeriods, parsedWindow, sequenceMatch, StepTimes, stoppedFacts } from './lifecycle-evaluate';
import { LifecycleCondition } from './lifecycle.schema';

/** What decided a lifecycle leaf at `now`, for `explainSegment`. Times are ISO strings. */
export type LifecycleExplainValues =
  | {
      kind: 'sequence';
      /** The times of the matched steps (the earliest chain), in step order; null when no chain matches. */
      matchedAt: string[] | null;
      windowStart: string | null;
      windowEnd: string;
    }
  | {
      kind: 'first_time';
      /** The earliest matching event ever (null: none). */ firstAt: string | null;
      windowStart: string | null;
      windowEnd: string;
    }
  | { kind: 'stopped'; activeSince: string; quietSince: string; lastActiveAt: string | null; lastQuietAt: string | null }
  | {
      kind: 'regularly';
      per: 'day' | 'week';
      /** Distinct UTC days (or ISO weeks) with a matching event in the window, against `atLeast`. */
      distinct: number;
      atLeast: number;
      /** Their starts (UTC midnight, or Monday for weeks), the latest 50. */
      periods: string[];
      windowStart: string | null;
      windowEnd: string;
    };

const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : iso(ms));

export function lifecycleExplainValues(node: LifecycleCondition, times: StepTimes, now: number): LifecycleExplainValues {
  if (node.type === 'stopped') {
    const facts = stoppedFacts(node, times[0], now);
    return {
      kind: 'stopped',
      activeSince: iso(facts.activeSince),
      quietSince: iso(facts.quietSince),
      lastActiveAt: isoOrNull(facts.lastActiveAt),
      lastQuietAt: isoOrNull(facts.lastQuietAt),
    };
  }
  const bounds = boundsAt(parsedWindow(node.window), now);
  const window = { windowStart: isoOrNull(bounds.start), windowEnd: iso(bounds.end) };
  switch (node.type) {
    case 'sequence':
      return { kind: 'sequence', matchedAt: sequenceMatch(node, times, now)?.map(iso) ?? null, ...window };
    case 'first_time':
      return { kind: 'first_time', firstAt: isoOrNull(times[0][0]), ...window };
    case 'regularly': {
      const periods = distinctPeriods(node, times[0], now);
      return {
        kind: 'regularly',
        per: node.per,
        distinct: periods.length,
        atLeast: node.atLeast,
        periods: periods.slice(-50).map(iso),
        ...window,
      };
    }
  }
}
