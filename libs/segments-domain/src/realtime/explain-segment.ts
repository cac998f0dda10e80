import { computedTraitValueOf } from '../rules/computed-trait-condition';
import { assertNever } from '@audiencekit/util';
import { Condition, EventCondition, FrequencyCondition, RecencyCondition, RulesDefinition } from '../rules/definition.schema';
import { NormalisedEvent, ProfileEvaluator } from '../rules/evaluate';
import { lifecycleExplainValues, LifecycleExplainValues } from '../rules/lifecycle/lifecycle-explain';
import { coordinate, distanceKm } from '../rules/context-geo';
import type { LocationCondition } from '../rules/definition.schema';
import { readPath } from '../rules/values';
import { isInWindow, resolveWindow } from '../rules/window';
import { changeInstants } from './change-instants';
import { DEFAULT_MAX_CANDIDATES, RealtimeProfile, evaluateProfileRealtime } from './evaluate-realtime';

/** What decided a leaf: the numbers a marketer would check by hand. Times are ISO strings. */
export type ExplainValues =
  | { kind: 'trait'; value: unknown }
  | {
      kind: 'events';
      /** Matching events (name and `where` filters) inside the window at `now`. */
      count: number;
      windowStart: string | null;
      windowEnd: string;
      firstAt: string | null;
      lastAt: string | null;
      /** For an aggregate: the function, the numeric values it read, and its result (null: no numeric value, the leaf is false). */
      aggregate?: { function: 'sum' | 'avg' | 'min' | 'max'; property: string; values: number; result: number | null };
    }
  | { kind: 'recency'; lastAt: string | null; daysSince: number | null }
  | { kind: 'segment'; member: boolean }
  | {
      kind: 'location';
      /** Time of the latest located event in the window (null: no known location). */
      lastAt: string | null;
      /** The location(s) at that instant (several only when events tie on the instant). */
      locations: Record<string, unknown>[];
      /** With `near`: the distance of the nearest of them in km (null: no usable coordinates). */
      distanceKm?: number | null;
    }
  | LifecycleExplainValues;

/** One node of the definition's tree with its verdict at `now`. */
export interface ExplainNode {
  /** JSON path of the node in the definition, e.g. `match.conditions[1].condition`. */
  path: string;
  type: Condition['type'];
  /** The node itself, children left out (they are in `children`). */
  condition: Record<string, unknown>;
  matches: boolean;
  /** Leaves only. */
  values?: ExplainValues;
  /**
   * ISO time of the next instant at which this node's verdict changes with no new data (a window
   * sliding past an event, a recency bound crossed, a future-dated event arriving); null if never.
   */
  changesAt: string | null;
  children?: ExplainNode[];
}

export interface SegmentExplanation {
  /** The real-time evaluator's verdict (`evaluateProfileRealtime`), so explain and membership cannot disagree. */
  matches: boolean;
  /** When the whole segment's verdict changes on its own (the real-time evaluator's due time). */
  nextChangeAt: string | null;
  root: ExplainNode;
}

const DAY_MS = 86_400_000;

/**
 * Why a profile is (or is not) in a rules segment at `now`: every node of the definition with its
 * verdict, the values that decided each leaf (counts, sums, last times, trait values) and when a
 * time window will flip it on its own. The top verdict and its change time are those of
 * `evaluateProfileRealtime`; every node is judged by the same `ProfileEvaluator`.
 * `profile.otherSegments` are the segments (ids and keys) the profile is a member of, fixed.
 *
 * @example explainSegment(cartAbandoner, { traits: {}, events, otherSegments: new Set() }, now).root.children[0].values
 *   // { kind: 'events', count: 2, windowStart: '…', windowEnd: '…', firstAt: '…', lastAt: '…' }
 */
export function explainSegment(
  definition: RulesDefinition,
  profile: RealtimeProfile,
  now: Date,
  options: { maxCandidates?: number } = {},
): SegmentExplanation {
  const maxCandidates = options.maxCandidates ?? DEFAULT_MAX_CANDIDATES;
  const [verdict] = evaluateProfileRealtime([{ id: 'explained', key: 'explained', definition }], profile, now, { maxCandidates });
  const evaluator = new ProfileEvaluator(profile);
  const context: WalkContext = {
    evaluator,
    traits: profile.traits,
    computedTraits: profile.computedTraits,
    now: now.getTime(),
    segments: profile.otherSegments,
    maxCandidates,
  };
  return { matches: verdict.matches, nextChangeAt: toIso(verdict.nextChangeAt), root: explainNode(definition.match, 'match', context) };
}

interface WalkContext {
  evaluator: ProfileEvaluator;
  traits: Record<string, unknown>;
  computedTraits?: Readonly<Record<string, unknown>>;
  now: number;
  segments: ReadonlySet<string>;
  maxCandidates: number;
}

