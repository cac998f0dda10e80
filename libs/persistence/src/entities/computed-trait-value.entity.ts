import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { ProfileEntity } from './profile.entity';

/** Who wrote a derived value: a computed trait (event aggregate) or a SQL trait (an admin's SELECT). */
export type TraitValueSourceKind = 'computed' | 'sql';

/**
 * THE store of derived per-profile values (issue #20): one row per (profile, key). Computed and SQL
 * traits share the key namespace; a key belongs to one source (`source_kind`, `source_id`) and only
 * that source writes it. Rules (`computed_trait` condition), the profile page, activation payloads
 * and model features read it. A profile without a value has no row (value is never SQL NULL; a
 * JSON null is a value).
 */
@Entity({ name: 'computed_trait_values' })
// (key, numeric reading of the value): an expression index TypeORM cannot declare, created by
// migration ComputedTraitNumberIndex; it serves lookups by key and numeric `computed_trait` tests.
@Index('idx_computed_trait_values_key_number', { synchronize: false })
@Check('chk_computed_trait_values_source_kind', `source_kind IN ('computed', 'sql')`)
export class ComputedTraitValueEntity {
  @PrimaryColumn({ name: 'profile_id', type: 'uuid', primaryKeyConstraintName: 'PK_computed_trait_values' })
  profileId: string;

  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'PK_computed_trait_values' })
  key: string;

  @ManyToOne(() => ProfileEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'profile_id', foreignKeyConstraintName: 'fk_computed_trait_values_profile' })
  profile?: ProfileEntity;

  @Column({ type: 'jsonb' })
  value: unknown;

  @Column({ name: 'source_kind', type: 'text' })
  sourceKind: TraitValueSourceKind;

  @Column({ name: 'source_id', type: 'uuid' })
  sourceId: string;

  @Column({ name: 'source_version', type: 'integer' })
  sourceVersion: number;

  @Column({ name: 'computed_at', type: 'timestamptz' })
  computedAt: Date;
}
