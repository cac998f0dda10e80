/**
 * PRE-OPTIMISATION COPY of the real-time evaluator of libs/segments-domain (as of commit d8a2529:
 * rules/values.ts, rules/window.ts, rules/semantics.ts, rules/evaluate.ts, realtime/change-instants.ts,
 * realtime/order-by-references.ts, realtime/evaluate-realtime.ts), pasted verbatim minus imports.
 * Used ONLY by bench/realtime-eval.bench.ts as the baseline of its ratio column, and as the
 * reference its results are checked against. Never import it from product code; do not "fix" it.
 */
import {
  Condition,
  ComparisonOperator,
  CountOperator,
  EventCondition,
  FrequencyCondition,
  PropertyFilter,
  RecencyCondition,
  RulesDefinition,
  SegmentDefinition,
  TraitCondition,
  ValueOperator,
  findSegmentReferenceCycle,
  segmentReferences,
} from '@audiencekit/segments-domain';

// ---- rules/values.ts
/**
 * Value semantics shared by the SQL compiler and the in-memory evaluator. Both must agree on every
 * input (a differential test checks it), so the rules are kept narrow and exact:
 * - dates are ISO 8601 only (`YYYY-MM-DD`, or date-time with seconds optional, at most milliseconds,
 *   and a `Z` or `±HH:MM` zone); impossible days (Feb 30) are not dates;
 * - numbers compare as exact decimals (Postgres `numeric`), so sums never suffer binary rounding.
 */

/** Same pattern as the SQL function `ak_try_timestamptz` (migration SegmentationFunctions). */
export const ISO_TIMESTAMP_PATTERN =
  '^([1-9][0-9]{3})-([0-9]{2})-([0-9]{2})(T([01][0-9]|2[0-3]):([0-5][0-9])(:([0-5][0-9])(\\.[0-9]{1,3})?)?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9]))?$';
const isoTimestamp = new RegExp(ISO_TIMESTAMP_PATTERN);

/** Epoch milliseconds of a strict ISO 8601 timestamp, or undefined when it is not one. */
export function parseIsoTimestamp(value: string): number | undefined {
  const match = isoTimestamp.exec(value);
  if (!match) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  const normalised = match[4] === undefined ? `${value}T00:00:00Z` : value;
  const epoch = Date.parse(normalised);
  return Number.isNaN(epoch) ? undefined : epoch;
}

/** Day 0 of the next month is the last day of this one (years are 1000–9999 here, so no 19xx mapping). */
function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * Reads a dot path (`address.city`) through nested objects. Arrays are never indexed, because a
 * numeric path segment would mean different things in JavaScript and in Postgres' `#>`.
 */
export function readPath(source: unknown, path: string): unknown {
  let current: unknown = source;
  for (const key of path.split('.')) {
    if (current === null || typeof current !== 'object' || Array.isArray(current)) return undefined;
    current = Object.prototype.hasOwnProperty.call(current, key) ? (current as Record<string, unknown>)[key] : undefined;
  }
  return current;
}

/** An exact decimal: `units × 10^-scale`. */
export interface Decimal {
  units: bigint;
  scale: number;
}

/** The exact decimal a JavaScript number prints as (and that JSON, hence jsonb, stores). */
export function toDecimal(value: number): Decimal {
  const [mantissa, exponentText] = value.toString().toLowerCase().split('e');
  const exponent = exponentText === undefined ? 0 : Number(exponentText);
  const [whole, fraction = ''] = mantissa.split('.');
  const units = BigInt(whole + fraction);
  const scale = fraction.length - exponent;
  return scale >= 0 ? { units, scale } : { units: units * 10n ** BigInt(-scale), scale: 0 };
}

export function addDecimals(a: Decimal, b: Decimal): Decimal {
  const scale = Math.max(a.scale, b.scale);
  return { units: rescale(a, scale) + rescale(b, scale), scale };
}

export function multiplyDecimal(a: Decimal, factor: number): Decimal {
  return { units: a.units * BigInt(factor), scale: a.scale };
}

/** -1, 0 or 1 as a is less than, equal to or greater than b. */
export function compareDecimals(a: Decimal, b: Decimal): number {
  const scale = Math.max(a.scale, b.scale);
  const difference = rescale(a, scale) - rescale(b, scale);
  return difference < 0n ? -1 : difference > 0n ? 1 : 0;
}

function rescale(value: Decimal, scale: number): bigint {
  return value.units * 10n ** BigInt(scale - value.scale);
}

