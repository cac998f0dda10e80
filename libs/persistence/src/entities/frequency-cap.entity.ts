import { Check, Column, CreateDateColumn, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/** Channels a frequency cap can count: one connector channel, or `all` (every message on any channel). */
export type FrequencyCapChannel = 'email' | 'sms' | 'ads' | 'webhook' | 'all';

/**
 * A frequency cap (issue #23): at most `maxMessages` messages to one profile on `channel` (or on
 * any channel, `all`) within a rolling `windowHours`, across every activation. Enforced by the sync
 * engine right before a send, against `send_ledger`.
 */
@Entity({ name: 'frequency_caps' })
@Check('chk_frequency_caps_channel', `"channel" IN ('email', 'sms', 'ads', 'webhook', 'all')`)
@Check('chk_frequency_caps_max', `"max_messages" >= 1`)
@Check('chk_frequency_caps_window', `"window_hours" >= 1`)
export class FrequencyCapEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'text' })
  name: string;

  @Column({ type: 'text' })
  channel: FrequencyCapChannel;

  @Column({ name: 'max_messages', type: 'integer' })
  maxMessages: number;

  @Column({ name: 'window_hours', type: 'integer' })
  windowHours: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}

/**
 * One message to one profile (issue #23): written in the transaction that reserves it under the
 * caps, right before the vendor call, and deleted when the vendor did not take it (rejected, or
 * failed after its retries). `delivery_key` is the send's idempotency (`<activation>:<profile>`),
 * so a retried or replayed send is the same row. Read by the caps' rolling windows.
 */
@Entity({ name: 'send_ledger' })
@Index('idx_send_ledger_profile_sent', ['profileId', 'sentAt'])
@Index('idx_send_ledger_sent', ['sentAt'])
export class SendLedgerEntity {
  @PrimaryColumn({ name: 'profile_id', type: 'uuid' })
  profileId: string;

  @PrimaryColumn({ name: 'delivery_key', type: 'text' })
  deliveryKey: string;

  @Column({ type: 'text' })
  channel: string;

  @Column({ name: 'activation_id', type: 'uuid', nullable: true })
  activationId: string | null;

  @Column({ name: 'sync_run_id', type: 'uuid', nullable: true })
  syncRunId: string | null;

  @Column({ name: 'sent_at', type: 'timestamptz', default: () => 'now()' })
  sentAt: Date;
}

/**
 * The lock of a profile's sends (issue #23): a reservation locks the rows of its batch's profiles
 * (`FOR UPDATE`, in profile order so two workers never deadlock) before it counts the ledger, so
 * two workers racing for one profile cannot both send past a cap.
 */
@Entity({ name: 'send_ledger_profiles' })
export class SendLedgerProfileEntity {
  @PrimaryColumn({ name: 'profile_id', type: 'uuid' })
  profileId: string;
}
