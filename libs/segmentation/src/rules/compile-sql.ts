import {
  ComparisonOperator,
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
import { requireIsoTimestamp } from './values';
import { ResolvedWindow, resolveWindow } from './window';

export interface CompiledSql {
  /** One SELECT returning a `profile_id` column: the members. */
  text: string;
  /** Bind values for `$1..$n`; no value is ever spliced into `text`. */
  values: unknown[];
}

/**
 * Compiles a definition into ONE parameterised query over `profiles` and `events`, so the database
 * does the filtering. Every user-supplied value (names, paths, thresholds, dates) is a bind
 * parameter; `text` only ever contains SQL written here. Each leaf compiles to a never-NULL boolean
 * (so `not` is exact); behavioural leaves compile to `p.id IN (<set of profiles>)`, which Postgres
 * runs as a semi-join or a hashed sub-plan computed once, instead of a lookup per profile.
 */
export function compileSegmentSql(definition: SegmentDefinition, options: { now: Date }): CompiledSql {
  const compiler = new SqlCompiler(options.now);
  const where = compiler.condition(definition.match);
  return {
    text: `SELECT p.id AS profile_id FROM profiles p WHERE p.merged_into IS NULL AND p.deleted_at IS NULL AND ${where}`,
    values: compiler.values,
  };
}

class SqlCompiler {
  readonly values: unknown[] = [];

  constructor(private readonly now: Date) {}

  condition(node: Condition): string {
    switch (node.type) {
      case 'all':
        return `(${node.conditions.map((child) => this.condition(child)).join(' AND ')})`;
      case 'any':
        return `(${node.conditions.map((child) => this.condition(child)).join(' OR ')})`;
      case 'not':
        return `(NOT ${this.condition(node.condition)})`;
      case 'trait':
        return this.valueCondition('p.traits', node.trait, node);
      case 'event':
        return node.aggregate ? this.aggregateCondition(node, node.aggregate) : this.countCondition(node.event, node.window, node.where ?? [], node.count ?? { operator: 'at_least', value: 1 });
      case 'frequency':
        return this.countCondition(node.event, node.window, [], { operator: node.operator, value: node.value });
      case 'recency':
        return this.recencyCondition(node);
      case 'segment':
        return `p.id IN (SELECT m.profile_id FROM segment_memberships m JOIN segments s ON s.id = m.segment_id
          WHERE s.deleted_at IS NULL AND (s.key = ${this.bind(node.segment)} OR s.id::text = ${this.bind(node.segment)}))`;
    }
  }

  private bind(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }

  /** A trait or event-property condition on `<column> #> path`. */
  private valueCondition(column: string, path: string, node: TraitCondition | PropertyFilter): string {
    const value = `(${column} #> ${this.bind(path.split('.'))}::text[])`;
    return `COALESCE(${this.valueTest(value, node.operator, node.value)}, false)`;
  }

  private valueTest(value: string, operator: ValueOperator, operand: unknown): string {
    switch (operator) {
      case 'exists':
        return `COALESCE(jsonb_typeof(${value}), 'null') <> 'null'`;
      case 'not_exists':
        return `COALESCE(jsonb_typeof(${value}), 'null') = 'null'`;
      case 'equals':
        return `${value} = ${this.bind(JSON.stringify(operand))}::jsonb`;
      case 'not_equals':
        return `NOT COALESCE(${value} = ${this.bind(JSON.stringify(operand))}::jsonb, false)`;
      case 'in':
        return `${value} IN (SELECT jsonb_array_elements(${this.bind(JSON.stringify(operand))}::jsonb))`;
      case 'not_in':
        return `NOT COALESCE(${value} IN (SELECT jsonb_array_elements(${this.bind(JSON.stringify(operand))}::jsonb)), false)`;
      case 'contains':
        return `CASE jsonb_typeof(${value}) WHEN 'string' THEN strpos(${value} #>> '{}', ${this.bind(operand)}) > 0
          WHEN 'array' THEN ${value} @> jsonb_build_array(${this.bind(operand)}::text) ELSE false END`;
      case 'starts_with':
        return `CASE WHEN jsonb_typeof(${value}) = 'string' THEN starts_with(${value} #>> '{}', ${this.bind(operand)}) ELSE false END`;
      default:
        return this.orderedTest(value, operator, operand);
    }
  }

  /** gt / gte / lt / lte / between on numbers (exact numeric) or ISO dates (timestamptz). */
  private orderedTest(value: string, operator: ComparisonOperator, operand: unknown): string {
    const reference = Array.isArray(operand) ? operand[0] : operand;
    if (isDateValue(reference)) {
      const asTimestamp = `ak_try_timestamptz(CASE WHEN jsonb_typeof(${value}) = 'string' THEN ${value} #>> '{}' END)`;
      return this.comparison(asTimestamp, operator, operand, (bound) => `${this.bind(new Date(requireIsoTimestamp(bound as string)).toISOString())}::timestamptz`);
    }
    const asNumber = `CASE WHEN jsonb_typeof(${value}) = 'number' THEN (${value} #>> '{}')::numeric END`;
    return this.comparison(asNumber, operator, operand, (bound) => `${this.bind(String(bound))}::numeric`);
  }

  private comparison(left: string, operator: ComparisonOperator, operand: unknown, bindBound: (bound: unknown) => string): string {
    const bounds = comparisonBounds(operator, operand);
    const tests: string[] = [];
    if (bounds.low !== undefined) tests.push(`${left} ${bounds.lowInclusive ? '>=' : '>'} ${bindBound(bounds.low)}`);
    if (bounds.high !== undefined) tests.push(`${left} ${bounds.highInclusive ? '<=' : '<'} ${bindBound(bounds.high)}`);
    return `(${tests.join(' AND ')})`;
  }

  /** Events of one name (or any customer event) inside a window, optionally filtered on properties. */
  private eventSet(event: string | undefined, window: ResolvedWindow, filters: PropertyFilter[]): string {
    const tests = [event === undefined ? `(e.name IS NULL OR e.name NOT IN (${SEGMENT_LIFECYCLE_EVENTS.map((name) => this.bind(name)).join(', ')}))` : `e.name = ${this.bind(event)}`];
    if (window.start !== null) tests.push(`e.timestamp ${window.startInclusive ? '>=' : '>'} ${this.bind(new Date(window.start).toISOString())}::timestamptz`);
    tests.push(`e.timestamp ${window.endInclusive ? '<=' : '<'} ${this.bind(new Date(window.end).toISOString())}::timestamptz`);
    for (const filter of filters) tests.push(this.valueCondition('e.properties', filter.property, filter));
    return `SELECT e.profile_id FROM events e WHERE ${tests.join(' AND ')}`;
  }

  private countCondition(event: string | undefined, windowText: string, filters: PropertyFilter[], count: { operator: CountOperator; value: number }): string {
    const window = resolveWindow(windowText, this.now);
    const having = (test: string) => `p.id IN (${this.eventSet(event, window, filters)} GROUP BY e.profile_id HAVING count(*) ${test} ${this.bind(count.value)})`;
    const anyAtAll = () => `p.id IN (${this.eventSet(event, window, filters)})`;
    switch (count.operator) {
      case 'at_least':
        return count.value === 0 ? 'true' : count.value === 1 ? anyAtAll() : having('>=');
      case 'exactly':
        return count.value === 0 ? `(NOT ${anyAtAll()})` : having('=');
      case 'at_most':
        return count.value === 0 ? `(NOT ${anyAtAll()})` : `(NOT ${having('>')})`;
    }
  }

  /**
   * Sum / average / min / max of a numeric property. Averages compare `sum` with `threshold ×
   * count` so no division rounds; only profiles with at least one numeric value can match.
   */
  private aggregateCondition(node: EventCondition, aggregate: NonNullable<EventCondition['aggregate']>): string {
    const window = resolveWindow(node.window, this.now);
    const path = this.bind(aggregate.property.split('.'));
    const numeric = `CASE WHEN jsonb_typeof(e.properties #> ${path}::text[]) = 'number' THEN (e.properties #>> ${path}::text[])::numeric END`;
    const bounds = comparisonBounds(aggregate.operator, aggregate.value);
    const tests: string[] = [];
    const side = (bound: unknown, operator: string) =>
      aggregate.function === 'avg'
        ? `sum(${numeric}) ${operator} ${this.bind(String(bound))}::numeric * count(${numeric})`
        : `${aggregate.function}(${numeric}) ${operator} ${this.bind(String(bound))}::numeric`;
    if (bounds.low !== undefined) tests.push(side(bounds.low, bounds.lowInclusive ? '>=' : '>'));
    if (bounds.high !== undefined) tests.push(side(bounds.high, bounds.highInclusive ? '<=' : '<'));
    return `p.id IN (${this.eventSet(node.event, window, node.where ?? [])} GROUP BY e.profile_id HAVING ${tests.join(' AND ')})`;
  }

  /** Days since the last matching event, as a bound on that event's time: `gt 30` ⇔ last < now − 30 days. */
  private recencyCondition(node: RecencyCondition): string {
    const window = resolveWindow('ever', this.now);
    const cut = (days: number) => `${this.bind(new Date(this.now.getTime() - days * 86_400_000).toISOString())}::timestamptz`;
    const bounds = comparisonBounds(node.operator, node.days);
    const tests: string[] = [];
    // More days since ⇔ an earlier last event, so the bounds swap sides.
    if (bounds.low !== undefined) tests.push(`max(e.timestamp) ${bounds.lowInclusive ? '<=' : '<'} ${cut(bounds.low as number)}`);
    if (bounds.high !== undefined) tests.push(`max(e.timestamp) ${bounds.highInclusive ? '>=' : '>'} ${cut(bounds.high as number)}`);
    return `p.id IN (${this.eventSet(node.event, window, [])} GROUP BY e.profile_id HAVING ${tests.join(' AND ')})`;
  }
}
