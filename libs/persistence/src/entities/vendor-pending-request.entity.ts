import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Unique, UpdateDateColumn } from 'typeorm';
import { SyncRunEntity } from './sync-run.entity';

/** `pending`: asked again at `next_check_at`; `processed`: the vendor answered; `given_up`: out of checks (a warning on the run). */
export type VendorPendingRequestState = 'pending' | 'processed' | 'given_up';

/**
 * A request a vendor accepted during a sync run but had not processed when the call answered
 * (Google Data Manager: an ingest is processed later and may drop members for consent or format).
 * The worker's periodic pass asks the connector (`checkRequests`) when it is due and turns members
 * the vendor dropped into rejections of the run (libs/activation-engine `vendor-requests/`).
 */
@Entity({ name: 'vendor_pending_requests' })
@Unique('uq_vendor_pending_requests_request', ['destinationId', 'requestId'])
@Index('idx_vendor_pending_requests_due', ['state', 'nextCheckAt'])
@Index('idx_vendor_pending_requests_run', ['syncRunId'])
export class VendorPendingRequestEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_vendor_pending_requests' })
  id: string;

  @Column({ name: 'sync_run_id', type: 'uuid' })
  syncRunId: string;

  @ManyToOne(() => SyncRunEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'sync_run_id', foreignKeyConstraintName: 'fk_vendor_pending_requests_sync_run' })
  syncRun?: SyncRunEntity;

  @Column({ name: 'destination_id', type: 'uuid' })
  destinationId: string;

  /** The vendor's id of the request (Google's `requestId`). */
  @Column({ name: 'request_id', type: 'text' })
  requestId: string;

  /** The members the request carried. */
  @Column({ name: 'profile_ids', type: 'uuid', array: true })
  profileIds: string[];

  @Column({ type: 'text', default: 'pending' })
  state: VendorPendingRequestState;

  /** Checks made so far. */
  @Column({ type: 'integer', default: 0 })
  attempts: number;

  @Column({ name: 'next_check_at', type: 'timestamptz' })
  nextCheckAt: Date;

  /** Why the last check did not settle it (the vendor's words, redacted), if it failed. */
  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
