import { z } from 'zod';
import {
  clusterDefinitionSchema,
  propensityDefinitionSchema,
  type ClusterDefinition,
  type PropensityDefinition,
} from '../models/model-definitions.schema';
import { clvDefinitionSchema, type ClvDefinition } from '../clv/clv-definition.schema';
import { listDefinitionSchema, type ListDefinition } from '../lists/list-definition';
import { rfmDefinitionSchema, type RfmDefinition } from '../rfm/rfm.schema';
import { intentValueDefinitionSchema, type IntentValueDefinition } from '../value-matrix/value-matrix';
import { jsonNestingProblem } from './json-nesting';
import { LifecycleCondition, lifecycleConditionSchemas } from './lifecycle/lifecycle.schema';
import { parseIsoTimestamp } from './values';
import { parseWindow } from './window';

/**
 * The JSON definition of a rules segment. One schema is the single source of truth: the API
 * validates with it, OpenAPI documents it, and both evaluators (SQL and in-memory) consume the
 * parsed result. Every node carries a `type`, so an error can name the exact path of a bad node.
 */

/** Guards against definitions built to exhaust the compiler or the database planner. */
export const DEFINITION_LIMITS = { maxConditions: 500, maxDepth: 20, maxListValues: 1_000, maxStringLength: 1_000 } as const;

const name = z.string().min(1).max(200);
/**
 * A dot path into traits or properties (`address.city`). Numeric segments are refused: Postgres
 * would index arrays with them, JavaScript would not, and the two evaluators must agree.
 */
const valuePath = name.refine(
  (path) => path.split('.').every((segment) => segment.length > 0 && !/^-?\d+$/.test(segment)),
  'must be a dot path of non-empty, non-numeric keys',
);
const text = z.string().max(DEFINITION_LIMITS.maxStringLength);
const scalar = z.union([text, z.number().finite(), z.boolean()]);

export const VALUE_OPERATORS = [
  'equals',
  'not_equals',
  'in',
  'not_in',
  'contains',
  'starts_with',
  'gt',
  'gte',
  'lt',
  'lte',
  'between',
  'exists',
  'not_exists',
] as const;
export type ValueOperator = (typeof VALUE_OPERATORS)[number];

/** A condition on one value (a profile trait or an event property), addressed by a dot path. */
const valueCondition = {
  operator: z.enum(VALUE_OPERATORS),
  value: z.union([scalar, z.array(scalar).max(DEFINITION_LIMITS.maxListValues)]).optional(),
};

export const windowSchema = z
  .string()
  .max(100)
  .superRefine((value, context) => {
    const problem = parseWindow(value).problem;
    if (problem) context.addIssue({ code: 'custom', message: problem });
  });

export const COUNT_OPERATORS = ['at_least', 'at_most', 'exactly'] as const;
export type CountOperator = (typeof COUNT_OPERATORS)[number];
export const COMPARISON_OPERATORS = ['gt', 'gte', 'lt', 'lte', 'between'] as const;
export type ComparisonOperator = (typeof COMPARISON_OPERATORS)[number];

const countSchema = z.object({ operator: z.enum(COUNT_OPERATORS), value: z.number().int().min(0).max(1_000_000) }).strict();
const wholeDays = z.number().int().min(0).max(36_500);
const comparedNumber = {
  operator: z.enum(COMPARISON_OPERATORS),
  value: z.union([z.number().finite(), z.tuple([z.number().finite(), z.number().finite()])]),
};

const propertyFilterSchema = z
  .object({ property: valuePath, ...valueCondition })
  .strict()
  .superRefine(checkValueForOperator);

/**
 * Event context, message type and geography (issue 20). An event condition may name its message
 * type (`track`, `page`, `screen`; absent: any type, as before) and filter on the stored
 * `events.context` (`{ context: 'page.path', operator, value }`) or on the distance of its
 * `context.location` from a point (`{ near: { latitude, longitude, km } }`). A `location` condition
 * tests the profile's last known location. Semantics: context-geo.ts.
 */
export const MESSAGE_TYPES = ['track', 'page', 'screen'] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];
/** Half the Earth's circumference is ~20,015 km: every point is nearer than that. */
export const MAX_NEAR_KM = 20_000;

const nearSchema = z
  .object({
    latitude: z.number().min(-90).max(90),
    longitude: z.number().min(-180).max(180),
    km: z.number().min(0).max(MAX_NEAR_KM),
  })
  .strict();

