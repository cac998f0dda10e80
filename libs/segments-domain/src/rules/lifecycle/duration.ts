/**
 * A length of time for lifecycle conditions (a sequence's `within`, `stopped`'s `active` and
 * `quiet`): `7d`, `7 days`, `12h`, `12 hours`, `30m`, `30 minutes`, `2w`, `2 weeks`. Whole units,
 * at least one, at most 36,500 days.
 */
const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const MAX_MS = 36_500 * 86_400_000;

export function parseDuration(text: string): { milliseconds?: number; problem?: string } {
  const match = /^(\d{1,6}) ?(m|min|minutes?|h|hours?|d|days?|w|weeks?)$/.exec(text.trim().toLowerCase());
  if (!match) return { problem: 'does not parse; use a whole number and a unit, e.g. "7d", "12h", "30 minutes", "2 weeks"' };
  const milliseconds = Number(match[1]) * UNIT_MS[match[2][0]];
  if (milliseconds === 0) return { problem: 'must be at least one unit' };
  if (milliseconds > MAX_MS) return { problem: 'must be at most 36500 days' };
  return { milliseconds };
}

/** The duration in ms; the text must already be valid (the schema checked it). */
export function durationMs(text: string): number {
  const { milliseconds, problem } = parseDuration(text);
  if (milliseconds === undefined) throw new Error(`duration "${text}" ${problem}`);
  return milliseconds;
}
