import { CronTime } from 'cron';

export const MANUAL_CADENCE = 'manual';

/** Returns a reason when `cadence` is neither `manual` nor a cron expression the scheduler accepts. */
export function cadenceProblem(cadence: string): string | undefined {
  if (cadence === MANUAL_CADENCE) return undefined;
  try {
    new CronTime(cadence, 'UTC');
    return undefined;
  } catch (error) {
    return `is not "manual" or a valid cron expression (${error instanceof Error ? error.message : String(error)})`;
  }
}

// A worker down for a year with a per-minute cadence must not loop forever to catch up: one run
// for the latest missed fire time is what a refresh needs.
const MAX_STEPS = 10_000;

/**
 * The latest fire time of `cadence` in (after, now], or undefined when none is due.
 * A late worker therefore runs one catch-up refresh, not one per missed tick.
 */
export function latestDueFireTime(cadence: string, after: Date, now: Date): Date | undefined {
  if (cadence === MANUAL_CADENCE) return undefined;
  const cron = new CronTime(cadence, 'UTC');
  let due: Date | undefined;
  let cursor = after;
  for (let step = 0; step < MAX_STEPS; step++) {
    const next = cron.getNextDateFrom(cursor, 'UTC').toJSDate();
    if (next.getTime() > now.getTime()) return due;
    due = next;
    cursor = next;
  }
  return due;
}
