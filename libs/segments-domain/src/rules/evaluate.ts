import { computedTraitValueOf } from './computed-trait-condition';
import {
  Condition,
  CountOperator,
  EventCondition,
  FrequencyCondition,
  PropertyFilter,
  RecencyCondition,
  SegmentDefinition,
  TraitCondition,
  ValueOperator,
} from './definition.schema';
import { comparisonBounds, isDateValue } from './semantics';
import {
  Decimal,
  ZERO,
  addDecimals,
  compareDecimals,
  multiplyDecimal,
  parseIsoTimestamp,
  readPath,
  requireIsoTimestamp,
  toDecimal,
} from './values';
import { ResolvedWindow, isInWindow, resolveWindow } from './window';
import { lifecycleMatches } from './lifecycle/lifecycle-evaluate';
import {
  LocationTest,
  lastLocationMatches,
  locationOf,
  matchesFilter,
  matchesSelector,
  prepareFilter,
  prepareLocation,
} from './context-geo';
import type { LocationCondition } from './definition.schema';
import type { SequenceStep } from './lifecycle/lifecycle.schema';

/** One profile as ingestion sees it: its traits, its events, the segments it is currently in. */
export interface ProfileSnapshot {
  traits: Record<string, unknown>;
  /** The profile's derived values (`computed_trait_values`) by key, for `computed_trait` conditions. */
  computedTraits?: Readonly<Record<string, unknown>>;
  /** `type` (the message type) and `context` are needed only by definitions that read them (context-geo.ts). */
  events: readonly {
    name: string | null;
    timestamp: Date | number;
    properties?: Record<string, unknown>;
    type?: string | null;
    context?: Record<string, unknown> | null;
  }[];
  /** Keys and/or ids of the segments the profile currently belongs to. */
  segments?: ReadonlySet<string>;
}

/**
 * The in-memory twin of `compileSegmentSql`: does this one profile match the definition at `now`?
 * Used by ingestion to tell at once whether a profile has just entered a segment. The semantics
 * are identical by construction and by test (the differential suite in libs/segments-service).
 */
export function evaluateSegment(definition: SegmentDefinition, profile: ProfileSnapshot, options: { now: Date }): boolean {
  // RFM quintiles and fitted models rank a profile against the whole population: no one-profile answer.
  if (definition.type !== 'rules') throw new Error(`a ${definition.type} segment cannot be evaluated for one profile in memory`);
  return new ProfileEvaluator(profile).matches(definition.match, options.now, profile.segments);
}

export interface NormalisedEvent {
  name: string | null;
  /** Epoch ms. */
  timestamp: number;
  properties: Record<string, unknown>;
  /** The message type (track, page, screen, identify, …), when loaded. */
  type?: string | null;
  /** The stored context, when loaded. */
  context?: Record<string, unknown> | null;
}

/** A leaf that reads events: its name (undefined = any event but our lifecycle events) and property filters. */
type EventLeaf = EventCondition | FrequencyCondition | RecencyCondition | SequenceStep;

/**
 * One profile, normalised once, evaluated at any instant and against any membership set:
 * real-time evaluation asks the same profile about many instants, so the events are converted and
 * filtered by name and properties (which do not depend on time) once per leaf, not once per question.
 */
export class ProfileEvaluator {
  readonly events: readonly NormalisedEvent[];
  private readonly traits: Record<string, unknown>;
  private readonly leafEvents = new WeakMap<EventLeaf, NormalisedEvent[]>();
  private readonly leafTimes = new WeakMap<SequenceStep, number[]>();
  private readonly windows = new Map<string, ResolvedWindow>();
  private readonly locationTests = new WeakMap<LocationCondition, LocationTest>();
  private locatedEvents: { timestamp: number; location: Record<string, unknown> }[] | undefined;
  private now = 0;
  private segments: ReadonlySet<string> | undefined;

  private readonly computedTraits: Readonly<Record<string, unknown>> | undefined;

  constructor(profile: Pick<ProfileSnapshot, 'traits' | 'events' | 'computedTraits'>) {
    this.traits = profile.traits;
    this.computedTraits = profile.computedTraits;
    this.events = profile.events.map((event) => ({
      name: event.name,
      timestamp: typeof event.timestamp === 'number' ? event.timestamp : event.timestamp.getTime(),
      properties: event.properties ?? {},
      type: event.type,
      context: event.context,
    }));
  }

