import { Check, Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * `sync_run.failed`, `sync_run.held`, `segment_refresh.failed`, `segment_refresh.quality`, and
 * `sync_run.match_rate_dropped` (written by the sync engine's match reconciliation, not a trigger).
 */
export type NotificationKind =
  'sync_run.failed' | 'sync_run.held' | 'segment_refresh.failed' | 'segment_refresh.quality' | 'sync_run.match_rate_dropped';

/**
 * The outbox of operator notifications: written by triggers on `sync_runs` and `segment_runs` in
 * the transaction that changes a run's status (migration 1796619006548), sent by the worker to
 * AK_NOTIFY_WEBHOOK_URL with retries until delivered (`sent`) or too old (`expired`).
 */
@Entity({ name: 'notifications' })
@Index('idx_notifications_due', ['status', 'nextAttemptAt'])
@Index('idx_notifications_subject', ['subjectId'])
@Check('chk_notifications_status', `status IN ('pending', 'sent', 'expired')`)
export class NotificationEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', primaryKeyConstraintName: 'PK_notifications' })
  id: string;

  @Column({ type: 'text' })
  kind: NotificationKind;

  /** The sync run or segment run the notification is about. */
  @Column({ name: 'subject_id', type: 'uuid' })
  subjectId: string;

  /** A snapshot taken when it happened: summary, segment, activation, run, reasons (docs/operations.md). */
  @Column({ type: 'jsonb' })
  payload: Record<string, unknown>;

  @Column({ type: 'text', default: 'pending' })
  status: 'pending' | 'sent' | 'expired';

  @Column({ type: 'integer', default: 0 })
  attempts: number;

  @Column({ name: 'next_attempt_at', type: 'timestamptz', default: () => 'now()' })
  nextAttemptAt: Date;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'sent_at', type: 'timestamptz', nullable: true })
  sentAt: Date | null;
}
