import { assertNever } from '@audiencekit/util';
import { matchesValue } from '../rules/evaluate';
import { Decimal, ZERO, addDecimals, compareDecimals, readPath, toDecimal } from '../rules/values';
import { isInWindow, parseWindowCached, resolveWindow } from '../rules/window';
import { isSignalFilter, type ComputedTraitDefinition } from './computed-trait-definition.schema';

/** One event of the profile, as stored. `id` orders events of the same timestamp (events.id, a bigint). */
export interface TraitEvent {
  id: string | number | bigint;
  name: string | null;
  timestamp: Date | number;
  properties?: Record<string, unknown> | null;
  /** The text signals the worker stored (`events.signals`); null or absent when not scored. */
  signals?: Record<string, unknown> | null;
}

/** Decimal places of `avg` (rounded half away from zero). */
export const AVG_DECIMALS = 10;

/**
 * The value of a computed trait for ONE profile from its events at `now` (the in-memory twin of
 * `compileComputedTraitSelect`; semantics in computed-trait-definition.schema.ts). `undefined`
 * means "no value" (no row is stored).
 * @example computeTraitValue({ function: 'sum', event: 'Order Completed', property: 'revenue', window: 'ever' },
 *   [{ id: 1, name: 'Order Completed', timestamp: 0, properties: { revenue: 0.1 } },
 *    { id: 2, name: 'Order Completed', timestamp: 1, properties: { revenue: 0.2 } }], new Date(2)) // 0.3
 */
export function computeTraitValue(definition: ComputedTraitDefinition, events: readonly TraitEvent[], now: Date): unknown {
  const window = resolveWindow(definition.window, now);
  const where = definition.where ?? [];
  const matching = events.filter(
    (event) =>
      event.name === definition.event &&
      isInWindow(timeOf(event), window) &&
      where.every((filter) =>
        isSignalFilter(filter)
          ? matchesValue(readPath(event.signals ?? {}, filter.signal), {
              property: filter.signal,
              operator: filter.operator,
              value: filter.value,
            })
          : matchesValue(readPath(event.properties ?? {}, filter.property), filter),
      ),
  );
  const reads = valueReader(definition);
  const valued = reads === undefined ? [] : withValues(matching, reads);
  switch (definition.function) {
    case 'count':
      return reads === undefined ? matching.length : valued.length;
    case 'distinct_count':
      return new Set(valued.filter(({ value }) => isScalar(value)).map(({ value }) => scalarKey(value as string | number | boolean))).size;
    case 'sum':
    case 'avg':
    case 'min':
    case 'max':
      return numericStatistic(
        definition.function,
        valued.filter(({ value }) => typeof value === 'number').map(({ value }) => toDecimal(value as number)),
      );
    case 'first':
    case 'last': {
      if (valued.length === 0) return undefined;
      const sorted = [...valued].sort((a, b) => compareEvents(a.event, b.event));
      return (definition.function === 'first' ? sorted[0] : sorted[sorted.length - 1]).value;
    }
    case 'most_frequent':
      return mostFrequent(valued.filter(({ value }) => isScalar(value)));
    default:
      return assertNever(definition.function, 'function');
  }
}

/**
 * The next instant after `now` at which the value can change with no new event (a `last N`
 * window sliding past an event, or a future-dated event entering), or null. Extra instants are
 * harmless (the value is recomputed and found unchanged).
 */
export function nextTraitChange(definition: ComputedTraitDefinition, events: readonly TraitEvent[], now: Date): number | null {
  const { window } = parseWindowCached(definition.window);
  if (!window || window.kind === 'between') return null;
  const nowMs = now.getTime();
  let next = Infinity;
  for (const event of events) {
    if (event.name !== definition.event) continue;
    const ts = timeOf(event);
    if (Number.isNaN(ts)) continue;
    const candidates = window.kind === 'last' ? [ts, ts + window.milliseconds] : [ts];
    for (const candidate of candidates) {
      const instant = Math.ceil(candidate);
      if (instant > nowMs && instant < next) next = instant;
    }
  }
  return Number.isFinite(next) ? next : null;
}

