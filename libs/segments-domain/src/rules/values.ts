/**
 * Value semantics shared by the SQL compiler and the in-memory evaluator. Both must agree on every
 * input (a differential test checks it), so the rules are kept narrow and exact:
 * - dates are ISO 8601 only (`YYYY-MM-DD`, or date-time with seconds optional, at most milliseconds,
 *   and a `Z` or `±HH:MM` zone); impossible days (Feb 30) are not dates;
 * - numbers compare as exact decimals (Postgres `numeric`), so sums never suffer binary rounding.
 */

/** Same pattern as the SQL function `ak_try_timestamptz` (migration SegmentationFunctions). */
export const ISO_TIMESTAMP_PATTERN =
  '^([1-9][0-9]{3})-([0-9]{2})-([0-9]{2})(T([01][0-9]|2[0-3]):([0-5][0-9])(:([0-5][0-9])(\\.[0-9]{1,3})?)?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9]))?$';
const isoTimestamp = new RegExp(ISO_TIMESTAMP_PATTERN);

/** Epoch milliseconds of a strict ISO 8601 timestamp, or undefined when it is not one. */
export function parseIsoTimestamp(value: string): number | undefined {
  const match = isoTimestamp.exec(value);
  if (!match) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  const normalised = match[4] === undefined ? `${value}T00:00:00Z` : value;
  const epoch = Date.parse(normalised);
  return Number.isNaN(epoch) ? undefined : epoch;
}

/** Day 0 of the next month is the last day of this one (years are 1000–9999 here, so no 19xx mapping). */
function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * Reads a dot path (`address.city`) through nested objects. Arrays are never indexed, because a
 * numeric path segment would mean different things in JavaScript and in Postgres' `#>`.
 */
export function readPath(source: unknown, path: string): unknown {
  let current: unknown = source;
  for (const key of path.split('.')) {
    if (current === null || typeof current !== 'object' || Array.isArray(current)) return undefined;
    current = Object.prototype.hasOwnProperty.call(current, key) ? (current as Record<string, unknown>)[key] : undefined;
  }
  return current;
}

/** An exact decimal: `units × 10^-scale`. */
export interface Decimal {
  units: bigint;
  scale: number;
}

/** The exact decimal a JavaScript number prints as (and that JSON, hence jsonb, stores). */
export function toDecimal(value: number): Decimal {
  // A safe integer prints as its plain digits: the same decimal, without the string work.
  if (Number.isSafeInteger(value)) return { units: BigInt(value), scale: 0 };
  const [mantissa, exponentText] = value.toString().toLowerCase().split('e');
  const exponent = exponentText === undefined ? 0 : Number(exponentText);
  const [whole, fraction = ''] = mantissa.split('.');
  const units = BigInt(whole + fraction);
  const scale = fraction.length - exponent;
  return scale >= 0 ? { units, scale } : { units: units * 10n ** BigInt(-scale), scale: 0 };
}

export function addDecimals(a: Decimal, b: Decimal): Decimal {
  const scale = Math.max(a.scale, b.scale);
  return { units: rescale(a, scale) + rescale(b, scale), scale };
}

export function subtractDecimals(a: Decimal, b: Decimal): Decimal {
  const scale = Math.max(a.scale, b.scale);
  return { units: rescale(a, scale) - rescale(b, scale), scale };
}

export function multiplyDecimal(a: Decimal, factor: number): Decimal {
  return { units: a.units * BigInt(factor), scale: a.scale };
}

/** -1, 0 or 1 as a is less than, equal to or greater than b. */
export function compareDecimals(a: Decimal, b: Decimal): number {
  const scale = Math.max(a.scale, b.scale);
  const difference = rescale(a, scale) - rescale(b, scale);
  return difference < 0n ? -1 : difference > 0n ? 1 : 0;
}

function rescale(value: Decimal, scale: number): bigint {
  return scale === value.scale ? value.units : value.units * 10n ** BigInt(scale - value.scale);
}

export const ZERO: Decimal = { units: 0n, scale: 0 };

/** For values the schema already validated as ISO timestamps. */
export function requireIsoTimestamp(value: string): number {
  const epoch = parseIsoTimestamp(value);
  if (epoch === undefined) throw new Error(`not an ISO 8601 timestamp: ${value}`);
  return epoch;
}
