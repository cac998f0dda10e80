import { ComparisonOperator } from './definition.schema';
import { parseIsoTimestamp } from './values';

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
