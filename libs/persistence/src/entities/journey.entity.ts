import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
  PrimaryGeneratedColumn,
  Unique,
  UpdateDateColumn,
} from 'typeorm';

export type JourneyStatus = 'draft' | 'live' | 'paused' | 'archived';
export type JourneyEntryArm = 'treatment' | 'control' | 'global_holdout';
export type JourneyEntryState = 'active' | 'waiting' | 'done';
export type JourneyEntryOutcome = 'goal_reached' | 'completed' | 'exited';

/**
 * A journey (issue #23): a card with a key, its status and the version that is live. The holdout
 * salt keys the sticky control split of its entries (libs/experimentation's hash), drawn once.
 */
@Entity({ name: 'journeys' })
@Check('chk_journeys_status', `"status" IN ('draft', 'live', 'paused', 'archived')`)
export class JourneyEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Index('uq_journeys_key', { unique: true })
  @Column({ type: 'text' })
  key: string;

  @Column({ type: 'text' })
  name: string;

  @Column({ type: 'text', default: 'draft' })
  status: JourneyStatus;

  /** The version new entries get; entries in flight keep theirs. Null before the first version. */
  @Column({ name: 'current_version', type: 'integer', nullable: true })
  currentVersion: number | null;

  @Column({ name: 'holdout_salt', type: 'text' })
  holdoutSalt: string;

  @Column({ name: 'holdout_hash_version', type: 'integer', default: 1 })
  holdoutHashVersion: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}

/**
 * An immutable version of a journey's definition (libs/journeys `JourneyDefinition`). The entry
 * segment is copied out of the definition so that the entry trigger finds the journeys of a segment
 * by an index.
 */
@Entity({ name: 'journey_versions' })
@Index('idx_journey_versions_entry_segment', ['entrySegmentId'])
export class JourneyVersionEntity {
  @PrimaryColumn({ name: 'journey_id', type: 'uuid' })
  journeyId: string;

  @PrimaryColumn({ type: 'integer' })
  version: number;

  @ManyToOne(() => JourneyEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'journey_id', foreignKeyConstraintName: 'fk_journey_versions_journey' })
  journey?: JourneyEntity;

  @Column({ name: 'entry_segment_id', type: 'uuid' })
  entrySegmentId: string;

  @Column({ type: 'jsonb' })
  definition: Record<string, unknown>;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}

/**
 * The entry outbox: a trigger on `segment_membership_changes` writes one row per `added` change of
 * a live journey's entry segment, in the change's transaction (a cursor over change ids would skip
 * rows committed out of id order). The worker turns them into entries (re-entry rules applied) and
 * deletes them in the same transaction.
 */
@Entity({ name: 'journey_pending_entries' })
@Index('idx_journey_pending_entries_journey', ['journeyId', 'id'])
export class JourneyPendingEntryEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint' })
  id: string;

  @Column({ name: 'journey_id', type: 'uuid' })
  journeyId: string;

  @ManyToOne(() => JourneyEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'journey_id', foreignKeyConstraintName: 'fk_journey_pending_entries_journey' })
  journey?: JourneyEntity;

  @Column({ name: 'profile_id', type: 'uuid' })
  profileId: string;

  /** The membership change that caused it (null for a backfill of the segment's current members). */
  @Column({ name: 'change_id', type: 'bigint', nullable: true })
  changeId: string | null;

  @Column({ name: 'enqueued_at', type: 'timestamptz', default: () => 'clock_timestamp()' })
  enqueuedAt: Date;
}

/**
 * One pass of a profile through a journey (its `entry_number`-th): the version it runs, its arm
 * (sticky: decided at entry by the journey's salt; held-out entries never run a step), and where it
 * is. `due_at` is its timer (a wait's end, a wait_until's timeout, now for an active entry, a lease
 * while a step is at the vendor); the worker finds due entries by the partial index
 * `idx_journey_entries_due` (created by migration: `synchronize: false`), never by scanning profiles.
 * `waiting_event`: the event a wait_until waits for; a trigger on `events` makes the entry due at once.
 */
