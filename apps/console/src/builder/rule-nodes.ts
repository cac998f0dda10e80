// The builder edits the API's own rules tree (libs/segments-domain's definition language) directly,
// so what is previewed and saved is exactly what the form shows. Every node the definition schema
// accepts has a form here (libs/segments-domain/src/rules/definition.schema.ts).
export type Scalar = string | number | boolean;
export interface PropertyFilter {
  property: string;
  operator: string;
  value?: Scalar | Scalar[];
}
export interface Aggregate {
  function: string;
  property: string;
  operator: string;
  value: number | [number, number];
}
export type RuleNode =
  | { type: 'all' | 'any'; conditions: RuleNode[] }
  | { type: 'not'; condition: RuleNode }
  | {
      type: 'event';
      event: string;
      where?: PropertyFilter[];
      window: string;
      count?: { operator: string; value: number };
      aggregate?: Aggregate;
    }
  | { type: 'trait'; trait: string; operator: string; value?: Scalar | Scalar[] }
  | { type: 'recency'; event?: string; operator: string; days: number | [number, number] }
  | { type: 'frequency'; event?: string; window: string; operator: string; value: number }
  | { type: 'segment'; segment: string };

export const LEAF_TYPES = ['event', 'trait', 'recency', 'frequency', 'segment'] as const;
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

export function newLeaf(type: (typeof LEAF_TYPES)[number]): RuleNode {
  switch (type) {
    case 'event':
      return { type: 'event', event: '', window: 'last 7 days' };
    case 'trait':
      return { type: 'trait', trait: '', operator: 'equals', value: '' };
    case 'recency':
      return { type: 'recency', operator: 'lte', days: 30 };
    case 'frequency':
      return { type: 'frequency', window: 'last 30 days', operator: 'at_least', value: 2 };
    case 'segment':
      return { type: 'segment', segment: '' };
  }
}

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