export const ZERO: Decimal = { units: 0n, scale: 0 };

/** For values the schema already validated as ISO timestamps. */
export function requireIsoTimestamp(value: string): number {
  const epoch = parseIsoTimestamp(value);
  if (epoch === undefined) throw new Error(`not an ISO 8601 timestamp: ${value}`);
  return epoch;
}

// ---- rules/window.ts

/**
 * Time windows are written the way marketers say them: `last 30 days`, `last 12 hours`,
 * `last 2 weeks`, `ever`, or `between 2026-01-01 and 2026-02-01` (ISO 8601 dates or date-times).
 * `last N <unit>` covers (now − N units, now]; `between A and B` covers [A, B); `ever` is (−∞, now].
 */
export interface ResolvedWindow {
  /** Epoch ms; null for no lower bound. */
  start: number | null;
  startInclusive: boolean;
  end: number;
  endInclusive: boolean;
}

type ParsedWindow = { kind: 'last'; milliseconds: number } | { kind: 'between'; from: number; to: number } | { kind: 'ever' };

const UNIT_MS: Record<string, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000, week: 604_800_000 };
const MAX_WINDOW_DAYS = 36_500;

export function parseWindow(text: string): { window?: ParsedWindow; problem?: string } {
  const trimmed = text.trim().toLowerCase();
  if (trimmed === 'ever') return { window: { kind: 'ever' } };
  const last = /^last (\d{1,6}) (minute|hour|day|week)s?$/.exec(trimmed);
  if (last) {
    const milliseconds = Number(last[1]) * UNIT_MS[last[2]];
    if (milliseconds === 0) return { problem: 'must be a window of at least one unit' };
    if (milliseconds > MAX_WINDOW_DAYS * UNIT_MS.day) return { problem: `must be at most ${MAX_WINDOW_DAYS} days` };
    return { window: { kind: 'last', milliseconds } };
  }
  const between = /^between (\S+) and (\S+)$/.exec(text.trim());
  if (between) {
    const [from, to] = [parseIsoTimestamp(between[1]), parseIsoTimestamp(between[2])];
    if (from === undefined || to === undefined) return { problem: 'must have ISO 8601 dates, e.g. "between 2026-01-01 and 2026-02-01"' };
    if (from >= to) return { problem: 'must start before it ends' };
    return { window: { kind: 'between', from, to } };
  }
  return { problem: 'does not parse; use "last N days" (or minutes, hours, weeks), "ever", or "between <ISO date> and <ISO date>"' };
}

/** The window's bounds at time `now`. The text must already be valid (the schema checked it). */
export function resolveWindow(text: string, now: Date): ResolvedWindow {
  const { window, problem } = parseWindow(text);
  if (!window) throw new Error(`window "${text}" ${problem}`);
  const nowMs = now.getTime();
  switch (window.kind) {
    case 'ever':
      return { start: null, startInclusive: false, end: nowMs, endInclusive: true };
    case 'last':
      return { start: nowMs - window.milliseconds, startInclusive: false, end: nowMs, endInclusive: true };
    case 'between':
      return { start: window.from, startInclusive: true, end: window.to, endInclusive: false };
  }
}

export function isInWindow(timestamp: number, window: ResolvedWindow): boolean {
  const afterStart = window.start === null || (window.startInclusive ? timestamp >= window.start : timestamp > window.start);
  const beforeEnd = window.endInclusive ? timestamp <= window.end : timestamp < window.end;
  return afterStart && beforeEnd;
}

// ---- rules/semantics.ts

/**
 * Events audiencekit itself emits when a refresh changes membership. "Any event" conditions
 * (recency and frequency without an event name) ignore them, or a refresh would change the
 * recency of the very profiles it just moved and feed back into the next run.
 */
export const SEGMENT_LIFECYCLE_EVENTS = ['Segment Entered', 'Segment Exited'] as const;

export interface ComparisonBounds {
  low?: unknown;
  lowInclusive: boolean;
  high?: unknown;
  highInclusive: boolean;
}

/** gt / gte / lt / lte / between as a lower and/or upper bound; `between` includes both ends. */
export function comparisonBounds(operator: ComparisonOperator, operand: unknown): ComparisonBounds {
  switch (operator) {
    case 'gt':
      return { low: operand, lowInclusive: false, highInclusive: false };
    case 'gte':
      return { low: operand, lowInclusive: true, highInclusive: false };
    case 'lt':
      return { high: operand, highInclusive: false, lowInclusive: false };
    case 'lte':
      return { high: operand, highInclusive: true, lowInclusive: false };
    case 'between': {
      const [low, high] = operand as [unknown, unknown];
      return { low, lowInclusive: true, high, highInclusive: true };
    }
  }
}

