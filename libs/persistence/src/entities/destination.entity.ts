import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/**
 * A configured connector instance. Vendor secrets are stored only as AES-256-GCM ciphertext
 * (`secrets_ciphertext`, base64 of iv | tag | data, with the key id used) and never returned.
 */
@Entity({ name: 'destinations' })
export class DestinationEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'text' })
  name: string;

  @Column({ name: 'connector', type: 'text' })
  connector: string;

  @Column({ type: 'jsonb', default: () => "'{}'" })
  settings: Record<string, unknown>;

  @Column({ name: 'secrets_ciphertext', type: 'text', nullable: true })
  secretsCiphertext: string | null;

  @Column({ name: 'secrets_key_id', type: 'text', nullable: true })
  secretsKeyId: string | null;

  @Column({ name: 'deleted_at', type: 'timestamptz', nullable: true })
  deletedAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
