import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { SegmentEntity } from './segment.entity';

/**
 * One immutable version of a segment's definition. A database trigger (migration
 * SegmentVersionsImmutable) refuses UPDATE on this table, so history cannot be rewritten.
 */
@Entity({ name: 'segment_versions' })
@Index('uq_segment_versions_segment_version', ['segmentId', 'version'], { unique: true })
export class SegmentVersionEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'segment_id', type: 'uuid' })
  segmentId: string;

  @ManyToOne(() => SegmentEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'segment_id', foreignKeyConstraintName: 'fk_segment_versions_segment' })
  segment?: SegmentEntity;

  @Column({ type: 'integer' })
  version: number;

  @Column({ type: 'jsonb' })
  definition: Record<string, unknown>;

  /** Stored model state for fitted definitions (cluster centroids, propensity weights). */
  @Column({ type: 'jsonb', nullable: true })
  model: Record<string, unknown> | null;

  @Column({ name: 'created_by', type: 'text', nullable: true })
  createdBy: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
