import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { ActivationEntity } from './activation.entity';

/** One sync of an activation: the segment version and run it used, counts per stage, outcome. */
@Entity({ name: 'sync_runs' })
@Index('idx_sync_runs_activation_started', ['activationId', 'startedAt'])
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
}
