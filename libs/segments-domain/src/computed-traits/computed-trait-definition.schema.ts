import { z } from 'zod';
import { jsonNestingProblem } from '../rules/json-nesting';
import { DEFINITION_LIMITS, VALUE_OPERATORS, type PropertyFilter, type ValueOperator, windowSchema } from '../rules/definition.schema';
import { parseIsoTimestamp } from '../rules/values';

/**
 * The definition of a computed trait (issue #20): one statistic of the events of one name, with
 * optional property filters (the rules' `where`), in a window (the rules' window syntax):
 *
 * ```json
 * { "function": "sum", "event": "Order Completed", "property": "revenue", "window": "last 90 days",
 *   "where": [{ "property": "currency", "operator": "equals", "value": "EUR" }] }
 * ```
 *
 * Semantics (the SQL builder and `computeTraitValue` agree, proved by the differential test):
 * - the events considered: name = `event`, timestamp inside the window at `now`, every `where` filter true;
 * - an event's value is its property at `property` (a dot path); null or missing = no value;
 * - `count`: the events (with `property`: those with a value); 0 when none (every live profile gets one);
 * - `distinct_count`: distinct scalar values (strings, numbers, booleans; `1` and `1.0` are one value,
 *   `"1"` another); 0 when none;
 * - `sum` / `avg` / `min` / `max`: over numeric values only (anything else ignored), exact decimals
 *   like the rules; `avg` is sum / count rounded half away from zero to 10 decimal places; no value
 *   when there is no number;
 * - `first` / `last`: the value (any JSON) of the earliest / latest event with a value, by timestamp,
 *   then event id;
 * - `most_frequent`: the scalar value seen most often; a tie goes to the value seen latest
 *   (its latest event by timestamp, then id).
 *
 * Text signals (issue #24): `signal` instead of `property` reads the value at a dot path of the
 * event's `signals` (what the worker's text-signal scoring stored: `sentiment.compound`,
 * `sentiment.label`, `sentiment.negative`, `tags`), and a `where` entry `{ signal, operator, value }`
 * tests it (`{ signal: 'tags', operator: 'contains', value: 'price-sensitive' }`: an element of the
 * tags). Separate keys rather than a `signals.` prefix on `property`, so an event property that
 * happens to be called `signals` keeps its meaning. An event not scored (yet) has no signals.
 */

export const TRAIT_FUNCTIONS = ['count', 'sum', 'avg', 'min', 'max', 'first', 'last', 'most_frequent', 'distinct_count'] as const;
export type TraitFunction = (typeof TRAIT_FUNCTIONS)[number];

/** A `where` entry testing the event's text signals (`events.signals`) rather than its properties. */
export interface SignalFilter {
  signal: string;
  operator: ValueOperator;
  value?: PropertyFilter['value'];
}
export type TraitFilter = PropertyFilter | SignalFilter;

export interface ComputedTraitDefinition {
  function: TraitFunction;
  event: string;
  /** The value: a dot path of the event's properties. At most one of `property` and `signal`. */
  property?: string;
  /** The value: a dot path of the event's text signals (`sentiment.compound`, `tags`, …). */
  signal?: string;
  where?: TraitFilter[];
  window: string;
}

/** Whether a definition reads text signals anywhere (its value or a filter): such a trait is not maintained in real time. */
export function readsSignals(definition: ComputedTraitDefinition): boolean {
  return definition.signal !== undefined || (definition.where ?? []).some(isSignalFilter);
}

export function isSignalFilter(filter: TraitFilter): filter is SignalFilter {
  return 'signal' in filter;
}

/** A computed trait's key: what rules (`computed_trait`), templates and payloads name it by. */
export const TRAIT_KEY_PATTERN = /^[a-z][a-z0-9_]{0,62}$/;
export const traitKeySchema = z
  .string()
  .regex(TRAIT_KEY_PATTERN, 'must be 1-63 characters: a lower-case letter, then lower-case letters, digits or _');

