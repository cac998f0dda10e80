import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { ActivationEntity } from './activation.entity';

/** One sync of an activation: the segment version and run it used, counts per stage, outcome. */
@Entity({ name: 'sync_runs' })
@Index('idx_sync_runs_activation_started', ['activationId', 'startedAt'])
// A scheduled sync (after a refresh, or a cron fire time) is requested once however many workers tick.
@Index('uq_sync_runs_activation_trigger_key', ['activationId', 'triggerKey'], { unique: true })
export class SyncRunEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'activation_id', type: 'uuid' })
  activationId: string;

  @ManyToOne(() => ActivationEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'activation_id', foreignKeyConstraintName: 'fk_sync_runs_activation' })
  activation?: ActivationEntity;

  @Column({ name: 'segment_run_id', type: 'uuid', nullable: true })
  segmentRunId: string | null;

  @Column({ name: 'segment_version', type: 'integer' })
  segmentVersion: number;

  @Column({ type: 'text', default: 'queued' })
  status: string;

  @Column({ name: 'dry_run', type: 'boolean', default: false })
  dryRun: boolean;

  /** considered, heldOutGlobal, heldOutActivation, suppressed, invalid, sent, rejected, retried. */
  @Column({ type: 'jsonb', default: () => "'{}'" })
  counts: Record<string, number>;

  @Column({ name: 'started_at', type: 'timestamptz', default: () => 'now()' })
  startedAt: Date;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt: Date | null;

  @Column({ type: 'jsonb', nullable: true })
  errors: Record<string, unknown>[] | null;

  /** `manual`, `api`, `after_refresh` or `schedule`. */
  @Column({ type: 'text', default: 'manual' })
  trigger: string;

  /** Dedupe key of scheduled requests: `refresh:<segment run id>` or `cron:<fire time>`. */
  @Column({ name: 'trigger_key', type: 'text', nullable: true })
  triggerKey: string | null;

  @Column({ name: 'requested_by', type: 'text', nullable: true })
  requestedBy: string | null;

  @Column({ name: 'queued_at', type: 'timestamptz', default: () => 'now()' })
  queuedAt: Date;

  @Column({ name: 'duration_ms', type: 'integer', nullable: true })
  durationMs: number | null;

  /** Where a resumed run continues: phase, keyset cursor, the page in progress, next batch number. */
  @Column({ type: 'jsonb', nullable: true })
  progress: Record<string, unknown> | null;

  /** A dry run's itemised plan: samples of adds, removes, held out, suppressed, invalid. */
  @Column({ type: 'jsonb', nullable: true })
  plan: Record<string, unknown> | null;

  /** The vendor's audience size after the run over the members the destination holds (issue #22); null when unknown. */
  @Column({ name: 'match_rate', type: 'double precision', nullable: true })
  matchRate: number | null;

  /** When a cancel was requested: a queued run is cancelled at once, a running one stops before its next batch. */
  @Column({ name: 'cancel_requested_at', type: 'timestamptz', nullable: true })
  cancelRequestedAt: Date | null;
}
