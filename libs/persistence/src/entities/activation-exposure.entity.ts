import { Check, Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { ActivationEntity } from './activation.entity';

export type ExposureArm = 'treatment' | 'control' | 'global_holdout';

/**
 * The arm of each profile an activation considered, written once (sticky) by the first non-dry
 * sync that considered it: `treatment` at delivery, `control` / `global_holdout` at the time it
 * would have been sent. Lift reports read this table.
 */
@Entity({ name: 'activation_exposures' })
@Check('chk_activation_exposures_arm', `"arm" IN ('treatment', 'control', 'global_holdout')`)
export class ActivationExposureEntity {
  @PrimaryColumn({ name: 'activation_id', type: 'uuid' })
  activationId: string;

  @ManyToOne(() => ActivationEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'activation_id', foreignKeyConstraintName: 'fk_activation_exposures_activation' })
  activation?: ActivationEntity;

  @PrimaryColumn({ name: 'profile_id', type: 'uuid' })
  profileId: string;

  @Column({ type: 'text' })
  arm: ExposureArm;

  @Column({ name: 'exposed_at', type: 'timestamptz' })
  exposedAt: Date;

  @Column({ name: 'sync_run_id', type: 'uuid', nullable: true })
  syncRunId: string | null;
}
