import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { SegmentEntity } from './segment.entity';

/** Quality flags of a refresh, stored with its run (segments-service writes them; the sync gates read them). */
export interface SegmentRunQuality {
  empty: boolean;
  notSubstantial: boolean;
  unstable: boolean;
  churn: number | null;
  minSize: number;
  maxChurn: number;
}

export type RunStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

/** One refresh of a segment: which version it used, its outcome, and the diff it produced. */
@Entity({ name: 'segment_runs' })
@Index('idx_segment_runs_segment_started', ['segmentId', 'startedAt'])
// One scheduled run per segment and cron fire time, however many workers tick at once.
@Index('uq_segment_runs_segment_scheduled_for', ['segmentId', 'scheduledFor'], { unique: true })
export class SegmentRunEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'segment_id', type: 'uuid' })
  segmentId: string;

  @ManyToOne(() => SegmentEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'segment_id', foreignKeyConstraintName: 'fk_segment_runs_segment' })
  segment?: SegmentEntity;

  @Column({ type: 'integer' })
  version: number;

  @Column({ type: 'text', default: 'queued' })
  status: RunStatus;

  @Column({ type: 'text', default: 'manual' })
  trigger: string;

  /** The cron fire time this run serves (scheduled runs only). */
  @Column({ name: 'scheduled_for', type: 'timestamptz', nullable: true })
  scheduledFor: Date | null;

  @Column({ name: 'queued_at', type: 'timestamptz', default: () => 'now()' })
  queuedAt: Date;

  @Column({ name: 'started_at', type: 'timestamptz', nullable: true })
  startedAt: Date | null;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt: Date | null;

  @Column({ type: 'integer', nullable: true })
  size: number | null;

  @Column({ type: 'integer', nullable: true })
  adds: number | null;

  @Column({ type: 'integer', nullable: true })
  removes: number | null;

  @Column({ name: 'duration_ms', type: 'integer', nullable: true })
  durationMs: number | null;

  /** Quality flags of the run: `{ empty, notSubstantial, unstable, churn }`. */
  @Column({ type: 'jsonb', nullable: true })
  quality: SegmentRunQuality | null;

  @Column({ type: 'text', nullable: true })
  error: string | null;

  /**
   * Real-time segments only: the memberships this refresh (the reconciliation) corrected on
   * profiles real time had settled (no evaluation pending). Expected 0; null for other segments.
   */
  @Column({ type: 'integer', nullable: true })
  corrections: number | null;

  /** When a cancel was requested: a queued run is cancelled at once, a running one before it commits. */
  @Column({ name: 'cancel_requested_at', type: 'timestamptz', nullable: true })
  cancelRequestedAt: Date | null;
}