/** One `where` entry: exactly one of `property`, `context` (each with operator and value) or `near`. */
const eventFilterSchema = z
  .object({
    property: valuePath.optional(),
    context: valuePath.optional(),
    near: nearSchema.optional(),
    operator: z.enum(VALUE_OPERATORS).optional(),
    value: valueCondition.value,
  })
  .strict()
  .superRefine((node, context) => {
    const kinds = (['property', 'context', 'near'] as const).filter((kind) => node[kind] !== undefined);
    if (kinds.length !== 1) {
      context.addIssue({ code: 'custom', path: [], message: 'must have exactly one of property, context or near' });
      return;
    }
    if (kinds[0] === 'near') {
      if (node.operator !== undefined) context.addIssue({ code: 'custom', path: ['operator'], message: 'must be absent with near' });
      if (node.value !== undefined) context.addIssue({ code: 'custom', path: ['value'], message: 'must be absent with near' });
      return;
    }
    if (node.operator === undefined) {
      context.addIssue({ code: 'custom', path: ['operator'], message: `is required with ${kinds[0]}` });
      return;
    }
    checkValueForOperator({ operator: node.operator, value: node.value }, context);
  });

const locationValues = z.array(z.string().min(1).max(200)).min(1).max(DEFINITION_LIMITS.maxListValues);
const LOCATION_CRITERIA = ['country', 'region', 'city', 'postalCode', 'near'] as const;

export interface TraitCondition {
  type: 'trait';
  trait: string;
  operator: ValueOperator;
  value?: Scalar | Scalar[];
}
export interface PropertyFilter {
  property: string;
  operator: ValueOperator;
  value?: Scalar | Scalar[];
}
/** A test of a dot path into the event's stored `context` (page.path, campaign.source, device.type, location.country, …). */
export interface ContextFilter {
  context: string;
  operator: ValueOperator;
  value?: Scalar | Scalar[];
}
export interface NearPoint {
  latitude: number;
  longitude: number;
  km: number;
}
/** The event's context.location is within `km` of the point (great-circle distance). */
export interface NearFilter {
  near: NearPoint;
}
export type EventFilter = PropertyFilter | ContextFilter | NearFilter;
export interface EventCondition {
  type: 'event';
  /** Required unless `messageType` is `page` or `screen` ("viewed any page"). */
  event?: string;
  messageType?: MessageType;
  where?: EventFilter[];
  window: string;
  count?: { operator: CountOperator; value: number };
  aggregate?: { function: 'sum' | 'avg' | 'min' | 'max'; property: string; operator: ComparisonOperator; value: number | [number, number] };
}
export interface RecencyCondition {
  type: 'recency';
  event?: string;
  operator: ComparisonOperator;
  days: number | [number, number];
}
export interface FrequencyCondition {
  type: 'frequency';
  event?: string;
  window: string;
  operator: CountOperator;
  value: number;
}
/**
 * The profile's last known location: its latest event (at or before now, inside `window` when
 * given) carrying a non-empty `context.location`. Every criterion given must hold.
 */
export interface LocationCondition {
  type: 'location';
  /** Any of these `location.country` values (exact: ISO 3166-1 alpha-2 from enrichment, or what the client sent). */
  country?: string[];
  region?: string[];
  city?: string[];
  /** `location.postalCode` starts with any of these prefixes. */
  postalCode?: string[];
  near?: NearPoint;
  /** Default `ever`. */
  window?: string;
}
/** The profile's stored derived value `key` (computed or SQL trait, `computed_trait_values`): computed-trait-condition.ts. */
export interface ComputedTraitCondition {
  type: 'computed_trait';
  key: string;
  operator: ValueOperator;
  value?: Scalar | Scalar[];
}
export interface SegmentCondition {
  type: 'segment';
  segment: string;
}
export interface AllCondition {
  type: 'all';
  conditions: Condition[];
}
export interface AnyCondition {
  type: 'any';
  conditions: Condition[];
}
export interface NotCondition {
  type: 'not';
  condition: Condition;
}
export type Scalar = string | number | boolean;
export type Condition =
  | AllCondition
  | AnyCondition
  | NotCondition
  | TraitCondition
  | EventCondition
  | RecencyCondition
  | FrequencyCondition
  | SegmentCondition
  | ComputedTraitCondition
  | LifecycleCondition
  | LocationCondition;
export type {
  FirstTimeCondition,
  LifecycleCondition,
  RegularlyCondition,
  SequenceCondition,
  SequenceStep,
  StoppedCondition,
} from './lifecycle/lifecycle.schema';

