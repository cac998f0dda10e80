import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type IdentityType = 'user_id' | 'anonymous_id' | 'email' | 'phone';

/** One identifier (normalised) that resolves to one profile; (type, value) is unique. */
@Entity({ name: 'identities' })
@Index('uq_identities_type_value', ['type', 'value'], { unique: true })
@Index('idx_identities_profile', ['profileId'])
export class IdentityEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint' })
  id: string;

  @Column({ type: 'text' })
  type: IdentityType;

  @Column({ type: 'text' })
  value: string;

  @Column({ name: 'profile_id', type: 'uuid' })
  profileId: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
