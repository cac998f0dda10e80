import { CronTime } from 'cron';

export const MANUAL_CADENCE = 'manual';

/**
 * A real-time segment moves with every change of a profile and with time itself; its scheduled
 * refresh is the reconciliation, daily at this time (UTC), comparing and correcting.
 */
export const REALTIME_CADENCE = 'realtime';
export const REALTIME_RECONCILIATION_CRON = '17 3 * * *';

/**
 * Returns a reason when `cadence` is neither `manual` nor a cron expression the scheduler accepts
 * (nor `realtime`, where `allowRealtime` says it is a segment's cadence; an activation's schedule
 * has its own words).
 */
export function cadenceProblem(cadence: string, options: { allowRealtime?: boolean } = {}): string | undefined {
  if (cadence === MANUAL_CADENCE || (options.allowRealtime && cadence === REALTIME_CADENCE)) return undefined;
  try {
    new CronTime(cadence, 'UTC');
    return undefined;
  } catch (error) {
    const words = options.allowRealtime ? '"manual", "realtime"' : '"manual"';
    return `is not ${words} or a valid cron expression (${error instanceof Error ? error.message : String(error)})`;
  }
}

// A worker down for a year with a per-minute cadence must not loop forever to catch up: one run
// for the latest missed fire time is what a refresh needs.
const MAX_STEPS = 10_000;

/**
 * The latest fire time of `cadence` (for `realtime`, of its reconciliation) in (after, now], or undefined when none is due.
 * A late worker therefore runs one catch-up refresh, not one per missed tick.
 */
export function latestDueFireTime(cadence: string, after: Date, now: Date): Date | undefined {
  if (cadence === MANUAL_CADENCE) return undefined;
  const cron = new CronTime(cadence === REALTIME_CADENCE ? REALTIME_RECONCILIATION_CRON : cadence, 'UTC');
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
