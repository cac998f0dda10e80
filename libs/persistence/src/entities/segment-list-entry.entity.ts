import { Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { SegmentEntity } from './segment.entity';

/** One identifier uploaded to a static list segment (normalised), per version: the upload is the version. */
@Entity({ name: 'segment_list_entries' })
export class SegmentListEntryEntity {
  @PrimaryColumn({ name: 'segment_id', type: 'uuid' })
  segmentId: string;

  @ManyToOne(() => SegmentEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'segment_id', foreignKeyConstraintName: 'fk_segment_list_entries_segment' })
  segment?: SegmentEntity;

  @PrimaryColumn({ type: 'integer' })
  version: number;

  @PrimaryColumn({ type: 'text' })
  value: string;
}
