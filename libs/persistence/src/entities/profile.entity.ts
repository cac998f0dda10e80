import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/**
 * A customer. Traits are free-form jsonb; `traitTimestamps` keeps, per trait, the event time of the
 * value held so an older identify arriving late cannot overwrite a newer value (last write wins by
 * event time). A merged profile points at the profile that absorbed it.
 */
@Entity({ name: 'profiles' })
@Index('idx_profiles_merged_into', ['mergedInto'], { where: 'merged_into IS NOT NULL' })
export class ProfileEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'jsonb', default: () => "'{}'" })
  traits: Record<string, unknown>;

  @Column({ name: 'trait_timestamps', type: 'jsonb', default: () => "'{}'" })
  traitTimestamps: Record<string, string>;

  @Column({ name: 'merged_into', type: 'uuid', nullable: true })
  mergedInto: string | null;

  @Column({ name: 'first_seen_at', type: 'timestamptz', nullable: true })
  firstSeenAt: Date | null;

  @Column({ name: 'last_seen_at', type: 'timestamptz', nullable: true })
  lastSeenAt: Date | null;

  @Column({ name: 'deleted_at', type: 'timestamptz', nullable: true })
  deletedAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
