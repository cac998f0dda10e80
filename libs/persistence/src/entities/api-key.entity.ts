import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type ApiKeyRole = 'admin' | 'marketer' | 'viewer' | 'write';

/**
 * What a write key's source may change. `server`: a backend that keeps the key secret. `client`: a
 * key that may be embedded in a browser or an app, so anyone may hold it: it may not add an
 * identifier (user id, email, phone) to a profile that already has one of that kind, nor change
 * consent traits. New keys are `client` unless created as `server`.
 */
export type ApiKeyTrust = 'server' | 'client';
export const API_KEY_TRUSTS: readonly ApiKeyTrust[] = ['server', 'client'];

/**
 * An API key. Only a SHA-256 hash of the secret is stored (keys are long random strings, so a
 * slow password hash adds nothing); `prefix` is the first characters, shown to tell keys apart.
 */
@Entity({ name: 'api_keys' })
@Index('uq_api_keys_hash', ['keyHash'], { unique: true })
export class ApiKeyEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'text' })
  name: string;

  @Column({ type: 'text' })
  role: ApiKeyRole;

  @Column({ type: 'text', default: 'client' })
  trust: ApiKeyTrust;

  @Column({ type: 'text' })
  prefix: string;

  @Column({ name: 'key_hash', type: 'text' })
  keyHash: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'last_used_at', type: 'timestamptz', nullable: true })
  lastUsedAt: Date | null;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt: Date | null;
}
