/** Each destination has a queue of its own, so a slow or failing vendor only ever delays itself. */
export const syncQueueName = (destinationId: string): string => `sync-${destinationId}`;

export interface SyncJob {
  runId: string;
}

/**
 * Job options of a sync: pg-boss re-delivers a job whose worker died once it expires, and the run
 * resumes from its last acknowledged batch; a destination busy in another worker is retried too.
 * Expiry must outlast the longest run (a 1M list at a vendor's 10 req/s of 1,000 is ~2 minutes).
 */
export const SYNC_JOB_OPTIONS = { retryLimit: 10, retryDelay: 2, retryBackoff: true, expireInMinutes: 60 } as const;

/**
 * An on-change run is small (at most `onChangeMaxRunChanges` changes), and while it is open its
 * activation's later changes wait: a run whose worker died is handed out again after 5 minutes, not
 * an hour. A run that really takes longer is not executed twice: the destination's lock turns the
 * second attempt into a retry.
 */
export const ON_CHANGE_JOB_OPTIONS = { ...SYNC_JOB_OPTIONS, expireInMinutes: 5 } as const;
