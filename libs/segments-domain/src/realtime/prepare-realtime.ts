import type { ComputedTraitCondition } from '../rules/definition.schema';
import { assertNever } from '@audiencekit/util';
import { ComparisonOperator, Condition, CountOperator, EventCondition, PropertyFilter, TraitCondition } from '../rules/definition.schema';
import type { LifecycleCondition } from '../rules/lifecycle/lifecycle.schema';
import { LocationTest, PreparedFilter, prepareFilter, prepareLocation } from '../rules/context-geo';
import type { EventFilter, MessageType } from '../rules/definition.schema';
import { ComparisonBounds, comparisonBounds } from '../rules/semantics';
import { Decimal } from '../rules/values';
import { ParsedWindow, parseWindowCached } from '../rules/window';
import { RealtimeSegment, orderByReferences, realtimeReferenceEdges } from './order-by-references';

/**
 * A set of real-time segments compiled once for a whole batch of profiles (`prepareRealtimeSegments`):
 * ordered by references, windows parsed, leaves that read the same events (name and filters)
 * sharing one event source, comparison bounds resolved. Immutable; `evaluateProfileRealtime`
 * accepts it in place of the segment list and gives the same verdicts.
 */
export interface PreparedRealtimeSegments {
  readonly kind: 'prepared-realtime-segments';
  /** As given, in the caller's order (the verdicts' order). */
  readonly segments: readonly RealtimeSegment[];
  /** Compiled, in reference order: every segment after those it references. */
  readonly ordered: readonly CompiledSegment[];
  /** For each given segment, its position in `ordered`. */
  readonly positions: readonly number[];
  /** The distinct event sources of every leaf (an event name, or any event, and property filters). */
  readonly sources: readonly EventSource[];
  /** How many trait leaves (each cached per profile: traits do not change with time). */
  readonly traitLeaves: number;
}

export interface EventSource {
  /** undefined: any event but the lifecycle events (with a message type: any event of that type). */
  event: string | undefined;
  filters: readonly (PropertyFilter | EventFilter)[];
  messageType?: MessageType;
  /** The filters resolved once (near bounds). */
  prepared: readonly PreparedFilter[];
}

export interface CompiledSegment {
  id: string;
  key: string;
  match: CompiledNode;
  /** Positions in `ordered` of the real-time segments it references (all earlier). */
  references: number[];
  /** The leaves whose events make instants of change. */
  instantLeaves: InstantLeaf[];
}

export type CompiledNode =
  | { kind: 'all' | 'any'; children: CompiledNode[] }
  | { kind: 'not'; child: CompiledNode }
  | { kind: 'trait'; slot: number; condition: TraitCondition }
  | { kind: 'computed_trait'; condition: ComputedTraitCondition }
  | { kind: 'count'; source: number; window: ParsedWindow; operator: CountOperator; value: number }
  | { kind: 'aggregate'; source: number; window: ParsedWindow; aggregate: CompiledAggregate }
  | { kind: 'recency'; source: number; bounds: ComparisonBounds }
  /** The last known location in the window (context-geo.ts). */
  | { kind: 'location'; window: ParsedWindow; test: LocationTest }
  /** sequence, first_time, stopped, regularly: one source per step (one for the others). */
  | { kind: 'lifecycle'; sources: number[]; condition: LifecycleCondition }
  /** `references`: the positions in `ordered` the name stands for; else a fixed membership. */
  | { kind: 'segment'; name: string; references: number[] };

export interface CompiledAggregate {
  function: 'sum' | 'avg' | 'min' | 'max';
  property: string;
  operator: ComparisonOperator;
  bounds: ComparisonBounds;
  /** Cache of the bounds as decimals, filled on first use. */
  boundDecimals: Map<unknown, Decimal>;
}

export type InstantLeaf =
  | { kind: 'window'; source: number; window: ParsedWindow }
  | { kind: 'recency'; source: number; days: number[] }
  | { kind: 'location'; window: ParsedWindow }
  | { kind: 'lifecycle'; sources: number[]; condition: LifecycleCondition };

/**
 * Compiles the live real-time segments once, for every profile of a batch.
 * @throws {Error} on a reference cycle, a duplicate id, or a window that does not parse (the schema refuses those).
 * @example const prepared = prepareRealtimeSegments(segments);
 *   for (const profile of batch) evaluateProfileRealtime(prepared, profile, now);
 */