  /** Does the profile match `condition` at `now`, being a member of `segments` (keys and/or ids)? */
  matches(condition: Condition, now: Date | number, segments: ReadonlySet<string> | undefined): boolean {
    const nowMs = typeof now === 'number' ? now : now.getTime();
    if (nowMs !== this.now) this.windows.clear();
    this.now = nowMs;
    this.segments = segments;
    return this.condition(condition);
  }

  /** The events a leaf looks at, whatever the time: its event name and its property filters. */
  eventsOf(leaf: EventLeaf): NormalisedEvent[] {
    let found = this.leafEvents.get(leaf);
    if (!found) {
      const filters = ('where' in leaf ? (leaf.where ?? []) : []).map(prepareFilter);
      const messageType = 'messageType' in leaf ? leaf.messageType : undefined;
      found = this.events.filter(
        (candidate) =>
          matchesSelector(candidate, leaf.event, messageType) &&
          filters.every((filter) => matchesFilter(candidate, filter, (value, test) => valueTest(value, test.operator, test.value))),
      );
      this.leafEvents.set(leaf, found);
    }
    return found;
  }

  /** The sorted timestamps of the events a step (or a lifecycle leaf) matches, whatever the time. */
  timesOf(leaf: SequenceStep): number[] {
    let found = this.leafTimes.get(leaf);
    if (!found) {
      found = this.eventsOf(leaf)
        .map((event) => event.timestamp)
        .filter((timestamp) => !Number.isNaN(timestamp))
        .sort((a, b) => a - b);
      this.leafTimes.set(leaf, found);
    }
    return found;
  }

  /** The events carrying a location (context-geo.ts `locationOf`), whatever the time. */
  located(): { timestamp: number; location: Record<string, unknown> }[] {
    if (!this.locatedEvents) {
      this.locatedEvents = this.events.flatMap((event) => {
        const location = locationOf(event);
        return location ? [{ timestamp: event.timestamp, location }] : [];
      });
    }
    return this.locatedEvents;
  }

  /** The last known location at now (in the window) satisfies the condition. */
  private location(node: LocationCondition): boolean {
    let test = this.locationTests.get(node);
    if (!test) {
      test = prepareLocation(node);
      this.locationTests.set(node, test);
    }
    const window = resolveWindow(node.window ?? 'ever', new Date(this.now));
    const inWindow = this.located().filter((event) => isInWindow(event.timestamp, window));
    return lastLocationMatches(inWindow, test, (value, criterion) => valueTest(value, criterion.operator, criterion.value));
  }

  private condition(node: Condition): boolean {
    switch (node.type) {
      case 'all':
        return node.conditions.every((child) => this.condition(child));
      case 'any':
        return node.conditions.some((child) => this.condition(child));
      case 'not':
        return !this.condition(node.condition);
      case 'computed_trait':
        return matchesValue(computedTraitValueOf(this.computedTraits, node.key), node as unknown as TraitCondition);
      case 'trait':
        return matchesValue(readPath(this.traits, node.trait), node);
      case 'event':
        return node.aggregate ? this.aggregate(node, node.aggregate) : this.count(node, node.count ?? { operator: 'at_least', value: 1 });
      case 'frequency':
        return this.count(node, { operator: node.operator, value: node.value });
      case 'recency':
        return this.recency(node);
      case 'location':
        return this.location(node);
      case 'segment':
        return this.segments?.has(node.segment) ?? false;
      case 'sequence':
        return lifecycleMatches(
          node,
          node.steps.map((step) => this.timesOf(step)),
          this.now,
        );
      case 'first_time':
      case 'stopped':
      case 'regularly':
        return lifecycleMatches(node, [this.timesOf(node)], this.now);
    }
  }

  private matching(leaf: EventLeaf, windowText: string): NormalisedEvent[] {
    let window = this.windows.get(windowText);
    if (!window) {
      window = resolveWindow(windowText, new Date(this.now));
      this.windows.set(windowText, window);
    }
    const resolved = window;
    return this.eventsOf(leaf).filter((candidate) => isInWindow(candidate.timestamp, resolved));
  }

  private count(leaf: EventCondition | FrequencyCondition, count: { operator: CountOperator; value: number }): boolean {
    const found = this.matching(leaf, leaf.window).length;
    switch (count.operator) {
      case 'at_least':
        return found >= count.value;
      case 'at_most':
        return found <= count.value;
      case 'exactly':
        return found === count.value;
    }
  }

