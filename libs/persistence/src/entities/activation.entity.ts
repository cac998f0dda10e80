import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { DestinationEntity } from './destination.entity';
import { PriorityListEntity } from './priority-list.entity';
import { SegmentEntity } from './segment.entity';

export type ActivationMode = 'mirror' | 'add_only' | 'send';

/** Links a segment to a destination, with its own control group (holdout share and salt). */
@Entity({ name: 'activations' })
@Index('idx_activations_segment', ['segmentId'])
@Index('idx_activations_destination', ['destinationId'])
export class ActivationEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'text' })
  name: string;

  @Column({ name: 'segment_id', type: 'uuid' })
  segmentId: string;

  @ManyToOne(() => SegmentEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'segment_id', foreignKeyConstraintName: 'fk_activations_segment' })
  segment?: SegmentEntity;

  @Column({ name: 'destination_id', type: 'uuid' })
  destinationId: string;

  @ManyToOne(() => DestinationEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'destination_id', foreignKeyConstraintName: 'fk_activations_destination' })
  destination?: DestinationEntity;

  @Column({ type: 'text' })
  mode: ActivationMode;

  /** Share of the segment held back as the control group, in [0, 1). */
  @Column({ name: 'holdout_share', type: 'double precision', default: 0.1 })
  holdoutShare: number;

  /** Salt of the holdout hash; fixed at creation so arms are sticky. */
  @Column({ name: 'holdout_salt', type: 'text' })
  holdoutSalt: string;

  /** Version of the holdout hash the salt is used with (libs/experimentation `HOLDOUT_HASH_VERSION`), written with the salt. */
  @Column({ name: 'holdout_hash_version', type: 'smallint', default: 1 })
  holdoutHashVersion: number;

  /**
   * A priority list whose entry (this activation's segment) the activation targets (issue #23): it
   * then delivers only to the profiles of its segment in no higher entry of the list.
   */
  @Column({ name: 'priority_list_id', type: 'uuid', nullable: true })
  priorityListId: string | null;

  @ManyToOne(() => PriorityListEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'priority_list_id', foreignKeyConstraintName: 'fk_activations_priority_list' })
  priorityList?: PriorityListEntity;

  /** A cron expression, `after_refresh`, or `manual`. */
  @Column({ type: 'text', default: 'after_refresh' })
  schedule: string;

  /** Message template for send mode. */
  @Column({ type: 'jsonb', nullable: true })
  message: Record<string, unknown> | null;

  @Column({ type: 'text', default: 'active' })
  status: string;

  /** The vendor-side audience `ensureAudience` returned (list connectors), created once. */
  @Column({ name: 'external_audience_id', type: 'text', nullable: true })
  externalAudienceId: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
