import { CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { ConsentCategoryEntity } from './consent-category.entity';
import { DestinationEntity } from './destination.entity';

/**
 * A consent category a destination requires: its members must each have `consent.<key>: true`.
 * A category cannot be dropped while a destination requires it (RESTRICT); a deleted
 * destination's rows go with it.
 */
@Entity({ name: 'destination_consent_categories' })
@Index('idx_destination_consent_categories_category', ['categoryKey'])
export class DestinationConsentCategoryEntity {
  @PrimaryColumn({ name: 'destination_id', type: 'uuid' })
  destinationId: string;

  @PrimaryColumn({ name: 'category_key', type: 'text' })
  categoryKey: string;

  @ManyToOne(() => DestinationEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'destination_id' })
  destination?: DestinationEntity;

  @ManyToOne(() => ConsentCategoryEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'category_key' })
  category?: ConsentCategoryEntity;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
