import { computedTraitValueOf } from '../rules/computed-trait-condition';
import { LocationTest, locationOf, matchesFilter, matchesLocation, matchesSelector } from '../rules/context-geo';
import type { PropertyFilter, ValueOperator } from '../rules/definition.schema';
import { NormalisedEvent, matchesValue } from '../rules/evaluate';
import { ComparisonBounds } from '../rules/semantics';
import { Decimal, ZERO, addDecimals, compareDecimals, multiplyDecimal, readPath, subtractDecimals, toDecimal } from '../rules/values';
import { lifecycleInstants, lifecycleMatches } from '../rules/lifecycle/lifecycle-evaluate';
import { ParsedWindow } from '../rules/window';
import type { RealtimeProfile } from './evaluate-realtime';
import { CompiledAggregate, CompiledNode, InstantLeaf, PreparedRealtimeSegments } from './prepare-realtime';

const DAY_MS = 86_400_000;
const valueTest = (value: unknown, test: { operator: ValueOperator; value?: unknown }) => matchesValue(value, test as PropertyFilter);

/** One source's events, sorted by time (events whose timestamp is NaN are in no window and make no instant: dropped). */
interface SourceEvents {
  events: NormalisedEvent[];
  timestamps: number[];
}

/** One aggregate property over one source's events, in the same order; decimals converted once, lazily. */
interface AggregateColumn {
  values: unknown[];
  /** Numbers among the first i events. */
  numbers: Int32Array;
  /** Exact sum of the first i numbers, when every number is finite (else sums are taken event by event). */
  sums: Decimal[] | null;
  decimals: (Decimal | undefined)[];
}

/**
 * One profile against a prepared segment set, the prepared twin of `ProfileEvaluator` (same
 * semantics, proved by the property and differential tests): per event source the matching events
 * sorted by time once, so a window's events are a range found by binary search; traits tested once;
 * aggregate values converted to decimals once, with prefix sums for sum and avg.
 */
export class PreparedProfile {
  private readonly sorted: NormalisedEvent[];
  private readonly sources: (SourceEvents | undefined)[];
  private readonly traitVerdicts: (boolean | undefined)[];
  private readonly columns = new Map<string, AggregateColumn>();
  private locatedEvents: { timestamps: number[]; locations: Record<string, unknown>[] } | undefined;

  constructor(
    private readonly prepared: PreparedRealtimeSegments,
    private readonly profile: RealtimeProfile,
  ) {
    this.sorted = profile.events
      .map((event) => ({
        name: event.name,
        timestamp: typeof event.timestamp === 'number' ? event.timestamp : event.timestamp.getTime(),
        properties: event.properties ?? {},
        type: event.type,
        context: event.context,
      }))
      .filter((event) => !Number.isNaN(event.timestamp))
      .sort((a, b) => a.timestamp - b.timestamp);
    this.sources = new Array(prepared.sources.length);
    this.traitVerdicts = new Array(prepared.traitLeaves);
  }

  /** Does the compiled condition hold at `now`, `segmentVerdict(i)` giving the verdicts of the referenced segments? */
  matches(node: CompiledNode, now: number, segmentVerdict: (position: number) => boolean): boolean {
    switch (node.kind) {
      case 'all':
        return node.children.every((child) => this.matches(child, now, segmentVerdict));
      case 'any':
        return node.children.some((child) => this.matches(child, now, segmentVerdict));
      case 'not':
        return !this.matches(node.child, now, segmentVerdict);
      case 'computed_trait':
        return matchesValue(
          computedTraitValueOf(this.profile.computedTraits, node.condition.key),
          node.condition as unknown as Parameters<typeof matchesValue>[1],
        );
      case 'trait':
        return this.trait(node);
      case 'count':
        return countTest(this.count(node.source, node.window, now), node.operator, node.value);
      case 'aggregate':
        return this.aggregate(node.source, node.window, node.aggregate, now);
      case 'recency':
        return this.recency(node.source, node.bounds, now);
      case 'segment':
        return this.profile.otherSegments.has(node.name) || node.references.some(segmentVerdict);
      case 'location':
        return this.location(node.window, node.test, now);
      case 'lifecycle':
        return lifecycleMatches(
          node.condition,
          node.sources.map((source) => this.events(source).timestamps),
          now,
        );
    }
  }

  /** The instants after `now` where a leaf may change (see `changeInstants`, whose twin this is). */
  addInstants(leaf: InstantLeaf, now: number, into: Set<number>): void {
    if (leaf.kind === 'lifecycle') {
      const times = leaf.sources.map((source) => this.events(source).timestamps);
      return lifecycleInstants(leaf.condition, times, now, (instant) => addInstant(instant, now, into));
    }
    if (leaf.kind === 'location') return windowInstants(this.located().timestamps, leaf.window, now, into);
    const { timestamps } = this.events(leaf.source);
    if (leaf.kind === 'window') return windowInstants(timestamps, leaf.window, now, into);
    return recencyInstants(timestamps, leaf.days, now, into);
  }

