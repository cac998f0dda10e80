import { ProfileEvaluator, ProfileSnapshot } from '../rules/evaluate';
import { changeInstants } from './change-instants';
import { RealtimeSegment, orderByReferences, realtimeReferenceEdges } from './order-by-references';

export interface RealtimeVerdict {
  segmentId: string;
  matches: boolean;
  /**
   * Epoch ms of the next instant > now at which `matches` changes with no new data, or null if
   * never. When the candidate budget ran out first it is the last instant examined: the verdict
   * holds until then at least, and the caller simply evaluates again then.
   */
  nextChangeAt: number | null;
}

export interface RealtimeProfile {
  traits: Record<string, unknown>;
  events: ProfileSnapshot['events'];
  /** Ids and keys of the non-real-time segments the profile belongs to (fixed while evaluating). */
  otherSegments: ReadonlySet<string>;
}

export const DEFAULT_MAX_CANDIDATES = 256;

/**
 * One profile against every live real-time segment: its verdict now and when it next changes on
 * its own (a window sliding past an event, a recency threshold crossed, a future-dated event
 * arriving). Segments referencing other real-time segments see their verdicts at the same instant.
 *
 * How: every leaf yields the instants where it may change (`changeInstants`); a segment inherits
 * those of the real-time segments it references. The profile is then evaluated whole at each
 * distinct instant in time order (at most `maxCandidates` of them) and each segment reports the
 * first instant its verdict differs from now.
 *
 * @param segments in any order (ordered here by references).
 * @returns one verdict per segment, in the order of `segments`.
 * @throws {Error} on a reference cycle or a duplicate id; {RangeError} on a bad `maxCandidates`.
 * @example evaluateProfileRealtime([cartAbandoner], { traits: {}, events, otherSegments: new Set() }, now)
 *   // [{ segmentId: 'seg-1', matches: true, nextChangeAt: addedAt + 3_600_000 }]
 */
export function evaluateProfileRealtime(
  segments: readonly RealtimeSegment[],
  profile: RealtimeProfile,
  now: Date,
  options: { maxCandidates?: number } = {},
): RealtimeVerdict[] {
  const maxCandidates = options.maxCandidates ?? DEFAULT_MAX_CANDIDATES;
  if (!Number.isInteger(maxCandidates) || maxCandidates < 1)
    throw new RangeError(`maxCandidates must be a positive integer, got ${maxCandidates}`);
  const ordered = orderByReferences(segments);
  const evaluator = new ProfileEvaluator(profile);
  const nowMs = now.getTime();
  const verdictsAt = (instant: number) => evaluateAll(ordered, evaluator, profile.otherSegments, instant);

  const matches = verdictsAt(nowMs);
  const nextChangeAt = findChanges(ordered, evaluator, nowMs, matches, verdictsAt, maxCandidates);
  const position = new Map(ordered.map((segment, index) => [segment.id, index]));
  return segments.map((segment) => {
    const index = position.get(segment.id) as number;
    return { segmentId: segment.id, matches: matches[index], nextChangeAt: nextChangeAt[index] };
  });
}

/** Verdicts of the ordered segments at one instant; each member adds its id and key before the next is evaluated. */
function evaluateAll(
  ordered: readonly RealtimeSegment[],
  evaluator: ProfileEvaluator,
  otherSegments: ReadonlySet<string>,
  instant: number,
): boolean[] {
  const memberships = new Set(otherSegments);
  return ordered.map((segment) => {
    const matches = evaluator.matches(segment.definition.match, instant, memberships);
    if (matches) memberships.add(segment.id).add(segment.key);
    return matches;
  });
}

/** Per ordered segment, the instants after now where it may change: its own and its references'. */
function relevantInstants(ordered: readonly RealtimeSegment[], evaluator: ProfileEvaluator, now: number): Set<number>[] {
  const edges = realtimeReferenceEdges(ordered);
  const instants: Set<number>[] = [];
  ordered.forEach((segment, index) => {
    const own = new Set<number>();
    changeInstants(segment.definition.match, evaluator, now, own);
    // References come earlier in the order, so their sets are complete.
    for (const reference of edges[index]) for (const instant of instants[reference]) own.add(instant);
    instants.push(own);
  });
  return instants;
}

function findChanges(
  ordered: readonly RealtimeSegment[],
  evaluator: ProfileEvaluator,
  now: number,
  matchesNow: readonly boolean[],
  verdictsAt: (instant: number) => boolean[],
  maxCandidates: number,
): (number | null)[] {
  const relevant = relevantInstants(ordered, evaluator, now);
  const remaining = relevant.map((instants) => instants.size);
  const result: (number | null)[] = ordered.map(() => null);
  const open = new Set(ordered.flatMap((_, index) => (remaining[index] > 0 ? [index] : [])));
  const candidates = [...new Set(relevant.flatMap((instants) => [...instants]))].sort((a, b) => a - b);
  let examined = 0;
  for (const instant of candidates) {
    if (open.size === 0) break;
    // An instant no open segment depends on cannot change one: skip it without spending budget.
    if (![...open].some((index) => relevant[index].has(instant))) continue;
    examined++;
    const verdicts = verdictsAt(instant);
    for (const index of [...open]) {
      if (verdicts[index] !== matchesNow[index]) {
        result[index] = instant;
        open.delete(index);
      } else if (relevant[index].has(instant) && --remaining[index] === 0) open.delete(index);
    }
    if (examined === maxCandidates) {
      for (const index of open) result[index] = instant;
      break;
    }
  }
  return result;
}
