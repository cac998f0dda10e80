import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * Outbox of consent withdrawals: a trigger on `profiles` adds a row, in the writing transaction,
 * whenever a `consent.<key>` trait turns `false` (identify, merge or API alike). libs/privacy
 * drains it: each row requests a sync of the mirror activations holding the person whose
 * destination requires one of `keys`, and their removes phase takes the person off the vendor list.
 */
@Entity({ name: 'consent_withdrawals' })
export class ConsentWithdrawalEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint' })
  id: string;

  @Column({ name: 'profile_id', type: 'uuid' })
  profileId: string;

  /** The consent keys that turned false. */
  @Column({ type: 'text', array: true })
  keys: string[];

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
