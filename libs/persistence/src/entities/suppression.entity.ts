import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * An identifier that must never be contacted (unsubscribed, replied STOP, deleted on request).
 * Keyed by identifier rather than profile so it survives deletion of the profile itself.
 */
@Entity({ name: 'suppressions' })
@Index('uq_suppressions_type_value_channel', ['identifierType', 'identifierValue', 'channel'], { unique: true })
export class SuppressionEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint' })
  id: string;

  @Column({ name: 'identifier_type', type: 'text' })
  identifierType: string;

  @Column({ name: 'identifier_value', type: 'text' })
  identifierValue: string;

  /** `all`, or one channel (`email`, `sms`, `ads`). */
  @Column({ type: 'text', default: 'all' })
  channel: string;

  @Column({ type: 'text' })
  reason: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
