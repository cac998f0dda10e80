import { parseIsoTimestamp } from './values';

/**
 * Time windows are written the way marketers say them: `last 30 days`, `last 12 hours`,
 * `last 2 weeks`, `ever`, or `between 2026-01-01 and 2026-02-01` (ISO 8601 dates or date-times).
 * `last N <unit>` covers (now − N units, now]; `between A and B` covers [A, B); `ever` is (−∞, now].
 */
export interface ResolvedWindow {
  /** Epoch ms; null for no lower bound. */
  start: number | null;
  startInclusive: boolean;
  end: number;
  endInclusive: boolean;
}

export type ParsedWindow = { kind: 'last'; milliseconds: number } | { kind: 'between'; from: number; to: number } | { kind: 'ever' };

const UNIT_MS: Record<string, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000, week: 604_800_000 };
const MAX_WINDOW_DAYS = 36_500;

export function parseWindow(text: string): { window?: ParsedWindow; problem?: string } {
  const trimmed = text.trim().toLowerCase();
  if (trimmed === 'ever') return { window: { kind: 'ever' } };
  const last = /^last (\d{1,6}) (minute|hour|day|week)s?$/.exec(trimmed);
  if (last) {
    const milliseconds = Number(last[1]) * UNIT_MS[last[2]];
    if (milliseconds === 0) return { problem: 'must be a window of at least one unit' };
    if (milliseconds > MAX_WINDOW_DAYS * UNIT_MS.day) return { problem: `must be at most ${MAX_WINDOW_DAYS} days` };
    return { window: { kind: 'last', milliseconds } };
  }
  const between = /^between (\S+) and (\S+)$/.exec(text.trim());
  if (between) {
    const [from, to] = [parseIsoTimestamp(between[1]), parseIsoTimestamp(between[2])];
    if (from === undefined || to === undefined) return { problem: 'must have ISO 8601 dates, e.g. "between 2026-01-01 and 2026-02-01"' };
    if (from >= to) return { problem: 'must start before it ends' };
    return { window: { kind: 'between', from, to } };
  }
  return { problem: 'does not parse; use "last N days" (or minutes, hours, weeks), "ever", or "between <ISO date> and <ISO date>"' };
}

const parsedWindows = new Map<string, ReturnType<typeof parseWindow>>();
/** Bounds the cache: window texts come from stored definitions, a handful per deployment. */
const MAX_CACHED_WINDOWS = 1_000;

/**
 * `parseWindow`, memoised per text: evaluators resolve the same few windows at every instant
 * of every profile. The result is shared: never mutate it.
 */
export function parseWindowCached(text: string): ReturnType<typeof parseWindow> {
  let parsed = parsedWindows.get(text);
  if (!parsed) {
    if (parsedWindows.size >= MAX_CACHED_WINDOWS) parsedWindows.clear();
    parsed = parseWindow(text);
    parsedWindows.set(text, parsed);
  }
  return parsed;
}

/** The window's bounds at time `now`. The text must already be valid (the schema checked it). */
export function resolveWindow(text: string, now: Date): ResolvedWindow {
  const { window, problem } = parseWindowCached(text);
  if (!window) throw new Error(`window "${text}" ${problem}`);
  const nowMs = now.getTime();
  switch (window.kind) {
    case 'ever':
      return { start: null, startInclusive: false, end: nowMs, endInclusive: true };
    case 'last':
      return { start: nowMs - window.milliseconds, startInclusive: false, end: nowMs, endInclusive: true };
    case 'between':
      return { start: window.from, startInclusive: true, end: window.to, endInclusive: false };
  }
}

export function isInWindow(timestamp: number, window: ResolvedWindow): boolean {
  const afterStart = window.start === null || (window.startInclusive ? timestamp >= window.start : timestamp > window.start);
  const beforeEnd = window.endInclusive ? timestamp <= window.end : timestamp < window.end;
  return afterStart && beforeEnd;
}
