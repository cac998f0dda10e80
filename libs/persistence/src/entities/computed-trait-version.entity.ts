import { Column, CreateDateColumn, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { ComputedTraitEntity } from './computed-trait.entity';

/**
 * One immutable version of a computed trait's definition (a trigger refuses UPDATE, like segment
 * versions: migration ComputedTraits1796700000000).
 */
@Entity({ name: 'computed_trait_versions' })
export class ComputedTraitVersionEntity {
  @PrimaryColumn({ name: 'trait_id', type: 'uuid', primaryKeyConstraintName: 'PK_computed_trait_versions' })
  traitId: string;

  @PrimaryColumn({ type: 'integer', primaryKeyConstraintName: 'PK_computed_trait_versions' })
  version: number;

  @ManyToOne(() => ComputedTraitEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'trait_id', foreignKeyConstraintName: 'fk_computed_trait_versions_trait' })
  trait?: ComputedTraitEntity;

  @Column({ type: 'jsonb' })
  definition: Record<string, unknown>;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'created_by', type: 'text', nullable: true })
  createdBy: string | null;
}