@Entity({ name: 'journey_entries' })
@Unique('uq_journey_entries_number', ['journeyId', 'profileId', 'entryNumber'])
@Check('chk_journey_entries_arm', `"arm" IN ('treatment', 'control', 'global_holdout')`)
@Check('chk_journey_entries_state', `"state" IN ('active', 'waiting', 'done')`)
@Check('chk_journey_entries_outcome', `"outcome" IS NULL OR "outcome" IN ('goal_reached', 'completed', 'exited')`)
@Index('idx_journey_entries_due', { synchronize: false })
@Index('idx_journey_entries_waiting_event', { synchronize: false })
@Index('idx_journey_entries_held', { synchronize: false })
export class JourneyEntryEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'journey_id', type: 'uuid' })
  journeyId: string;

  @ManyToOne(() => JourneyEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'journey_id', foreignKeyConstraintName: 'fk_journey_entries_journey' })
  journey?: JourneyEntity;

  @Column({ name: 'profile_id', type: 'uuid' })
  profileId: string;

  @Column({ name: 'entry_number', type: 'integer' })
  entryNumber: number;

  @Column({ type: 'integer' })
  version: number;

  @Column({ type: 'text' })
  arm: JourneyEntryArm;

  @Column({ name: 'entered_at', type: 'timestamptz' })
  enteredAt: Date;

  @Column({ name: 'step_index', type: 'integer', default: 0 })
  stepIndex: number;

  @Column({ type: 'text', default: 'active' })
  state: JourneyEntryState;

  @Column({ type: 'text', nullable: true })
  outcome: JourneyEntryOutcome | null;

  /** The step id an `exit` outcome came from, or the reason detail. */
  @Column({ name: 'outcome_detail', type: 'text', nullable: true })
  outcomeDetail: string | null;

  @Column({ name: 'due_at', type: 'timestamptz', nullable: true })
  dueAt: Date | null;

  @Column({ name: 'wait_started_at', type: 'timestamptz', nullable: true })
  waitStartedAt: Date | null;

  @Column({ name: 'waiting_event', type: 'text', nullable: true })
  waitingEvent: string | null;

  @Column({ name: 'exited_at', type: 'timestamptz', nullable: true })
  exitedAt: Date | null;

  /**
   * When the worker first held this entry because its journey was paused (NULL otherwise). Made live
   * again, a trigger on `journeys` sets held entries due at once, found by the partial index
   * `idx_journey_entries_held` (migration 1797100100000, `synchronize: false`).
   */
  @Column({ name: 'held_since', type: 'timestamptz', nullable: true })
  heldSince: Date | null;
}

/**
 * One row per (entry, step) executed — the exactly-once record: written BEFORE a send/audience
 * call (`outcome = 'in_flight'`, with the delivery key) and given its outcome after; a step
 * found `in_flight` after a crash is replayed with the same delivery key. Outcomes: `sent`,
 * `added`, `removed`, `skipped:<reason>`, `capped`, `rejected`, `failed`, `waited`, `event_seen`,
 * `timed_out`, `branched_then`, `branched_else`, `exited`.
 */
@Entity({ name: 'journey_step_log' })
@Index('idx_journey_step_log_journey_step', ['journeyId', 'stepId'])
export class JourneyStepLogEntity {
  @PrimaryColumn({ name: 'entry_id', type: 'uuid' })
  entryId: string;

  @PrimaryColumn({ name: 'step_id', type: 'text' })
  stepId: string;

  @ManyToOne(() => JourneyEntryEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'entry_id', foreignKeyConstraintName: 'fk_journey_step_log_entry' })
  entry?: JourneyEntryEntity;

  @Column({ name: 'journey_id', type: 'uuid' })
  journeyId: string;

  @Column({ type: 'text' })
  outcome: string;

  @Column({ name: 'delivery_key', type: 'text', nullable: true })
  deliveryKey: string | null;

  @Column({ type: 'text', nullable: true })
  detail: string | null;

  @Column({ type: 'timestamptz' })
  at: Date;

  @Column({ name: 'completed_at', type: 'timestamptz', nullable: true })
  completedAt: Date | null;
}

/** The vendor-side audience of a journey's audience step on its destination (`connector.ensureAudience`, once). */
@Entity({ name: 'journey_audiences' })
export class JourneyAudienceEntity {
  @PrimaryColumn({ name: 'journey_id', type: 'uuid' })
  journeyId: string;

  @PrimaryColumn({ name: 'step_id', type: 'text' })
  stepId: string;

  @ManyToOne(() => JourneyEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'journey_id', foreignKeyConstraintName: 'fk_journey_audiences_journey' })
  journey?: JourneyEntity;

  @Column({ name: 'destination_id', type: 'uuid' })
  destinationId: string;

  @Column({ name: 'external_audience_id', type: 'text' })
  externalAudienceId: string;
}
