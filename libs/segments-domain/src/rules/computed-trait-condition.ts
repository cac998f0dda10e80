import type { Condition, ComputedTraitCondition, SegmentDefinition, ValueOperator } from './definition.schema';

/**
 * The `computed_trait` rule condition (issue #20): `{ type: 'computed_trait', key, operator, value }`
 * tests the profile's stored derived value `key` (table `computed_trait_values`, written by computed
 * traits and SQL traits) with the 13 value operators of trait conditions and their exact semantics
 * (a profile without a value is "missing": `not_equals`, `not_in` and `not_exists` hold).
 */

/** Operators that hold for a profile without a value (its test of SQL NULL / undefined is true). */
const HOLDS_WITHOUT_VALUE: readonly ValueOperator[] = ['not_equals', 'not_in', 'not_exists'];

/**
 * The condition as SQL over `p` (profiles): a semi-join on `computed_trait_values` by key (its
 * index), or, for operators that hold without a value, the negated semi-join of the values that
 * fail. `valueTest` is the compiler's value test (rules' exact semantics), `bind` its parameters.
 *
 * The semi-join's test is the bare value test: WHERE already drops NULL, and wrapped in COALESCE
 * the planner could not estimate it (63k rows guessed for 5.5k). Bare, a numeric test is the exact
 * expression of the index on (key, numeric value) (persistence, migration ComputedTraitNumberIndex),
 * so "spend_90d > 500" is an index range scan, estimated from the index's statistics.
 */
export function computedTraitSql(
  node: ComputedTraitCondition,
  bind: (value: unknown) => string,
  valueTest: (value: string, operator: ValueOperator, operand: unknown) => string,
): string {
  const key = bind(node.key);
  const test = valueTest('(v.value)', node.operator, node.value);
  return HOLDS_WITHOUT_VALUE.includes(node.operator)
    ? `(NOT p.id IN (SELECT v.profile_id FROM computed_trait_values v WHERE v.key = ${key} AND NOT COALESCE(${test}, false)))`
    : `p.id IN (SELECT v.profile_id FROM computed_trait_values v WHERE v.key = ${key} AND ${test})`;
}

/** The profile's value of `key` (undefined when it has none); own keys only, so `constructor` is not a value. */
export function computedTraitValueOf(values: Readonly<Record<string, unknown>> | undefined, key: string): unknown {
  return values !== undefined && Object.hasOwn(values, key) ? values[key] : undefined;
}

/**
 * Every `computed_trait` condition of a definition with its path, so the service can check the keys
 * exist (a 400 naming the path) and, for a real-time segment, that each is maintained in real time.
 * @example computedTraitReferencePaths(definition) // [{ path: 'definition.match.conditions.0', key: 'orders_90d' }]
 */
export function computedTraitReferencePaths(definition: SegmentDefinition): { path: string; key: string }[] {
  if (definition.type !== 'rules') return [];
  const found: { path: string; key: string }[] = [];
  const pending: { node: Condition; path: string }[] = [{ node: definition.match, path: 'definition.match' }];
  for (let item = pending.pop(); item; item = pending.pop()) {
    const { node, path } = item;
    if (node.type === 'computed_trait') found.push({ path, key: node.key });
    else if (node.type === 'all' || node.type === 'any')
      node.conditions.forEach((child, index) => pending.push({ node: child, path: `${path}.conditions.${index}` }));
    else if (node.type === 'not') pending.push({ node: node.condition, path: `${path}.condition` });
  }
  return found.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