  private trait(node: Extract<CompiledNode, { kind: 'trait' }>): boolean {
    let verdict = this.traitVerdicts[node.slot];
    if (verdict === undefined) {
      verdict = matchesValue(readPath(this.profile.traits, node.condition.trait), node.condition);
      this.traitVerdicts[node.slot] = verdict;
    }
    return verdict;
  }

  private events(source: number): SourceEvents {
    let found = this.sources[source];
    if (!found) {
      const { event, messageType, prepared } = this.prepared.sources[source];
      const events = this.sorted.filter(
        (candidate) =>
          matchesSelector(candidate, event, messageType) && prepared.every((filter) => matchesFilter(candidate, filter, valueTest)),
      );
      found = { events, timestamps: events.map((candidate) => candidate.timestamp) };
      this.sources[source] = found;
    }
    return found;
  }

  /** The events carrying a location, sorted by time (context-geo.ts `locationOf`). */
  private located(): { timestamps: number[]; locations: Record<string, unknown>[] } {
    if (!this.locatedEvents) {
      const timestamps: number[] = [];
      const locations: Record<string, unknown>[] = [];
      for (const event of this.sorted) {
        const location = locationOf(event);
        if (location) {
          timestamps.push(event.timestamp);
          locations.push(location);
        }
      }
      this.locatedEvents = { timestamps, locations };
    }
    return this.locatedEvents;
  }

  /** The latest located events in the window (all of those at the latest instant): does one satisfy the test? */
  private location(window: ParsedWindow, test: LocationTest, now: number): boolean {
    const { timestamps, locations } = this.located();
    const [from, to] = windowRange(timestamps, window, now);
    for (let index = to - 1; index >= from && timestamps[index] === timestamps[to - 1]; index--) {
      if (matchesLocation(locations[index], test, valueTest)) return true;
    }
    return false;
  }

  /** [from, to): the positions of the source's events inside the window at `now`. */
  private range(source: number, window: ParsedWindow, now: number): [number, number] {
    return windowRange(this.events(source).timestamps, window, now);
  }

  private count(source: number, window: ParsedWindow, now: number): number {
    const [from, to] = this.range(source, window, now);
    return Math.max(0, to - from);
  }

  private aggregate(source: number, window: ParsedWindow, aggregate: CompiledAggregate, now: number): boolean {
    const [from, to] = this.range(source, window, now);
    if (to <= from) return false;
    const column = this.column(source, aggregate.property);
    const count = column.numbers[to] - column.numbers[from];
    if (count === 0) return false;
    const statistic = summarise(aggregate.function, column, from, to);
    const scaleBound = (bound: unknown) =>
      aggregate.function === 'avg' ? multiplyDecimal(boundDecimal(aggregate, bound), count) : boundDecimal(aggregate, bound);
    return withinBounds(statistic, aggregate.bounds, (a, b) => compareDecimals(a, scaleBound(b)));
  }

  private recency(source: number, bounds: ComparisonBounds, now: number): boolean {
    const { timestamps } = this.events(source);
    const at = firstAbove(timestamps, now) - 1;
    if (at < 0) return false;
    const last = timestamps[at];
    const cut = (days: unknown) => now - (days as number) * 86_400_000;
    // More days since ⇔ an earlier last event.
    const afterLow = bounds.low === undefined || (bounds.lowInclusive ? last <= cut(bounds.low) : last < cut(bounds.low));
    const beforeHigh = bounds.high === undefined || (bounds.highInclusive ? last >= cut(bounds.high) : last > cut(bounds.high));
    return afterLow && beforeHigh;
  }

  private column(source: number, property: string): AggregateColumn {
    const cacheKey = `${source}\u0000${property}`;
    let column = this.columns.get(cacheKey);
    if (!column) {
      column = buildColumn(this.events(source).events, property);
      this.columns.set(cacheKey, column);
    }
    return column;
  }
}

/** A bound's decimal, converted on first use and kept on the compiled aggregate (bounds are fixed per version). */
function boundDecimal(aggregate: CompiledAggregate, bound: unknown): Decimal {
  let decimal = aggregate.boundDecimals.get(bound);
  if (decimal === undefined) {
    decimal = toDecimal(bound as number);
    aggregate.boundDecimals.set(bound, decimal);
  }
  return decimal;
}

function buildColumn(events: readonly NormalisedEvent[], property: string): AggregateColumn {
  const values = events.map((event) => readPath(event.properties, property));
  const numbers = new Int32Array(values.length + 1);
  values.forEach((value, index) => (numbers[index + 1] = numbers[index] + (typeof value === 'number' ? 1 : 0)));
  const decimals: (Decimal | undefined)[] = new Array(values.length);
  // A non-finite number has no decimal (toDecimal throws): then sums go event by event, throwing
  // only when such a value is inside the window, as the plain evaluator does.
  const allFinite = values.every((value) => typeof value !== 'number' || Number.isFinite(value));
  let sums: Decimal[] | null = null;
  if (allFinite) {
    sums = [ZERO];
    values.forEach((value, index) => {
      const previous = (sums as Decimal[])[index];
      (sums as Decimal[]).push(typeof value === 'number' ? addDecimals(previous, decimalAt({ values, decimals }, index)) : previous);
    });
  }
  return { values, numbers, sums, decimals };
}

