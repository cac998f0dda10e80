import { Check, Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type MembershipChangeKind = 'added' | 'removed';

/**
 * The adds and removes of each run: the history from which "who was a member on date X" is
 * rebuilt, and the feed of Segment Entered / Segment Exited.
 */
@Entity({ name: 'segment_membership_changes' })
@Index('idx_membership_changes_segment_profile_at', ['segmentId', 'profileId', 'changedAt'])
@Index('idx_membership_changes_run', ['runId'])
// The live feed and on-change activations read a segment's latest changes in id order.
@Index('idx_membership_changes_segment_id', ['segmentId', 'id'])
// A refresh's change names its run; a real-time change has none.
@Check('chk_membership_changes_cause', `(cause = 'refresh' AND run_id IS NOT NULL) OR (cause = 'realtime' AND run_id IS NULL)`)
export class MembershipChangeEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint' })
  id: string;

  /** The refresh run that made the change; null for a change real time made (`cause = 'realtime'`). */
  @Column({ name: 'run_id', type: 'uuid', nullable: true })
  runId: string | null;

  /** `refresh` (a run) or `realtime` (the real-time evaluator, on an event or a due time). */
  @Column({ type: 'text', default: 'refresh' })
  cause: 'refresh' | 'realtime';

  @Column({ name: 'segment_id', type: 'uuid' })
  segmentId: string;

  @Column({ name: 'profile_id', type: 'uuid' })
  profileId: string;

  @Column({ type: 'text' })
  change: MembershipChangeKind;

  @Column({ type: 'integer' })
  version: number;

  @Column({ name: 'changed_at', type: 'timestamptz' })
  changedAt: Date;
}
