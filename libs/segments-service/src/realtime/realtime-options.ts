export const REALTIME_OPTIONS = Symbol('REALTIME_OPTIONS');

/** Settings of real-time evaluation (apps map them from the environment). */
export interface RealtimeOptions {
  /** Profiles per evaluation transaction (`AK_REALTIME_BATCH_SIZE`). */
  batchSize?: number;
  /** Days of history evaluation reads (`AK_REALTIME_HISTORY_DAYS`); unset: all. */
  historyDays?: number;
  /** The clock (tests drive it). */
  clock?: () => Date;
}