function timeOf(event: TraitEvent): number {
  return typeof event.timestamp === 'number' ? event.timestamp : event.timestamp.getTime();
}

interface Valued {
  event: TraitEvent;
  value: unknown;
}

/** Reads the definition's value of one event (its `property` or its `signal`); undefined when it reads neither. */
function valueReader(definition: ComputedTraitDefinition): ((event: TraitEvent) => unknown) | undefined {
  const { property, signal } = definition;
  if (property !== undefined) return (event) => readPath(event.properties ?? {}, property);
  if (signal !== undefined) return (event) => readPath(event.signals ?? {}, signal);
  return undefined;
}

function withValues(events: TraitEvent[], read: (event: TraitEvent) => unknown): Valued[] {
  const found: Valued[] = [];
  for (const event of events) {
    const value = read(event);
    if (value !== undefined && value !== null) found.push({ event, value });
  }
  return found;
}

/** By timestamp, then event id (numerically: ids are bigints). */
export function compareEvents(a: TraitEvent, b: TraitEvent): number {
  const byTime = timeOf(a) - timeOf(b);
  if (byTime !== 0) return Math.sign(byTime);
  const [x, y] = [BigInt(a.id), BigInt(b.id)];
  return x < y ? -1 : x > y ? 1 : 0;
}

function isScalar(value: unknown): value is string | number | boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

/** Equal under jsonb equality: 1 and 1.0 are one number (JSON.parse already made them one), "1" is a string. */
function scalarKey(value: string | number | boolean): string {
  return `${typeof value}:${String(value)}`;
}

function mostFrequent(valued: Valued[]): unknown {
  const groups = new Map<string, { value: unknown; count: number; latest: TraitEvent }>();
  for (const entry of valued) {
    const key = scalarKey(entry.value as string | number | boolean);
    const group = groups.get(key);
    if (!group) groups.set(key, { value: entry.value, count: 1, latest: entry.event });
    else {
      group.count += 1;
      if (compareEvents(entry.event, group.latest) > 0) group.latest = entry.event;
    }
  }
  let best: { value: unknown; count: number; latest: TraitEvent } | undefined;
  for (const group of groups.values()) {
    if (!best || group.count > best.count || (group.count === best.count && compareEvents(group.latest, best.latest) > 0)) best = group;
  }
  return best?.value;
}

function numericStatistic(fn: 'sum' | 'avg' | 'min' | 'max', values: Decimal[]): number | undefined {
  if (values.length === 0) return undefined;
  switch (fn) {
    case 'sum':
      return decimalToNumber(values.reduce(addDecimals, ZERO));
    case 'avg':
      return decimalToNumber(averageOf(values.reduce(addDecimals, ZERO), values.length));
    case 'min':
      return decimalToNumber(values.reduce((best, value) => (compareDecimals(value, best) < 0 ? value : best)));
    case 'max':
      return decimalToNumber(values.reduce((best, value) => (compareDecimals(value, best) > 0 ? value : best)));
  }
}

/**
 * sum / count rounded half away from zero to AVG_DECIMALS places, exactly: q = trunc(sum × 10^(d+1) / count)
 * (BigInt division truncates toward zero, as Postgres' `div`), then the last digit rounds.
 */
export function averageOf(sum: Decimal, count: number): Decimal {
  const numerator = sum.units * 10n ** BigInt(AVG_DECIMALS + 1);
  const denominator = 10n ** BigInt(sum.scale) * BigInt(count);
  const q = numerator / denominator;
  const digit = q % 10n;
  const rounded = q / 10n + (digit >= 5n ? 1n : digit <= -5n ? -1n : 0n);
  return { units: rounded, scale: AVG_DECIMALS };
}

/** The number a decimal prints as: what jsonb holding that numeric parses to. */
export function decimalToNumber(value: Decimal): number {
  const negative = value.units < 0n;
  const digits = (negative ? -value.units : value.units).toString().padStart(value.scale + 1, '0');
  const text = value.scale === 0 ? digits : `${digits.slice(0, digits.length - value.scale)}.${digits.slice(digits.length - value.scale)}`;
  const result = Number(`${negative ? '-' : ''}${text}`);
  return Object.is(result, -0) ? 0 : result;
}
