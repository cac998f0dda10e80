import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import { SegmentEntity } from './segment.entity';

/**
 * A priority list (issue #23): an ordered group of segments where each profile belongs only to the
 * highest entry it qualifies for. An activation that targets an entry (`activations.priority_list_id`
 * with its segment) delivers only to that entry's exclusive members.
 */
@Entity({ name: 'priority_lists' })
@Index('uq_priority_lists_key', ['key'], { unique: true })
export class PriorityListEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'text' })
  key: string;

  @Column({ type: 'text' })
  name: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}

/** One entry of a priority list: position 1 is the highest. A segment appears at most once per list. */
@Entity({ name: 'priority_list_entries' })
@Index('uq_priority_list_entries_segment', ['listId', 'segmentId'], { unique: true })
@Index('idx_priority_list_entries_segment', ['segmentId'])
@Check('chk_priority_list_entries_position', `"position" >= 1`)
export class PriorityListEntryEntity {
  @PrimaryColumn({ name: 'list_id', type: 'uuid' })
  listId: string;

  @PrimaryColumn({ type: 'integer' })
  position: number;

  @Column({ name: 'segment_id', type: 'uuid' })
  segmentId: string;

  @ManyToOne(() => PriorityListEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'list_id', foreignKeyConstraintName: 'fk_priority_list_entries_list' })
  list?: PriorityListEntity;

  @ManyToOne(() => SegmentEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'segment_id', foreignKeyConstraintName: 'fk_priority_list_entries_segment' })
  segment?: SegmentEntity;
}
