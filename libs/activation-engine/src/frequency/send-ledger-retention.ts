import type { DataSource } from 'typeorm';
import { pruneSendLedger } from './frequency-cap.repository';

export interface SendLedgerRetentionOptions {
  /** Days of ledger kept whatever the caps (`AK_SEND_LEDGER_RETENTION_DAYS`): a cap created later sees that much history. */
  retentionDays: number;
  /** Rows deleted per statement (each its own short transaction). */
  batchSize?: number;
  /** Batches per call at most; the rest waits for the next pass. */
  maxBatches?: number;
}

/**
 * Prunes the frequency caps' send ledger (issue #23 follow-up): deletes rows past the retention
 * horizon (max of the longest cap window and `retentionDays`) in batches of `batchSize`, one
 * statement each, until a batch comes back short or `maxBatches` ran. Rows inside any cap's window
 * and reservations still replayable are never deleted (`pruneSendLedger`). The lock rows of
 * `send_ledger_profiles` are kept: one per profile (bounded by the profiles, not the sends), and
 * deleting one between a reservation's insert and its `FOR UPDATE` would let that reservation
 * count without the lock. Returns the rows deleted.
 */
export async function pruneSendLedgerOnce(dataSource: DataSource, options: SendLedgerRetentionOptions): Promise<number> {
  const batchSize = options.batchSize ?? 5_000;
  const maxBatches = options.maxBatches ?? 200;
  let deleted = 0;
  for (let batch = 0; batch < maxBatches; batch++) {
    const count = await pruneSendLedger(dataSource.manager, { retentionDays: options.retentionDays, batchSize });
    deleted += count;
    if (count < batchSize) break;
  }
  return deleted;
}
