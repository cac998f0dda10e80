import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { ActivationEntity } from './activation.entity';

/**
 * What the destination of an activation holds for each profile (or what happened to it): the
 * other side of every sync's diff. `present` (on the vendor list), `removed`, `sent` (send mode:
 * never sent again), `rejected` (the vendor refused it; tried again on the next run), `failed`
 * (out of retries in a run; tried again on the next run).
 */
export type ActivationMemberState = 'present' | 'removed' | 'sent' | 'rejected' | 'failed';

@Entity({ name: 'activation_members' })
export class ActivationMemberEntity {
  @PrimaryColumn({ name: 'activation_id', type: 'uuid' })
  activationId: string;

  @ManyToOne(() => ActivationEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'activation_id', foreignKeyConstraintName: 'fk_activation_members_activation' })
  activation?: ActivationEntity;

  @PrimaryColumn({ name: 'profile_id', type: 'uuid' })
  profileId: string;

  @Column({ type: 'text' })
  state: ActivationMemberState;

  /** The identifiers we delivered (removes use these: the vendor holds what we sent, not what the profile has now). */
  @Column({ type: 'jsonb', nullable: true })
  identifiers: Record<string, string> | null;

  @Column({ name: 'last_sync_run_id', type: 'uuid', nullable: true })
  lastSyncRunId: string | null;

  /** When the destination last accepted this member (add, re-add, send): vendors that expire memberships get it re-sent before they lapse. */
  @Column({ name: 'delivered_at', type: 'timestamptz', nullable: true })
  deliveredAt: Date | null;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