/** A comparison operand is a date when it is an ISO 8601 string (numbers compare as numbers). */
export function isDateValue(value: unknown): value is string {
  return typeof value === 'string' && parseIsoTimestamp(value) !== undefined;
}

// ---- rules/evaluate.ts

/** One profile as ingestion sees it: its traits, its events, the segments it is currently in. */
export interface ProfileSnapshot {
  traits: Record<string, unknown>;
  events: readonly { name: string | null; timestamp: Date | number; properties?: Record<string, unknown> }[];
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
}

/** A leaf that reads events: its name (undefined = any event but our lifecycle events) and property filters. */
type EventLeaf = EventCondition | FrequencyCondition | RecencyCondition;

/**
 * One profile, normalised once, evaluated at any instant and against any membership set:
 * real-time evaluation asks the same profile about many instants, so the events are converted and
 * filtered by name and properties (which do not depend on time) once per leaf, not once per question.
 */
export class ProfileEvaluator {
  readonly events: readonly NormalisedEvent[];
  private readonly traits: Record<string, unknown>;
  private readonly leafEvents = new WeakMap<EventLeaf, NormalisedEvent[]>();
  private readonly windows = new Map<string, ResolvedWindow>();
  private now = 0;
  private segments: ReadonlySet<string> | undefined;