const name = z.string().min(1).max(200);
const valuePath = name.refine(
  (path) => path.split('.').every((segment) => segment.length > 0 && !/^-?\d+$/.test(segment)),
  'must be a dot path of non-empty, non-numeric keys',
);
const text = z.string().max(DEFINITION_LIMITS.maxStringLength);
const scalar = z.union([text, z.number().finite(), z.boolean()]);

const whereSchema = z
  .object({
    property: valuePath.optional(),
    signal: valuePath.optional(),
    operator: z.enum(VALUE_OPERATORS),
    value: z.union([scalar, z.array(scalar).max(DEFINITION_LIMITS.maxListValues)]).optional(),
  })
  .strict()
  .superRefine((node, context) => {
    if ((node.property === undefined) === (node.signal === undefined))
      context.addIssue({ code: 'custom', path: ['property'], message: 'exactly one of property and signal is required' });
    const problem = operandProblem(node.operator, node.value);
    if (problem) context.addIssue({ code: 'custom', path: ['value'], message: problem });
  });

export const computedTraitDefinitionSchema = z
  .object({
    function: z.enum(TRAIT_FUNCTIONS),
    event: name,
    property: valuePath.optional(),
    signal: valuePath.optional(),
    where: z.array(whereSchema).max(50).optional(),
    window: windowSchema,
  })
  .strict()
  .superRefine((node, context) => {
    if (node.property !== undefined && node.signal !== undefined)
      context.addIssue({ code: 'custom', path: ['signal'], message: 'give property or signal, not both' });
    else if (node.function !== 'count' && node.property === undefined && node.signal === undefined)
      context.addIssue({ code: 'custom', path: ['property'], message: `is required for function ${node.function} (or signal)` });
  }) as z.ZodType<ComputedTraitDefinition>;

export interface TraitDefinitionIssue {
  /** Dot path inside the definition (empty for the root). */
  path: string;
  message: string;
}

export class ComputedTraitDefinitionException extends Error {
  constructor(readonly issues: TraitDefinitionIssue[]) {
    super(`invalid computed trait definition: ${issues.map((issue) => `${issue.path || '(root)'} ${issue.message}`).join('; ')}`);
    this.name = 'ComputedTraitDefinitionException';
  }
}

/**
 * Validates raw JSON into a computed trait definition.
 * @throws {ComputedTraitDefinitionException} naming the path and the reason of every problem.
 * @example parseComputedTraitDefinition({ function: 'count', event: 'Order Completed', window: 'last 30 days' })
 */
export function parseComputedTraitDefinition(raw: unknown): ComputedTraitDefinition {
  const tooDeep = jsonNestingProblem(raw);
  if (tooDeep) throw new ComputedTraitDefinitionException([tooDeep]);
  const result = computedTraitDefinitionSchema.safeParse(raw);
  if (result.success) return result.data;
  throw new ComputedTraitDefinitionException(result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })));
}

/** The same checks as the rules' property filters (definition.schema.ts), kept here so trait filters stay plain property filters. */
function operandProblem(operator: ValueOperator, value: unknown): string | undefined {
  const isScalar = typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
  const orderable = (candidate: unknown) =>
    typeof candidate === 'number'
      ? 'number'
      : typeof candidate === 'string' && parseIsoTimestamp(candidate) !== undefined
        ? 'date'
        : undefined;
  switch (operator) {
    case 'exists':
    case 'not_exists':
      return value === undefined ? undefined : `must be absent for operator ${operator}`;
    case 'equals':
    case 'not_equals':
      return isScalar ? undefined : `must be a string, number or boolean for operator ${operator}`;
    case 'in':
    case 'not_in':
      return Array.isArray(value) && value.length > 0 ? undefined : `must be a non-empty array for operator ${operator}`;
    case 'contains':
    case 'starts_with':
      return typeof value === 'string' && value.length > 0 ? undefined : `must be a non-empty string for operator ${operator}`;
    case 'between':
      return Array.isArray(value) && value.length === 2 && orderable(value[0]) !== undefined && orderable(value[0]) === orderable(value[1])
        ? undefined
        : 'must be [low, high], two numbers or two ISO dates, for operator between';
    default:
      return orderable(value) ? undefined : `must be a number or an ISO 8601 date for operator ${operator}`;
  }
}
