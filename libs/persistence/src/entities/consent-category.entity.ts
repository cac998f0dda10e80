import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/**
 * A consent category the operator defines (`email_marketing`, `sms_marketing`,
 * `ads_personalisation`). A profile's consent is the trait `consent.<key>` (true or false); a
 * destination that requires a category (destination_consent_categories) receives only members
 * whose `consent.<key>` is `true`.
 */
@Entity({ name: 'consent_categories' })
export class ConsentCategoryEntity {
  /** Lower-case key, also the trait key under `consent` (never a channel name). */
  @PrimaryColumn({ type: 'text' })
  key: string;

  @Column({ type: 'text' })
  label: string;

  @Column({ type: 'text', default: '' })
  description: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
