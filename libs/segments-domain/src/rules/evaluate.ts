import {
  Condition,
  CountOperator,
  EventCondition,
  PropertyFilter,
  RecencyCondition,
  SegmentDefinition,
  TraitCondition,
  ValueOperator,
} from './definition.schema';
import { SEGMENT_LIFECYCLE_EVENTS, comparisonBounds, isDateValue } from './semantics';
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
import { isInWindow, resolveWindow } from './window';

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
  return new InMemoryEvaluator(profile, options.now).condition(definition.match);
}

interface NormalisedEvent {
  name: string | null;
  timestamp: number;
  properties: Record<string, unknown>;
}

class InMemoryEvaluator {
  private readonly events: NormalisedEvent[];

  constructor(
    private readonly profile: ProfileSnapshot,
    private readonly now: Date,
  ) {
    this.events = profile.events.map((event) => ({
      name: event.name,
      timestamp: typeof event.timestamp === 'number' ? event.timestamp : event.timestamp.getTime(),
      properties: event.properties ?? {},
    }));
  }

  condition(node: Condition): boolean {
    switch (node.type) {
      case 'all':
        return node.conditions.every((child) => this.condition(child));
      case 'any':
        return node.conditions.some((child) => this.condition(child));
      case 'not':
        return !this.condition(node.condition);
      case 'trait':
        return matchesValue(readPath(this.profile.traits, node.trait), node);
      case 'event':
        return node.aggregate
          ? this.aggregate(node, node.aggregate)
          : this.count(node.event, node.window, node.where ?? [], node.count ?? { operator: 'at_least', value: 1 });
      case 'frequency':
        return this.count(node.event, node.window, [], { operator: node.operator, value: node.value });
      case 'recency':
        return this.recency(node);
      case 'segment':
        return this.profile.segments?.has(node.segment) ?? false;
    }
  }

  private matching(event: string | undefined, windowText: string, filters: PropertyFilter[]): NormalisedEvent[] {
    const window = resolveWindow(windowText, this.now);
    return this.events.filter(
      (candidate) =>
        (event === undefined
          ? !(SEGMENT_LIFECYCLE_EVENTS as readonly (string | null)[]).includes(candidate.name)
          : candidate.name === event) &&
        isInWindow(candidate.timestamp, window) &&
        filters.every((filter) => matchesValue(readPath(candidate.properties, filter.property), filter)),
    );
  }

  private count(
    event: string | undefined,
    window: string,
    filters: PropertyFilter[],
    count: { operator: CountOperator; value: number },
  ): boolean {
    const found = this.matching(event, window, filters).length;
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
    const values = this.matching(node.event, node.window, node.where ?? [])
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
    const timestamps = this.matching(node.event, 'ever', []).map((event) => event.timestamp);
    if (timestamps.length === 0) return false;
    const last = Math.max(...timestamps);
    const cut = (days: unknown) => this.now.getTime() - (days as number) * 86_400_000;
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
