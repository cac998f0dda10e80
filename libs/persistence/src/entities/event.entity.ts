import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type EventType = 'identify' | 'track' | 'page' | 'screen' | 'group' | 'alias';

/**
 * An accepted tracking message. (`message_id`, `source_id`) is unique, NULLS NOT DISTINCT, so a
 * client's retry is stored once and one source cannot claim another's ids (the index is created by
 * migration 1796200100000: TypeORM cannot declare NULLS NOT DISTINCT).
 * The (profile_id, name, timestamp) index serves per-profile time-window conditions; the
 * (name, timestamp) index serves whole-population windows ("everyone who did X in 30 days").
 * A BRIN index on received_at keeps time-range scans cheap at hundreds of millions of rows.
 */
@Entity({ name: 'events' })
@Index('uq_events_source_message_id', { synchronize: false })
@Index('idx_events_profile_name_time', ['profileId', 'name', 'timestamp'])
@Index('idx_events_name_time', ['name', 'timestamp'])
@Index('idx_events_received_at_brin', { synchronize: false })
export class EventEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint' })
  id: string;

  @Column({ name: 'message_id', type: 'text' })
  messageId: string;

  @Column({ name: 'profile_id', type: 'uuid' })
  profileId: string;

  @Column({ type: 'text' })
  type: EventType;

  /** Event name for track, page/screen name for page and screen, null otherwise. */
  @Column({ type: 'text', nullable: true })
  name: string | null;

  @Column({ type: 'timestamptz' })
  timestamp: Date;

  @Column({ name: 'received_at', type: 'timestamptz', default: () => 'now()' })
  receivedAt: Date;

  @Column({ type: 'jsonb', default: () => "'{}'" })
  properties: Record<string, unknown>;

  @Column({ type: 'jsonb', nullable: true })
  context: Record<string, unknown> | null;

  @Column({ name: 'user_id', type: 'text', nullable: true })
  userId: string | null;

  @Column({ name: 'anonymous_id', type: 'text', nullable: true })
  anonymousId: string | null;

  @Column({ name: 'source_id', type: 'uuid', nullable: true })
  sourceId: string | null;

  /**
   * Text signals the worker scored from the event's configured text (issue #24, migration
   * 1797200000000): `{ sentiment: { compound, label, negative }, tags }`; null until scored, and
   * for events with no configured text.
   */
  @Column({ type: 'jsonb', nullable: true })
  signals: Record<string, unknown> | null;
}
