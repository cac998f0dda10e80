import { ProfileSnapshot } from '../rules/evaluate';
import { RealtimeSegment } from './order-by-references';
import { PreparedRealtimeSegments, isPreparedRealtimeSegments, prepareRealtimeSegments } from './prepare-realtime';
import { PreparedProfile } from './prepared-profile';

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
  /** The profile's derived values (`computed_trait_values`) by key, for `computed_trait` conditions. */
  computedTraits?: Readonly<Record<string, unknown>>;
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
 * The segment set is compiled first (`prepareRealtimeSegments`); a caller evaluating many profiles
 * against the same set passes the prepared set instead, and compiles once.
 *
 * @param segments in any order (ordered here by references), or prepared by `prepareRealtimeSegments`.
 * @returns one verdict per segment, in the order of `segments`.
 * @throws {Error} on a reference cycle or a duplicate id (when preparing); {RangeError} on a bad `maxCandidates`.
 * @example evaluateProfileRealtime([cartAbandoner], { traits: {}, events, otherSegments: new Set() }, now)
 *   // [{ segmentId: 'seg-1', matches: true, nextChangeAt: addedAt + 3_600_000 }]
 */
export function evaluateProfileRealtime(
  segments: readonly RealtimeSegment[] | PreparedRealtimeSegments,
  profile: RealtimeProfile,
  now: Date,
  options: { maxCandidates?: number } = {},
): RealtimeVerdict[] {
  const maxCandidates = options.maxCandidates ?? DEFAULT_MAX_CANDIDATES;
  if (!Number.isInteger(maxCandidates) || maxCandidates < 1)
    throw new RangeError(`maxCandidates must be a positive integer, got ${maxCandidates}`);
  const prepared = isPreparedRealtimeSegments(segments) ? segments : prepareRealtimeSegments(segments);
  const evaluator = new PreparedProfile(prepared, profile);
  const nowMs = now.getTime();
  const instants = new InstantVerdicts(prepared, evaluator);
  const verdictsAt = (instant: number, wanted: readonly number[]) => instants.at(instant, wanted);

  // A copy: the verdicts at later instants reuse the array.
  const matches = verdictsAt(
    nowMs,
    prepared.ordered.map((_, index) => index),
  ).slice();
  const nextChangeAt = findChanges(prepared, evaluator, nowMs, matches, verdictsAt, maxCandidates);
  return prepared.segments.map((segment, index) => {
    const position = prepared.positions[index];
    return { segmentId: segment.id, matches: matches[position] === TRUE, nextChangeAt: nextChangeAt[position] };
  });
}

const UNKNOWN = 0;
const TRUE = 1;
const FALSE = 2;

/**
 * Verdicts at one instant of the `wanted` segments and of those they reference (the others stay
 * UNKNOWN): a segment's references are evaluated first, on demand, once. One array for every
 * instant of the profile, overwritten by the next `at`.
 */
class InstantVerdicts {
  private readonly verdicts: Uint8Array;
  private instant = 0;

  constructor(
    private readonly prepared: PreparedRealtimeSegments,
    private readonly evaluator: PreparedProfile,
  ) {
    this.verdicts = new Uint8Array(prepared.ordered.length);
  }

  at(instant: number, wanted: readonly number[]): Uint8Array {
    this.verdicts.fill(UNKNOWN);
    this.instant = instant;
    for (const position of wanted) this.verdictOf(position);
    return this.verdicts;
  }

  private readonly verdictOf = (position: number): boolean => {
    if (this.verdicts[position] === UNKNOWN) {
      const matches = this.evaluator.matches(this.prepared.ordered[position].match, this.instant, this.verdictOf);
      this.verdicts[position] = matches ? TRUE : FALSE;
    }
    return this.verdicts[position] === TRUE;
  };
}

/** Per ordered segment, the instants after now where it may change: its own and its references'. */
function relevantInstants(prepared: PreparedRealtimeSegments, evaluator: PreparedProfile, now: number): Set<number>[] {
  const instants: Set<number>[] = [];
  for (const segment of prepared.ordered) {
    const own = new Set<number>();
    for (const leaf of segment.instantLeaves) evaluator.addInstants(leaf, now, own);
    // References come earlier in the order, so their sets are complete.
    for (const reference of segment.references) for (const instant of instants[reference]) own.add(instant);
    instants.push(own);
  }
  return instants;
}

function findChanges(
  prepared: PreparedRealtimeSegments,
  evaluator: PreparedProfile,
  now: number,
  matchesNow: Uint8Array,
  verdictsAt: (instant: number, wanted: readonly number[]) => Uint8Array,
  maxCandidates: number,
): (number | null)[] {
  const relevant = relevantInstants(prepared, evaluator, now);
  const remaining = relevant.map((instants) => instants.size);
  const result: (number | null)[] = prepared.ordered.map(() => null);
  let open = relevant.flatMap((instants, index) => (instants.size > 0 ? [index] : []));
  const candidates = sortedUnion(relevant);
  let examined = 0;
  for (const instant of candidates) {
    if (open.length === 0) break;
    // An instant no open segment depends on cannot change one: skipped without spending budget.
    // Only the open segments this instant is relevant to are evaluated: a segment is constant
    // between its relevant instants (`changeInstants` misses none: the property spec checks it
    // against brute force), so the others, still open, still have their verdict of now.
    const affected = open.filter((index) => relevant[index].has(instant));
    if (affected.length === 0) continue;
    examined++;
    const verdicts = verdictsAt(instant, affected);
    open = open.filter((index) => {
      if (verdicts[index] !== UNKNOWN && verdicts[index] !== matchesNow[index]) {
        result[index] = instant;
        return false;
      }
      return !(relevant[index].has(instant) && --remaining[index] === 0);
    });
    if (examined === maxCandidates) {
      for (const index of open) result[index] = instant;
      break;
    }
  }
  return result;
}

/** Every instant of every set, ascending, once. */
function sortedUnion(sets: readonly Set<number>[]): number[] {
  const all = new Set<number>();
  for (const instants of sets) for (const instant of instants) all.add(instant);
  return Array.from(Float64Array.from(all).sort());
}
