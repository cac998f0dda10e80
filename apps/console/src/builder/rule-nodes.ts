// The builder edits the API's own rules tree (libs/segments-domain's definition language) directly,
// so what is previewed and saved is exactly what the form shows. Every node the definition schema
// accepts has a form here (libs/segments-domain/src/rules/definition.schema.ts).
export type Scalar = string | number | boolean;
export interface PropertyFilter {
  property: string;
  operator: string;
  value?: Scalar | Scalar[];
}
/** A test of a dot path into the event's stored context (page.path, campaign.name, device.type, locale…). */
export interface ContextFilter {
  context: string;
  operator: string;
  value?: Scalar | Scalar[];
}
export interface NearPoint {
  latitude: number;
  longitude: number;
  km: number;
}
export type EventFilter = PropertyFilter | ContextFilter | { near: NearPoint };
export interface Aggregate {
  function: string;
  property: string;
  operator: string;
  value: number | [number, number];
}
export interface SequenceStep {
  event: string;
  where?: PropertyFilter[];
}
export type RuleNode =
  | { type: 'all' | 'any'; conditions: RuleNode[] }
  | { type: 'not'; condition: RuleNode }
  | {
      type: 'event';
      /** Absent only for "any page" / "any screen" (messageType page or screen). */
      event?: string;
      messageType?: string;
      where?: EventFilter[];
      window: string;
      count?: { operator: string; value: number };
      aggregate?: Aggregate;
    }
  | { type: 'trait'; trait: string; operator: string; value?: Scalar | Scalar[] }
  | { type: 'computed_trait'; key: string; operator: string; value?: Scalar | Scalar[] }
  | { type: 'recency'; event?: string; operator: string; days: number | [number, number] }
  | { type: 'frequency'; event?: string; window: string; operator: string; value: number }
  | { type: 'segment'; segment: string }
  | { type: 'sequence'; steps: SequenceStep[]; within: string; window: string }
  | { type: 'first_time'; event: string; where?: PropertyFilter[]; window: string }
  | { type: 'stopped'; event: string; where?: PropertyFilter[]; active: string; quiet: string }
  | { type: 'regularly'; event: string; where?: PropertyFilter[]; window: string; per: 'day' | 'week'; atLeast: number }
  | {
      type: 'location';
      country?: string[];
      region?: string[];
      city?: string[];
      postalCode?: string[];
      near?: NearPoint;
      window?: string;
    };

export const LEAF_TYPES = [
  'event',
  'trait',
  'computed_trait',
  'recency',
  'frequency',
  'segment',
  'sequence',
  'first_time',
  'stopped',
  'regularly',
  'location',
] as const;
export type LeafType = (typeof LEAF_TYPES)[number];
export const MESSAGE_TYPES = ['track', 'page', 'screen'] as const;
/** What a `where` filter of an event condition reads: a property, the event's context, or its distance from a point. */
export const FILTER_KINDS = ['property', 'context', 'near'] as const;
export type FilterKind = (typeof FILTER_KINDS)[number];
/** The context paths ingestion stores (libs/segments-domain README); any other dot path may be typed. */
export const CONTEXT_PATHS = [
  'page.path',
  'page.url',
  'page.referrer',
  'page.title',
  'campaign.name',
  'campaign.source',
  'campaign.medium',
  'campaign.term',
  'campaign.content',
  'device.type',
  'userAgent',
  'locale',
  'timezone',
  'location.country',
  'location.region',
  'location.city',
  'location.postalCode',
];
/** The location condition's list criteria (any of the values; postalCode: starts with any prefix). */
export const LOCATION_LISTS = ['country', 'region', 'city', 'postalCode'] as const;

export const filterKindOf = (filter: EventFilter): FilterKind => ('near' in filter ? 'near' : 'context' in filter ? 'context' : 'property');

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
];
export const COUNT_OPERATORS = ['at_least', 'at_most', 'exactly'];
export const COMPARISON_OPERATORS = ['gt', 'gte', 'lt', 'lte', 'between'];
export const AGGREGATE_FUNCTIONS = ['sum', 'avg', 'min', 'max'];
/** What an event condition measures: how many times (count) or a number property (aggregate). */
export const MEASURES = ['count', ...AGGREGATE_FUNCTIONS];

export function newLeaf(type: LeafType): RuleNode {
  switch (type) {
    case 'event':
      return { type: 'event', event: '', window: 'last 7 days' };
    case 'trait':
      return { type: 'trait', trait: '', operator: 'equals', value: '' };
    case 'computed_trait':
      return { type: 'computed_trait', key: '', operator: 'gt', value: 0 };
    case 'recency':
      return { type: 'recency', operator: 'lte', days: 30 };
    case 'frequency':
      return { type: 'frequency', window: 'last 30 days', operator: 'at_least', value: 2 };
    case 'segment':
      return { type: 'segment', segment: '' };
    case 'sequence':
      return { type: 'sequence', steps: [{ event: '' }, { event: '' }], within: '7 days', window: 'last 30 days' };
    case 'first_time':
      return { type: 'first_time', event: '', window: 'last 30 days' };
    case 'stopped':
      return { type: 'stopped', event: '', active: '30 days', quiet: '30 days' };
    case 'regularly':
      return { type: 'regularly', event: '', window: 'last 8 weeks', per: 'week', atLeast: 4 };
    case 'location':
      return { type: 'location', country: [''] };
  }
}