export function prepareRealtimeSegments(segments: readonly RealtimeSegment[]): PreparedRealtimeSegments {
  const ordered = orderByReferences(segments);
  const edges = realtimeReferenceEdges(ordered);
  const byName = namesToPositions(ordered);
  const compiler = new Compiler(byName);
  const compiled = ordered.map((segment, index) => {
    const instantLeaves: InstantLeaf[] = [];
    const match = compiler.node(segment.definition.match, instantLeaves);
    return { id: segment.id, key: segment.key, match, references: edges[index], instantLeaves };
  });
  const position = new Map(ordered.map((segment, index) => [segment, index]));
  return {
    kind: 'prepared-realtime-segments',
    segments: [...segments],
    ordered: compiled,
    positions: segments.map((segment) => position.get(segment) as number),
    sources: compiler.sources,
    traitLeaves: compiler.traitLeaves,
  };
}

export function isPreparedRealtimeSegments(value: unknown): value is PreparedRealtimeSegments {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'prepared-realtime-segments';
}

/** Every id and key → the positions of the segments bearing it (an id may be another's key). */
function namesToPositions(ordered: readonly RealtimeSegment[]): Map<string, number[]> {
  const byName = new Map<string, number[]>();
  ordered.forEach((segment, index) => {
    for (const name of new Set([segment.id, segment.key])) byName.set(name, [...(byName.get(name) ?? []), index]);
  });
  return byName;
}

class Compiler {
  readonly sources: EventSource[] = [];
  traitLeaves = 0;
  private readonly sourceIndex = new Map<string, number>();

  constructor(private readonly byName: Map<string, number[]>) {}

  node(condition: Condition, instantLeaves: InstantLeaf[]): CompiledNode {
    switch (condition.type) {
      case 'all':
      case 'any':
        return { kind: condition.type, children: condition.conditions.map((child) => this.node(child, instantLeaves)) };
      case 'not':
        return { kind: 'not', child: this.node(condition.condition, instantLeaves) };
      case 'computed_trait':
        return { kind: 'computed_trait', condition };
      case 'trait':
        return { kind: 'trait', slot: this.traitLeaves++, condition };
      case 'segment':
        return { kind: 'segment', name: condition.segment, references: this.byName.get(condition.segment) ?? [] };
      case 'event':
      case 'frequency': {
        const source =
          condition.type === 'event'
            ? this.source(condition.event, condition.where ?? [], condition.messageType)
            : this.source(condition.event, []);
        const window = windowOf(condition.window);
        if (window.kind !== 'between') instantLeaves.push({ kind: 'window', source, window });
        if (condition.type === 'frequency') return { kind: 'count', source, window, operator: condition.operator, value: condition.value };
        if (condition.aggregate) return { kind: 'aggregate', source, window, aggregate: compileAggregate(condition.aggregate) };
        const count = condition.count ?? { operator: 'at_least', value: 1 };
        return { kind: 'count', source, window, operator: count.operator, value: count.value };
      }
      case 'recency': {
        const source = this.source(condition.event, []);
        const bounds = comparisonBounds(condition.operator, condition.days);
        const days = [bounds.low, bounds.high].filter((bound): bound is number => typeof bound === 'number');
        instantLeaves.push({ kind: 'recency', source, days });
        return { kind: 'recency', source, bounds };
      }
      case 'sequence':
      case 'first_time':
      case 'stopped':
      case 'regularly': {
        const steps = condition.type === 'sequence' ? condition.steps : [condition];
        const sources = steps.map((step) => this.source(step.event, step.where ?? []));
        instantLeaves.push({ kind: 'lifecycle', sources, condition });
        return { kind: 'lifecycle', sources, condition };
      }
      case 'location': {
        const window = windowOf(condition.window ?? 'ever');
        if (window.kind !== 'between') instantLeaves.push({ kind: 'location', window });
        return { kind: 'location', window, test: prepareLocation(condition) };
      }
      default:
        return assertNever(condition, 'condition');
    }
  }

  /** Leaves reading the same events share a source, so each profile filters them once. */
  private source(event: string | undefined, filters: readonly (PropertyFilter | EventFilter)[], messageType?: MessageType): number {
    const cacheKey = JSON.stringify([event === undefined ? 0 : event, filters, messageType ?? 0]);
    let index = this.sourceIndex.get(cacheKey);
    if (index === undefined) {
      index = this.sources.push({ event, filters, messageType, prepared: filters.map(prepareFilter) }) - 1;
      this.sourceIndex.set(cacheKey, index);
    }
    return index;
  }
}

function windowOf(text: string): ParsedWindow {
  const { window, problem } = parseWindowCached(text);
  if (!window) throw new Error(`window "${text}" ${problem}`);
  return window;
}

function compileAggregate(aggregate: NonNullable<EventCondition['aggregate']>): CompiledAggregate {
  return {
    function: aggregate.function,
    property: aggregate.property,
    operator: aggregate.operator,
    bounds: comparisonBounds(aggregate.operator, aggregate.value),
    boundDecimals: new Map(),
  };
}