  private aggregate(node: EventCondition, aggregate: NonNullable<EventCondition['aggregate']>): boolean {
    const values = this.matching(node, node.window)
      .map((event) => readPath(event.properties, aggregate.property))
      .filter((value): value is number => typeof value === 'number')
      .map(toDecimal);
    if (values.length === 0) return false;
    const bounds = comparisonBounds(aggregate.operator, aggregate.value);
    const statistic = summarise(aggregate.function, values);
    const scaleBound = (bound: unknown) =>
      aggregate.function === 'avg' ? multiplyDecimal(toDecimal(bound as number), values.length) : toDecimal(bound as number);
    return withinBounds(statistic, bounds, (a, b) => compareDecimals(a, scaleBound(b)));
  }

  private recency(node: RecencyCondition): boolean {
    const timestamps = this.matching(node, 'ever').map((event) => event.timestamp);
    if (timestamps.length === 0) return false;
    const last = timestamps.reduce((latest, timestamp) => Math.max(latest, timestamp), -Infinity);
    const cut = (days: unknown) => this.now - (days as number) * 86_400_000;
    const bounds = comparisonBounds(node.operator, node.days);
    // More days since ⇔ an earlier last event.
    const afterLow = bounds.low === undefined || (bounds.lowInclusive ? last <= cut(bounds.low) : last < cut(bounds.low));
    const beforeHigh = bounds.high === undefined || (bounds.highInclusive ? last >= cut(bounds.high) : last > cut(bounds.high));
    return afterLow && beforeHigh;
  }
}

/** sum and avg share the exact sum (avg compares sum with bound × count); min and max pick. */
function summarise(fn: 'sum' | 'avg' | 'min' | 'max', values: Decimal[]): Decimal {
  if (fn === 'sum' || fn === 'avg') return values.reduce(addDecimals, ZERO);
  return values.reduce((best, value) =>
    (fn === 'min' ? compareDecimals(value, best) < 0 : compareDecimals(value, best) > 0) ? value : best,
  );
}

function withinBounds<T>(value: T, bounds: ReturnType<typeof comparisonBounds>, compare: (value: T, bound: unknown) => number): boolean {
  const low = bounds.low === undefined || (bounds.lowInclusive ? compare(value, bounds.low) >= 0 : compare(value, bounds.low) > 0);
  const high = bounds.high === undefined || (bounds.highInclusive ? compare(value, bounds.high) <= 0 : compare(value, bounds.high) < 0);
  return low && high;
}

/** A trait or property filter's test of one value (shared with the prepared real-time evaluator). */
export function matchesValue(value: unknown, node: TraitCondition | PropertyFilter): boolean {
  return valueTest(value, node.operator, node.value);
}

function valueTest(value: unknown, operator: ValueOperator, operand: unknown): boolean {
  const present = value !== undefined && value !== null;
  switch (operator) {
    case 'exists':
      return present;
    case 'not_exists':
      return !present;
    case 'equals':
      return isScalar(value) && value === operand;
    case 'not_equals':
      return !(isScalar(value) && value === operand);
    case 'in':
      return isScalar(value) && (operand as unknown[]).includes(value);
    case 'not_in':
      return !(isScalar(value) && (operand as unknown[]).includes(value));
    case 'contains':
      if (typeof value === 'string') return value.includes(operand as string);
      return Array.isArray(value) && value.includes(operand);
    case 'starts_with':
      return typeof value === 'string' && value.startsWith(operand as string);
    default:
      return orderedTest(value, operator, operand);
  }
}

function orderedTest(value: unknown, operator: 'gt' | 'gte' | 'lt' | 'lte' | 'between', operand: unknown): boolean {
  const bounds = comparisonBounds(operator, operand);
  const reference = Array.isArray(operand) ? operand[0] : operand;
  if (isDateValue(reference)) {
    const timestamp = typeof value === 'string' ? parseIsoTimestamp(value) : undefined;
    if (timestamp === undefined) return false;
    return withinBounds(timestamp, bounds, (a, bound) => Math.sign(a - requireIsoTimestamp(bound as string)));
  }
  if (typeof value !== 'number') return false;
  return withinBounds(toDecimal(value), bounds, (a, bound) => compareDecimals(a, toDecimal(bound as number)));
}

function isScalar(value: unknown): value is string | number | boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}
