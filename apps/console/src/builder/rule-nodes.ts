// The builder edits the API's own rules tree (libs/segments-domain's definition language) directly,
// so what is previewed and saved is exactly what the form shows.
export type RuleNode =
  | { type: 'all' | 'any'; conditions: RuleNode[] }
  | { type: 'not'; condition: RuleNode }
  | { type: 'event'; event: string; window: string; count?: { operator: string; value: number } }
  | { type: 'trait'; trait: string; operator: string; value?: unknown }
  | { type: 'recency'; event?: string; operator: string; days: number }
  | { type: 'segment'; segment: string };

export const LEAF_TYPES = ['event', 'trait', 'recency', 'segment'] as const;
export const TRAIT_OPERATORS = [
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
  'exists',
  'not_exists',
];
export const COUNT_OPERATORS = ['at_least', 'at_most', 'exactly'];
export const COMPARISON_OPERATORS = ['gt', 'gte', 'lt', 'lte'];

export function newLeaf(type: (typeof LEAF_TYPES)[number]): RuleNode {
  switch (type) {
    case 'event':
      return { type: 'event', event: '', window: 'last 7 days' };
    case 'trait':
      return { type: 'trait', trait: '', operator: 'equals', value: '' };
    case 'recency':
      return { type: 'recency', operator: 'lte', days: 30 };
    case 'segment':
      return { type: 'segment', segment: '' };
  }
}

/** A trait value as typed: lists split on commas; numbers for numeric operators; none for exists. */
export function parseTraitValue(operator: string, text: string): unknown {
  if (operator === 'exists' || operator === 'not_exists') return undefined;
  if (operator === 'in' || operator === 'not_in')
    return text
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean);
  if (['gt', 'gte', 'lt', 'lte'].includes(operator) && text.trim() !== '' && !Number.isNaN(Number(text))) return Number(text);
  return text;
}

export const traitValueText = (value: unknown): string =>
  Array.isArray(value) ? value.join(', ') : value === undefined ? '' : String(value);