export const newFilter = (kind: FilterKind): EventFilter =>
  kind === 'near'
    ? { near: { latitude: 0, longitude: 0, km: 10 } }
    : kind === 'context'
      ? { context: 'page.path', operator: 'starts_with', value: '' }
      : { property: '', operator: 'equals', value: '' };

const GROUPS = ['all', 'any', 'not'];

/**
 * A stored definition's match as the builder's tree. The builder edits the definition itself, so
 * this only checks that every node is a kind it has a form for: a condition it cannot show is
 * refused by name rather than dropped on the next save.
 */
export function ruleNodeOf(condition: unknown, path = 'match'): RuleNode {
  const node = condition as { type?: unknown; conditions?: unknown[]; condition?: unknown };
  const type = String(node?.type);
  if (!GROUPS.includes(type) && !(LEAF_TYPES as readonly string[]).includes(type))
    throw new Error(`${path}: the builder has no form for a condition of type ${type}`);
  if (type === 'all' || type === 'any')
    return {
      ...(node as RuleNode),
      conditions: (node.conditions ?? []).map((child, index) => ruleNodeOf(child, `${path}.conditions.${index}`)),
    } as RuleNode;
  if (type === 'not') return { type: 'not', condition: ruleNodeOf(node.condition, `${path}.condition`) };
  return node as RuleNode;
}

/**
 * The definition the form sends: the tree as edited, with the optional parts the form leaves empty
 * removed (an empty list of filters, an empty location list, an "any page" event's empty name).
 */
export function definitionOf(node: RuleNode): RuleNode {
  switch (node.type) {
    case 'all':
    case 'any':
      return { ...node, conditions: node.conditions.map(definitionOf) };
    case 'not':
      return { type: 'not', condition: definitionOf(node.condition) };
    case 'event': {
      const { where, event, ...rest } = node;
      const anyOfType = !event && (node.messageType === 'page' || node.messageType === 'screen');
      return { ...rest, ...(anyOfType ? {} : { event: event ?? '' }), ...(where && where.length > 0 ? { where } : {}) } as RuleNode;
    }
    case 'sequence':
      return { ...node, steps: node.steps.map(({ where, ...step }) => ({ ...step, ...(where && where.length > 0 ? { where } : {}) })) };
    case 'first_time':
    case 'stopped':
    case 'regularly': {
      const { where, ...rest } = node;
      return (where && where.length > 0 ? { ...rest, where } : rest) as RuleNode;
    }
    case 'location': {
      const located: Record<string, unknown> = { type: 'location' };
      for (const field of LOCATION_LISTS) {
        const values = (node[field] ?? []).filter((value) => value !== '');
        if (values.length > 0) located[field] = values;
      }
      if (node.near) located.near = node.near;
      if (node.window) located.window = node.window;
      return located as RuleNode;
    }
    default:
      return node;
  }
}

/** A location list as typed ("DE, AT, CH"); order kept, blanks dropped on save. */
export const parseList = (text: string): string[] => text.split(',').map((part) => part.trim());

/**
 * A value as typed: lists split on commas (`in`, `not_in`, and `between` as "low, high"); none for
 * exists. Parts become numbers where the operator orders numbers, or where the catalogue saw only
 * numbers (or only booleans) for the key; otherwise they stay text (a zip code "01234" stays text).
 */
export function parseValue(operator: string, text: string, types: string[] = []): Scalar | Scalar[] | undefined {
  if (operator === 'exists' || operator === 'not_exists') return undefined;
  const ordered = ['gt', 'gte', 'lt', 'lte', 'between'].includes(operator);
  const one = (part: string): Scalar => typed(part.trim(), ordered, types);
  if (operator === 'in' || operator === 'not_in' || operator === 'between')
    return text
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean)
      .map(one);
  return one(text);
}

function typed(text: string, ordered: boolean, types: string[]): Scalar {
  const onlyNumbers = types.length > 0 && types.every((type) => type === 'number');
  const onlyBooleans = types.length > 0 && types.every((type) => type === 'boolean');
  if ((ordered || onlyNumbers) && text !== '' && !Number.isNaN(Number(text))) return Number(text);
  if (onlyBooleans && (text === 'true' || text === 'false')) return text === 'true';
  return text;
}

export const valueText = (value: unknown): string => (Array.isArray(value) ? value.join(', ') : value === undefined ? '' : String(value));

/** A number or "low, high" for between (aggregates and recency days). */
export function parseComparedNumber(operator: string, text: string): number | [number, number] {
  if (operator !== 'between') return Number(text.split(',')[0]);
  const [low = 0, high = low] = text
    .split(',')
    .filter((part) => part.trim() !== '')
    .map((part) => Number(part.trim()));
  return [low, high];
}
