import { CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { ActivationEntity } from './activation.entity';
import { SegmentEntity } from './segment.entity';

/**
 * A segment whose members an activation never delivers to (issue #23, exclusions): e.g. low-value
 * dormant profiles excluded from every paid-media activation. Enforced by the sync engine with the
 * other member filters. A deleted activation's rows go with it; a segment an activation excludes
 * cannot be dropped (RESTRICT; segments are soft-deleted anyway).
 */
@Entity({ name: 'activation_exclusions' })
@Index('idx_activation_exclusions_segment', ['segmentId'])
export class ActivationExclusionEntity {
  @PrimaryColumn({ name: 'activation_id', type: 'uuid' })
  activationId: string;

  @PrimaryColumn({ name: 'segment_id', type: 'uuid' })
  segmentId: string;

  @ManyToOne(() => ActivationEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'activation_id', foreignKeyConstraintName: 'fk_activation_exclusions_activation' })
  activation?: ActivationEntity;

  @ManyToOne(() => SegmentEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'segment_id', foreignKeyConstraintName: 'fk_activation_exclusions_segment' })
  segment?: SegmentEntity;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