export const conditionSchema: z.ZodType<Condition> = z.lazy(() =>
  z.discriminatedUnion('type', [
    z.object({ type: z.literal('all'), conditions: z.array(conditionSchema).min(1) }).strict(),
    z.object({ type: z.literal('any'), conditions: z.array(conditionSchema).min(1) }).strict(),
    z.object({ type: z.literal('not'), condition: conditionSchema }).strict(),
    z
      .object({ type: z.literal('trait'), trait: valuePath, ...valueCondition })
      .strict()
      .superRefine(checkValueForOperator),
    z
      .object({
        type: z.literal('event'),
        event: name.optional(),
        messageType: z.enum(MESSAGE_TYPES).optional(),
        where: z.array(eventFilterSchema).max(50).optional(),
        window: windowSchema,
        count: countSchema.optional(),
        aggregate: z
          .object({ function: z.enum(['sum', 'avg', 'min', 'max']), property: valuePath, ...comparedNumber })
          .strict()
          .superRefine(checkBetweenTuple)
          .optional(),
      })
      .strict()
      .superRefine((node, context) => {
        if (node.count && node.aggregate)
          context.addIssue({ code: 'custom', path: ['aggregate'], message: 'use either count or aggregate, not both' });
        if (node.event === undefined && node.messageType !== 'page' && node.messageType !== 'screen')
          context.addIssue({ code: 'custom', path: ['event'], message: 'is required unless messageType is page or screen' });
      }),
    z
      .object({
        type: z.literal('recency'),
        event: name.optional(),
        operator: z.enum(COMPARISON_OPERATORS),
        days: z.union([wholeDays, z.tuple([wholeDays, wholeDays])]),
      })
      .strict()
      .superRefine((node, context) => checkBetweenTuple({ operator: node.operator, value: node.days }, context, 'days')),
    z.object({ type: z.literal('frequency'), event: name.optional(), window: windowSchema, ...countSchema.shape }).strict(),
    z.object({ type: z.literal('segment'), segment: name }).strict(),
    z
      .object({ type: z.literal('computed_trait'), key: name, ...valueCondition })
      .strict()
      .superRefine(checkValueForOperator),
    z
      .object({
        type: z.literal('location'),
        country: locationValues.optional(),
        region: locationValues.optional(),
        city: locationValues.optional(),
        postalCode: locationValues.optional(),
        near: nearSchema.optional(),
        window: windowSchema.optional(),
      })
      .strict()
      .superRefine((node, context) => {
        if (!LOCATION_CRITERIA.some((criterion) => node[criterion] !== undefined))
          context.addIssue({ code: 'custom', path: [], message: `needs at least one of ${LOCATION_CRITERIA.join(', ')}` });
      }),
    ...lifecycleConditionSchemas({ name, where: z.array(propertyFilterSchema).max(50), window: windowSchema }),
  ]),
) as z.ZodType<Condition>;

export const rulesDefinitionSchema = z
  .object({ type: z.literal('rules'), match: conditionSchema })
  .strict()
  .superRefine((definition, context) => {
    const { conditions, depth } = measure(definition.match);
    if (conditions > DEFINITION_LIMITS.maxConditions) {
      context.addIssue({
        code: 'custom',
        path: ['match'],
        message: `has ${conditions} conditions; at most ${DEFINITION_LIMITS.maxConditions} are allowed`,
      });
    }
    if (depth > DEFINITION_LIMITS.maxDepth) {
      context.addIssue({
        code: 'custom',
        path: ['match'],
        message: `is nested ${depth} levels deep; at most ${DEFINITION_LIMITS.maxDepth} are allowed`,
      });
    }
  });

export type RulesDefinition = z.infer<typeof rulesDefinitionSchema>;
/** Every kind of segment definition: rules, RFM value tiers, an intent × value cell, a cluster, a propensity tier, a lifetime-value tier, a static list. */
export type SegmentDefinition =
  RulesDefinition | RfmDefinition | IntentValueDefinition | ClusterDefinition | PropensityDefinition | ClvDefinition | ListDefinition;

/** The schema of each definition type; an unknown `type` is reported against the rules schema, as before. */
const DEFINITION_SCHEMAS: Record<SegmentDefinition['type'], z.ZodType<SegmentDefinition>> = {
  rules: rulesDefinitionSchema,
  rfm: rfmDefinitionSchema,
  intent_value: intentValueDefinitionSchema,
  cluster: clusterDefinitionSchema,
  propensity: propensityDefinitionSchema,
  clv: clvDefinitionSchema,
  list: listDefinitionSchema,
};

