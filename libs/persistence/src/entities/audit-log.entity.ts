import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** Who (key id) did what to which object, and when. Written for every admin write. */
@Entity({ name: 'audit_log' })
@Index('idx_audit_log_at', ['at'])
@Index('idx_audit_log_object', ['objectType', 'objectId'])
export class AuditLogEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint' })
  id: string;

  @Column({ name: 'actor_key_id', type: 'uuid', nullable: true })
  actorKeyId: string | null;

  @Column({ type: 'text' })
  action: string;

  @Column({ name: 'object_type', type: 'text' })
  objectType: string;

  @Column({ name: 'object_id', type: 'text', nullable: true })
  objectId: string | null;

  @Column({ type: 'jsonb', nullable: true })
  details: Record<string, unknown> | null;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  at: Date;
}