function explainNode(node: Condition, path: string, context: WalkContext): ExplainNode {
  const matches = context.evaluator.matches(node, context.now, context.segments);
  const base = { path, type: node.type, matches, changesAt: toIso(nextChange(node, matches, context)) };
  switch (node.type) {
    case 'all':
    case 'any': {
      const { conditions, ...rest } = node;
      return {
        ...base,
        condition: rest,
        children: conditions.map((child, index) => explainNode(child, `${path}.conditions[${index}]`, context)),
      };
    }
    case 'not': {
      const { condition, ...rest } = node;
      return { ...base, condition: rest, children: [explainNode(condition, `${path}.condition`, context)] };
    }
    case 'computed_trait':
      return {
        ...base,
        condition: { ...node },
        values: { kind: 'trait', value: computedTraitValueOf(context.computedTraits, node.key) ?? null },
      };
    case 'trait':
      return { ...base, condition: { ...node }, values: { kind: 'trait', value: readPath(context.traits, node.trait) ?? null } };
    case 'segment':
      return { ...base, condition: { ...node }, values: { kind: 'segment', member: context.segments.has(node.segment) } };
    case 'event':
    case 'frequency':
      return { ...base, condition: { ...node }, values: eventValues(node, context) };
    case 'recency':
      return { ...base, condition: { ...node }, values: recencyValues(node, context) };
    case 'location':
      return { ...base, condition: { ...node }, values: locationValues(node, context) };
    case 'sequence':
    case 'first_time':
    case 'stopped':
    case 'regularly': {
      const steps = node.type === 'sequence' ? node.steps : [node];
      const times = steps.map((step) => context.evaluator.timesOf(step));
      return { ...base, condition: { ...node }, values: lifecycleExplainValues(node, times, context.now) };
    }
    default:
      return assertNever(node, 'condition');
  }
}

/** The first instant after now at which the node's verdict differs, searched like the real-time evaluator (same candidates, same budget). */
function nextChange(node: Condition, matchesNow: boolean, context: WalkContext): number | null {
  const instants = new Set<number>();
  changeInstants(node, context.evaluator, context.now, instants);
  const sorted = [...instants].sort((a, b) => a - b);
  for (const [index, instant] of sorted.entries()) {
    if (context.evaluator.matches(node, instant, context.segments) !== matchesNow) return instant;
    if (index + 1 === context.maxCandidates) return instant; // budget spent: holds until then at least
  }
  return null;
}

function eventValues(node: EventCondition | FrequencyCondition, context: WalkContext): ExplainValues {
  const window = resolveWindow(node.window, new Date(context.now));
  const inWindow = inTimeOrder(context.evaluator.eventsOf(node).filter((event) => isInWindow(event.timestamp, window)));
  const values: ExplainValues = {
    kind: 'events',
    count: inWindow.length,
    windowStart: toIso(window.start),
    windowEnd: new Date(window.end).toISOString(),
    firstAt: toIso(inWindow[0]?.timestamp ?? null),
    lastAt: toIso(inWindow.at(-1)?.timestamp ?? null),
  };
  if (node.type === 'event' && node.aggregate) {
    const numbers = inWindow
      .map((event) => readPath(event.properties, node.aggregate?.property ?? ''))
      .filter((value): value is number => typeof value === 'number');
    values.aggregate = {
      function: node.aggregate.function,
      property: node.aggregate.property,
      values: numbers.length,
      result: numbers.length === 0 ? null : summarise(node.aggregate.function, numbers),
    };
  }
  return values;
}

function recencyValues(node: RecencyCondition, context: WalkContext): ExplainValues {
  const past = context.evaluator.eventsOf(node).filter((event) => event.timestamp <= context.now);
  const last = past.reduce((latest, event) => Math.max(latest, event.timestamp), -Infinity);
  if (!Number.isFinite(last)) return { kind: 'recency', lastAt: null, daysSince: null };
  return { kind: 'recency', lastAt: new Date(last).toISOString(), daysSince: (context.now - last) / DAY_MS };
}

function locationValues(node: LocationCondition, context: WalkContext): ExplainValues {
  const window = resolveWindow(node.window ?? 'ever', new Date(context.now));
  const inWindow = context.evaluator.located().filter((event) => isInWindow(event.timestamp, window));
  const last = inWindow.reduce((latest, event) => Math.max(latest, event.timestamp), -Infinity);
  const locations = inWindow.filter((event) => event.timestamp === last).map((event) => event.location);
  const values: ExplainValues = { kind: 'location', lastAt: toIso(Number.isFinite(last) ? last : null), locations };
  if (node.near) {
    const centre = node.near;
    const distances = locations.flatMap((location) => {
      const latitude = coordinate(location.latitude, 90);
      const longitude = coordinate(location.longitude, 180);
      return latitude === undefined || longitude === undefined ? [] : [distanceKm(centre, { latitude, longitude })];
    });
    values.distanceKm = distances.length ? Math.min(...distances) : null;
  }
  return values;
}

/** For display only: the verdict itself compares exact decimals (ProfileEvaluator). */
function summarise(fn: 'sum' | 'avg' | 'min' | 'max', values: number[]): number {
  const sum = values.reduce((total, value) => total + value, 0);
  if (fn === 'sum') return sum;
  if (fn === 'avg') return sum / values.length;
  return fn === 'min' ? Math.min(...values) : Math.max(...values);
}

function inTimeOrder(events: NormalisedEvent[]): NormalisedEvent[] {
  return [...events].sort((a, b) => a.timestamp - b.timestamp);
}

function toIso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
