import { Column, CreateDateColumn, Entity, JoinColumn, ManyToOne, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { SyncRunEntity } from './sync-run.entity';

export type SyncBatchAction = 'add' | 'remove' | 'send' | 'replace';
export type SyncBatchStatus = 'in_flight' | 'acked' | 'failed';

/**
 * One call (or retried call) of a plugin within a sync run, written BEFORE the call. A run resumed
 * after a crash replays its `in_flight` batches with the same members and idempotency key, so the
 * vendor can drop the duplicate.
 */
@Entity({ name: 'sync_batches' })
export class SyncBatchEntity {
  @PrimaryColumn({ name: 'sync_run_id', type: 'uuid' })
  syncRunId: string;

  @ManyToOne(() => SyncRunEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'sync_run_id', foreignKeyConstraintName: 'fk_sync_batches_sync_run' })
  syncRun?: SyncRunEntity;

  @PrimaryColumn({ type: 'integer' })
  seq: number;

  @Column({ type: 'text' })
  action: SyncBatchAction;

  @Column({ name: 'profile_ids', type: 'uuid', array: true })
  profileIds: string[];

  @Column({ name: 'idempotency_key', type: 'text' })
  idempotencyKey: string;

  @Column({ type: 'text', default: 'in_flight' })
  status: SyncBatchStatus;

  @Column({ type: 'integer', default: 0 })
  attempts: number;

  @Column({ type: 'text', nullable: true })
  error: string | null;

  /** What the vendor reported it received for this request (Meta's `num_received`), when it reports it. */
  @Column({ name: 'vendor_received', type: 'integer', nullable: true })
  vendorReceived: number | null;

  /** Entries of this request the vendor reported invalid (Meta's `num_invalid_entries`). */
  @Column({ name: 'vendor_invalid', type: 'integer', nullable: true })
  vendorInvalid: number | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