function decimalAt(column: Pick<AggregateColumn, 'values' | 'decimals'>, index: number): Decimal {
  let decimal = column.decimals[index];
  if (decimal === undefined) {
    decimal = toDecimal(column.values[index] as number);
    column.decimals[index] = decimal;
  }
  return decimal;
}

/** sum and avg share the exact sum (avg compares sum with bound × count); min and max pick. */
function summarise(fn: CompiledAggregate['function'], column: AggregateColumn, from: number, to: number): Decimal {
  if ((fn === 'sum' || fn === 'avg') && column.sums) return subtractDecimals(column.sums[to], column.sums[from]);
  let result: Decimal | undefined;
  for (let index = from; index < to; index++) {
    if (typeof column.values[index] !== 'number') continue;
    const value = decimalAt(column, index);
    if (result === undefined) result = value;
    else if (fn === 'sum' || fn === 'avg') result = addDecimals(result, value);
    else if (fn === 'min' ? compareDecimals(value, result) < 0 : compareDecimals(value, result) > 0) result = value;
  }
  return result as Decimal;
}

function withinBounds<T>(value: T, bounds: ComparisonBounds, compare: (value: T, bound: unknown) => number): boolean {
  const low = bounds.low === undefined || (bounds.lowInclusive ? compare(value, bounds.low) >= 0 : compare(value, bounds.low) > 0);
  const high = bounds.high === undefined || (bounds.highInclusive ? compare(value, bounds.high) <= 0 : compare(value, bounds.high) < 0);
  return low && high;
}

function countTest(found: number, operator: 'at_least' | 'at_most' | 'exactly', value: number): boolean {
  switch (operator) {
    case 'at_least':
      return found >= value;
    case 'at_most':
      return found <= value;
    case 'exactly':
      return found === value;
  }
}

/** [from, to): the positions of sorted timestamps inside the window at `now`. */
function windowRange(timestamps: readonly number[], window: ParsedWindow, now: number): [number, number] {
  switch (window.kind) {
    case 'ever':
      return [0, firstAbove(timestamps, now)];
    case 'last':
      return [firstAbove(timestamps, now - window.milliseconds), firstAbove(timestamps, now)];
    case 'between':
      return [firstAtOrAbove(timestamps, window.from), firstAtOrAbove(timestamps, window.to)];
  }
}

/** The first position whose timestamp is > bound (sorted ascending). */
function firstAbove(timestamps: readonly number[], bound: number): number {
  let low = 0;
  let high = timestamps.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (timestamps[middle] > bound) high = middle;
    else low = middle + 1;
  }
  return low;
}

/** The first position whose timestamp is ≥ bound (sorted ascending). */
function firstAtOrAbove(timestamps: readonly number[], bound: number): number {
  let low = 0;
  let high = timestamps.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (timestamps[middle] >= bound) high = middle;
    else low = middle + 1;
  }
  return low;
}

function addInstant(instant: number, now: number, into: Set<number>): void {
  if (instant > now && Number.isFinite(instant)) into.add(instant);
}

/**
 * `last N`: instants ts and ts + N; `ever`: ts. Walks back from the latest event and stops at the
 * first whose instants are all past: ts ↦ ceil(ts + N) is monotone, so every earlier one is too.
 */
function windowInstants(timestamps: readonly number[], window: ParsedWindow, now: number, into: Set<number>): void {
  if (window.kind === 'between') return;
  const span = window.kind === 'last' ? window.milliseconds : 0;
  for (let index = timestamps.length - 1; index >= 0; index--) {
    const timestamp = timestamps[index];
    const end = Math.ceil(timestamp + span);
    if (!(end > now)) return;
    addInstant(Math.ceil(timestamp), now, into);
    if (window.kind === 'last') addInstant(end, now, into);
  }
}

/** Only the last event at now and later ones can be "the last event" after now (see `changeInstants`). */
function recencyInstants(timestamps: readonly number[], days: readonly number[], now: number, into: Set<number>): void {
  const atNow = firstAbove(timestamps, now) - 1;
  const start = atNow < 0 ? 0 : firstAtOrAbove(timestamps, timestamps[atNow]);
  for (let index = start; index < timestamps.length; index++) {
    const timestamp = timestamps[index];
    addInstant(Math.ceil(timestamp), now, into);
    for (const count of days) {
      const crossing = timestamp + count * DAY_MS;
      addInstant(Math.ceil(crossing), now, into);
      addInstant(Math.floor(crossing) + 1, now, into);
    }
  }
}
