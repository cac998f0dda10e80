import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** Current members of a segment; replaced atomically by each successful run. */
@Entity({ name: 'segment_memberships' })
@Index('idx_segment_memberships_profile', ['profileId'])
export class SegmentMembershipEntity {
  @PrimaryColumn({ name: 'segment_id', type: 'uuid' })
  segmentId: string;

  @PrimaryColumn({ name: 'profile_id', type: 'uuid' })
  profileId: string;

  @Column({ name: 'entered_at', type: 'timestamptz' })
  enteredAt: Date;

  /** The run that added the member; null when real time added it. */
  @Column({ name: 'run_id', type: 'uuid', nullable: true })
  runId: string | null;
}