  constructor(profile: Pick<ProfileSnapshot, 'traits' | 'events'>) {
    this.traits = profile.traits;
    this.events = profile.events.map((event) => ({
      name: event.name,
      timestamp: typeof event.timestamp === 'number' ? event.timestamp : event.timestamp.getTime(),
      properties: event.properties ?? {},
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
      // The bench's definitions have property filters only (this copy predates context and near filters).
      const filters = (leaf.type === 'event' ? (leaf.where ?? []) : []) as PropertyFilter[];
      found = this.events.filter(
        (candidate) =>
          (leaf.event === undefined
            ? !(SEGMENT_LIFECYCLE_EVENTS as readonly (string | null)[]).includes(candidate.name)
            : candidate.name === leaf.event) &&
          filters.every((filter) => matchesValue(readPath(candidate.properties, filter.property), filter)),
      );
      this.leafEvents.set(leaf, found);
    }
    return found;
  }

  private condition(node: Condition): boolean {
    switch (node.type) {
      case 'all':
        return node.conditions.every((child) => this.condition(child));
      case 'any':
        return node.conditions.some((child) => this.condition(child));
      case 'not':
        return !this.condition(node.condition);
      case 'trait':
        return matchesValue(readPath(this.traits, node.trait), node);
      case 'event':
        return node.aggregate ? this.aggregate(node, node.aggregate) : this.count(node, node.count ?? { operator: 'at_least', value: 1 });
      case 'frequency':
        return this.count(node, { operator: node.operator, value: node.value });
      case 'recency':
        return this.recency(node);
      case 'segment':
        return this.segments?.has(node.segment) ?? false;
      default:
        throw new Error(`the baseline evaluator (a copy from before) has no ${node.type} condition`);
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

function matchesValue(value: unknown, node: TraitCondition | PropertyFilter): boolean {
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

// ---- realtime/change-instants.ts

const DAY_MS = 86_400_000;

/**
 * The instants after `now` at which a rules condition may change its verdict for this profile
 * with no new data (its `segment` leaves aside: their instants are those of the referenced
 * segments). As a function of time the verdict is piecewise constant and right-continuous, and
 * `now` is a whole millisecond, so each instant is the first whole millisecond of a new piece:
 * - `last N`: an event at ts is in (t − N, t] for t ∈ [ts, ts + N): instants ts and ts + N;
 * - `ever`: an event at ts is in (−∞, t] from t = ts: instant ts (only future events matter);
 * - `between`: fixed bounds, no instant; traits: none;
 * - recency: the last event changes at each later event, and "days since" crosses a bound d at
 *   last + d days (`gte` from that instant, `gt` from 1 ms later: both are instants).
 * Extra instants are harmless (the caller evaluates there and sees no change); a missing one is a bug.
 */
export function changeInstants(condition: Condition, evaluator: ProfileEvaluator, now: number, into: Set<number>): void {
  const add = (instant: number) => {
    if (instant > now && Number.isFinite(instant)) into.add(instant);
  };
  const visit = (node: Condition): void => {
    switch (node.type) {
      case 'all':
      case 'any':
        return node.conditions.forEach(visit);
      case 'not':
        return visit(node.condition);
      case 'trait':
      case 'segment':
        return;
      case 'event':
      case 'frequency':
        return windowInstants(node.window, evaluator.eventsOf(node), add);
      case 'recency':
        return recencyInstants(node, evaluator.eventsOf(node), now, add);
      default:
        throw new Error(`the baseline evaluator (a copy from before) has no ${node.type} condition`);
    }
  };
  visit(condition);
}

function windowInstants(windowText: string, events: readonly NormalisedEvent[], add: (instant: number) => void): void {
  const { window } = parseWindow(windowText);
  if (!window) throw new Error(`window "${windowText}" does not parse`);
  if (window.kind === 'between') return;
  for (const { timestamp } of events) {
    add(Math.ceil(timestamp));
    if (window.kind === 'last') add(Math.ceil(timestamp + window.milliseconds));
  }
}

function recencyInstants(node: RecencyCondition, events: readonly NormalisedEvent[], now: number, add: (instant: number) => void): void {
  const bounds = comparisonBounds(node.operator, node.days);
  const days = [bounds.low, bounds.high].filter((bound): bound is number => typeof bound === 'number');
  // Only the last event at now and later ones can be "the last event" at some instant after now.
  const lastAtNow = events.reduce((last, event) => (event.timestamp <= now ? Math.max(last, event.timestamp) : last), -Infinity);
  for (const { timestamp } of events) {
    if (!(timestamp >= lastAtNow)) continue;
    add(Math.ceil(timestamp));
    for (const count of days) {
      const crossing = timestamp + count * DAY_MS;
      add(Math.ceil(crossing));
      add(Math.floor(crossing) + 1);
    }
  }
}

// ---- realtime/order-by-references.ts

/** A live real-time rules segment, as the real-time evaluator receives it. */
export interface RealtimeSegment {
  id: string;
  key: string;
  definition: RulesDefinition;
}

/**
 * For each segment, the positions (in `segments`) of the segments of the same list its `segment`
 * conditions refer to, by key or by id. References outside the list are not edges here: they are
 * fixed memberships (batch segments) for the evaluator.
 * @throws {Error} when two segments share an id.
 */
export function realtimeReferenceEdges(segments: readonly RealtimeSegment[]): number[][] {
  const byName = new Map<string, number[]>();
  const ids = new Set<string>();
  segments.forEach((segment, index) => {
    if (ids.has(segment.id)) throw new Error(`real-time segment id "${segment.id}" appears twice`);
    ids.add(segment.id);
    for (const name of new Set([segment.id, segment.key])) byName.set(name, [...(byName.get(name) ?? []), index]);
  });
  return segments.map((segment) => [...new Set(segmentReferences(segment.definition).flatMap((name) => byName.get(name) ?? []))]);
}

/**
 * The segments ordered so that every segment comes after the real-time segments it references
 * (Kahn's algorithm, deterministic: independent segments keep the input order), so one pass can evaluate each with its
 * references' verdicts already known.
 * @throws {Error} naming the cycle when the references loop (the save gate refuses cycles, so this is a bug upstream).
 * @example orderByReferences([b, a]) // [a, b] when b's definition has { type: 'segment', segment: 'a' }
 */
export function orderByReferences<T extends RealtimeSegment>(segments: readonly T[]): T[] {
  const edges = realtimeReferenceEdges(segments);
  const waitingOn = edges.map((references) => references.length);
  const referencedBy = segments.map((): number[] => []);
  edges.forEach((references, index) => references.forEach((reference) => referencedBy[reference].push(index)));
  const ready = waitingOn.flatMap((count, index) => (count === 0 ? [index] : []));
  const ordered: T[] = [];
  for (let next = 0; next < ready.length; next++) {
    const index = ready[next];
    ordered.push(segments[index]);
    for (const dependant of referencedBy[index]) if (--waitingOn[dependant] === 0) ready.push(dependant);
  }
  if (ordered.length < segments.length)
    throw new Error(`real-time segments reference each other in a cycle: ${describeCycle(segments, edges)}`);
  return ordered;
}

function describeCycle(segments: readonly RealtimeSegment[], edges: number[][]): string {
  const graph = new Map(segments.map((segment, index) => [segment.key, edges[index].map((reference) => segments[reference].key)]));
  return (findSegmentReferenceCycle(graph) ?? []).join(' → ');
}

// ---- realtime/evaluate-realtime.ts

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
