import { ParsedWindow, parseWindowCached } from '../window';
import { durationMs } from './duration';
import { LifecycleCondition, RegularlyCondition, SequenceCondition, StoppedCondition } from './lifecycle.schema';

/**
 * The in-memory semantics of the lifecycle conditions (see lifecycle.schema.ts), over the sorted
 * timestamps (epoch ms, ascending, no NaN) of the events each step (or the condition) matches by
 * name and `where`. Used by both `ProfileEvaluator` and the prepared real-time evaluator, and by
 * `explainSegment` for its deciding values; the SQL twin is compile-lifecycle-sql.ts.
 */
export type StepTimes = readonly (readonly number[])[];

const DAY_MS = 86_400_000;

/** Does the condition hold at `now`, given the sorted timestamps of each step (one list for the non-sequence conditions)? */
export function lifecycleMatches(node: LifecycleCondition, times: StepTimes, now: number): boolean {
  switch (node.type) {
    case 'sequence':
      return sequenceMatch(node, times, now) !== null;
    case 'first_time':
      return firstTimeMatches(node.window, times[0], now);
    case 'stopped':
      return stoppedFacts(node, times[0], now).matches;
    case 'regularly':
      return distinctPeriods(node, times[0], now).length >= node.atLeast;
  }
}

/** Window bounds at `now` as [start, end] with inclusiveness, from the parsed window. */
export interface Bounds {
  start: number | null;
  startInclusive: boolean;
  end: number;
  endInclusive: boolean;
}

export function boundsAt(window: ParsedWindow, now: number): Bounds {
  switch (window.kind) {
    case 'ever':
      return { start: null, startInclusive: false, end: now, endInclusive: true };
    case 'last':
      return { start: now - window.milliseconds, startInclusive: false, end: now, endInclusive: true };
    case 'between':
      return { start: window.from, startInclusive: true, end: window.to, endInclusive: false };
  }
}

export function parsedWindow(text: string): ParsedWindow {
  const { window, problem } = parseWindowCached(text);
  if (!window) throw new Error(`window "${text}" ${problem}`);
  return window;
}

const afterStart = (t: number, b: Bounds) => b.start === null || (b.startInclusive ? t >= b.start : t > b.start);
const beforeEnd = (t: number, b: Bounds) => (b.endInclusive ? t <= b.end : t < b.end);

/**
 * The earliest matching chain (by its first step; each later step the earliest event strictly
 * after the previous one), or null. Greedy is exact: for a fixed first event, taking each next step
 * as early as possible leaves the most room for the rest and the smallest tk − t1.
 */
export function sequenceMatch(node: SequenceCondition, times: StepTimes, now: number): number[] | null {
  const bounds = boundsAt(parsedWindow(node.window), now);
  const within = durationMs(node.within);
  const first = times[0];
  for (let index = firstIndex(first, (t) => afterStart(t, bounds)); index < first.length; index++) {
    const t1 = first[index];
    if (!beforeEnd(t1, bounds)) return null;
    const chain = [t1];
    let previous = t1;
    for (let step = 1; step < times.length; step++) {
      const list = times[step];
      const at = firstIndex(list, (t) => t > previous);
      const t = list[at];
      if (at >= list.length || t - t1 > within || !beforeEnd(t, bounds)) break;
      chain.push(t);
      previous = t;
    }
    if (chain.length === times.length) return chain;
  }
  return null;
}

/** first_time: the earliest matching event ever is inside the window. */
export function firstTimeMatches(windowText: string, times: readonly number[], now: number): boolean {
  if (times.length === 0) return false;
  const bounds = boundsAt(parsedWindow(windowText), now);
  return afterStart(times[0], bounds) && beforeEnd(times[0], bounds);
}

export interface StoppedFacts {
  matches: boolean;
  /** now − quiet: the end of the active period and the start (exclusive) of the quiet one. */
  quietSince: number;
  activeSince: number;
  /** The last matching event in the active period, and in the quiet period (null: none). */
  lastActiveAt: number | null;
  lastQuietAt: number | null;
}

export function stoppedFacts(node: StoppedCondition, times: readonly number[], now: number): StoppedFacts {
  const quietSince = now - durationMs(node.quiet);
  const activeSince = quietSince - durationMs(node.active);
  const lastIn = (from: number, to: number) => {
    const at = firstIndex(times, (t) => t > to) - 1;
    return at >= 0 && times[at] > from ? times[at] : null;
  };
  const lastActiveAt = lastIn(activeSince, quietSince);
  const lastQuietAt = lastIn(quietSince, now);
  return { matches: lastActiveAt !== null && lastQuietAt === null, quietSince, activeSince, lastActiveAt, lastQuietAt };
}

/** The distinct UTC days (or ISO weeks, by their Monday) with a matching event inside the window, ascending, as epoch ms. */
export function distinctPeriods(node: RegularlyCondition, times: readonly number[], now: number): number[] {
  const bounds = boundsAt(parsedWindow(node.window), now);
  const periods: number[] = [];
  for (let index = firstIndex(times, (t) => afterStart(t, bounds)); index < times.length && beforeEnd(times[index], bounds); index++) {
    const period = periodStart(times[index], node.per);
    if (periods.at(-1) !== period) periods.push(period);
  }
  return periods;
}

/** The UTC day, or the ISO week (Monday 00:00 UTC; 1970-01-01 was a Thursday), holding `t`. */
export function periodStart(t: number, per: 'day' | 'week'): number {
  const day = Math.floor(t / DAY_MS);
  return per === 'day' ? day * DAY_MS : (Math.floor((day + 3) / 7) * 7 - 3) * DAY_MS;
}

/** The first index whose timestamp satisfies a monotone predicate (false … false true … true). */
function firstIndex(times: readonly number[], predicate: (t: number) => boolean): number {
  let low = 0;
  let high = times.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (predicate(times[middle])) high = middle;
    else low = middle + 1;
  }
  return low;
}

/**
 * The instants after `now` at which the condition may flip with no new data (see `changeInstants`):
 * a timestamp ts enters a `last N` window at ts and leaves it at ts + N; `ever` only at ts;
 * `between` never; `stopped` at ts (quiet period starts), ts + quiet (the event moves to the active
 * period) and ts + quiet + active (it leaves it).
 */
export function lifecycleInstants(node: LifecycleCondition, times: StepTimes, now: number, add: (instant: number) => void): void {
  if (node.type === 'stopped') {
    const quiet = durationMs(node.quiet);
    const active = durationMs(node.active);
    for (let index = times[0].length - 1; index >= 0; index--) {
      const t = times[0][index];
      if (!(Math.ceil(t + quiet + active) > now)) break;
      add(Math.ceil(t));
      add(Math.ceil(t + quiet));
      add(Math.ceil(t + quiet + active));
    }
    return;
  }
  const window = parsedWindow(node.window);
  if (window.kind === 'between') return;
  const span = window.kind === 'last' ? window.milliseconds : 0;
  // first_time depends only on the earliest event; the others on every event of every step.
  const lists = node.type === 'first_time' ? [times[0].slice(0, 1)] : times;
  for (const list of lists) {
    for (let index = list.length - 1; index >= 0; index--) {
      const t = list[index];
      if (!(Math.ceil(t + span) > now)) break;
      add(Math.ceil(t));
      if (window.kind === 'last') add(Math.ceil(t + span));
    }
  }
}
