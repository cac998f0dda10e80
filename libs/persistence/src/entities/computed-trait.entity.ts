import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/**
 * The card of a computed trait (issue #20): a named, owned per-profile value derived from events.
 * Its definition lives in immutable `computed_trait_versions`; its values in `computed_trait_values`.
 * The key is unique among live traits (a deleted one frees its key).
 */
@Entity({ name: 'computed_traits' })
@Index('uq_computed_traits_live_key', ['key'], { unique: true, where: 'deleted_at IS NULL' })
export class ComputedTraitEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'PK_computed_traits' })
  id: string;

  @Column({ type: 'text' })
  key: string;

  @Column({ type: 'text', default: '' })
  description: string;

  @Column({ type: 'text' })
  owner: string;

  /** A cron expression, `manual`, or `realtime` (maintained on every event of the profile; a daily run reconciles). */
  @Column({ type: 'text', default: 'manual' })
  cadence: string;

  @Column({ name: 'current_version', type: 'integer', default: 1 })
  currentVersion: number;

  /** When the last set-wise run finished (null before the first), and its figures. */
  @Column({ name: 'last_run_at', type: 'timestamptz', nullable: true })
  lastRunAt: Date | null;

  @Column({ name: 'last_run', type: 'jsonb', nullable: true })
  lastRun: Record<string, unknown> | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;

  @Column({ name: 'deleted_at', type: 'timestamptz', nullable: true })
  deletedAt: Date | null;
}