export interface DefinitionIssue {
  /** Dot path inside the definition, e.g. `match.conditions.1.window` (empty for the root). */
  path: string;
  message: string;
}

export class SegmentDefinitionException extends Error {
  constructor(readonly issues: DefinitionIssue[]) {
    super(`invalid segment definition: ${issues.map((issue) => `${issue.path || '(root)'} ${issue.message}`).join('; ')}`);
    this.name = 'SegmentDefinitionException';
  }
}

/** Validates raw JSON into a definition, or throws with the path of every bad node. */
export function parseSegmentDefinition(raw: unknown): SegmentDefinition {
  // First, and without recursion: the size check and the schema below both recurse.
  const tooDeep = jsonNestingProblem(raw);
  if (tooDeep) throw new SegmentDefinitionException([tooDeep]);
  const tooBig = sizeProblem(raw);
  if (tooBig) throw new SegmentDefinitionException([{ path: '', message: tooBig }]);
  const type = raw !== null && typeof raw === 'object' ? (raw as { type?: unknown }).type : undefined;
  const schema =
    typeof type === 'string' && Object.hasOwn(DEFINITION_SCHEMAS, type)
      ? DEFINITION_SCHEMAS[type as SegmentDefinition['type']]
      : rulesDefinitionSchema;
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  throw new SegmentDefinitionException(result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })));
}

/** Refuses an oversized document before the recursive schema walks it. */
const MAX_DEFINITION_BYTES = 64 * 1024;
function sizeProblem(raw: unknown): string | undefined {
  const bytes = Buffer.byteLength(JSON.stringify(raw) ?? '', 'utf8');
  return bytes > MAX_DEFINITION_BYTES ? `is ${bytes} bytes; at most ${MAX_DEFINITION_BYTES} are allowed` : undefined;
}

function measure(node: Condition, depth = 1): { conditions: number; depth: number } {
  const children = node.type === 'all' || node.type === 'any' ? node.conditions : node.type === 'not' ? [node.condition] : [];
  return children.reduce(
    (total, child) => {
      const inner = measure(child, depth + 1);
      return { conditions: total.conditions + inner.conditions, depth: Math.max(total.depth, inner.depth) };
    },
    { conditions: 1, depth },
  );
}

/** Each operator takes one shape of value; say which when it does not. */
function checkValueForOperator(node: { operator: ValueOperator; value?: unknown }, context: z.RefinementCtx): void {
  const problem = valueProblem(node.operator, node.value);
  if (problem) context.addIssue({ code: 'custom', path: ['value'], message: problem });
}

function valueProblem(operator: ValueOperator, value: unknown): string | undefined {
  switch (operator) {
    case 'exists':
    case 'not_exists':
      return value === undefined ? undefined : `must be absent for operator ${operator}`;
    case 'equals':
    case 'not_equals':
      return isScalar(value) ? undefined : `must be a string, number or boolean for operator ${operator}`;
    case 'in':
    case 'not_in':
      return Array.isArray(value) && value.length > 0 ? undefined : `must be a non-empty array for operator ${operator}`;
    case 'contains':
    case 'starts_with':
      return typeof value === 'string' && value.length > 0 ? undefined : `must be a non-empty string for operator ${operator}`;
    case 'between':
      return Array.isArray(value) && value.length === 2 && sameOrderableKind(value[0], value[1])
        ? undefined
        : 'must be [low, high], two numbers or two ISO dates, for operator between';
    default:
      return orderableKind(value) ? undefined : `must be a number or an ISO 8601 date for operator ${operator}`;
  }
}

function isScalar(value: unknown): boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

function orderableKind(value: unknown): 'number' | 'date' | undefined {
  if (typeof value === 'number') return 'number';
  if (typeof value === 'string' && parseIsoTimestamp(value) !== undefined) return 'date';
  return undefined;
}

function sameOrderableKind(low: unknown, high: unknown): boolean {
  const kind = orderableKind(low);
  return kind !== undefined && kind === orderableKind(high);
}

function checkBetweenTuple(node: { operator: ComparisonOperator; value: unknown }, context: z.RefinementCtx, field = 'value'): void {
  const isPair = Array.isArray(node.value);
  if (node.operator === 'between' && !isPair)
    context.addIssue({ code: 'custom', path: [field], message: 'must be [low, high] for operator between' });
  if (node.operator !== 'between' && isPair)
    context.addIssue({ code: 'custom', path: [field], message: `must be a single number for operator ${node.operator}` });
}
