import { Inject, Injectable, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { LRUCache } from 'lru-cache';
import { DataSource } from 'typeorm';
import { ApiKeyEntity, ApiKeyRole, ApiKeyTrust } from '@audiencekit/persistence';
import { generateApiKey, hashApiKey } from './api-key-secret';
import {
  ApiKeyFilter,
  findActiveKeyByHash,
  insertApiKey,
  listApiKeys,
  revokeApiKey,
  touchApiKey,
  setApiKeyTrust,
} from './api-key.repository';

export interface AuthenticatedKey {
  id: string;
  name: string;
  role: ApiKeyRole;
  /** What a write key's source may change (see `ApiKeyTrust`); ingestion restricts `client` sources. */
  trust: ApiKeyTrust;
}

// Writing last_used_at on every request would turn each read into a write; once a minute is enough.
const LAST_USED_RESOLUTION_MS = 60_000;

/**
 * How long a verified key is trusted without asking the database again. Every tracking request
 * is authenticated, and the lookup (a query, its round trip) was a visible part of a batch's cost;
 * the price is that a key revoked by another process (another API process, the CLI) keeps working
 * here for at most this long. Revoking through this process takes effect at once.
 */
export const API_KEY_CACHE_TTL_MS = 5_000;
/** Injection token to set another trust period (tests; 0 turns the cache off). */
export const API_KEY_CACHE_TTL = Symbol('API_KEY_CACHE_TTL');

interface CachedKey {
  key: AuthenticatedKey;
  lastUsedAt: number;
}

@Injectable()
export class ApiKeyService {
  /** Verified keys by the hash of their secret (never the secret). Unknown keys are never cached. */
  private readonly verified: LRUCache<string, CachedKey> | undefined;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Optional() @Inject(API_KEY_CACHE_TTL) ttlMs: number = API_KEY_CACHE_TTL_MS,
  ) {
    this.verified = ttlMs > 0 ? new LRUCache({ max: 10_000, ttl: ttlMs }) : undefined;
  }

  /**
   * Creates a key and returns its secret: the only time the secret is ever available. `trust`
   * defaults to `client`, the safe choice for a write key that may end up in a browser; a backend
   * sending with a server library asks for `server`.
   */
  async create(
    name: string,
    role: ApiKeyRole,
    trust: ApiKeyTrust = 'client',
  ): Promise<{ key: AuthenticatedKey; secret: string; prefix: string }> {
    const { secret, prefix, hash } = generateApiKey(role);
    const saved = await insertApiKey(this.dataSource.manager, { name, role, trust, prefix, keyHash: hash });
    return { key: { id: saved.id, name, role, trust }, secret, prefix };
  }

  /** Resolves a presented secret to an active key, or null when unknown or revoked. */
  async authenticate(secret: string): Promise<AuthenticatedKey | null> {
    const hash = hashApiKey(secret);
    const cached = this.verified?.get(hash);
    if (cached) {
      if (Date.now() - cached.lastUsedAt > LAST_USED_RESOLUTION_MS) await this.touch(cached);
      return cached.key;
    }
    const key = await findActiveKeyByHash(this.dataSource.manager, hash);
    if (!key) return null;
    const entry: CachedKey = {
      key: { id: key.id, name: key.name, role: key.role, trust: key.trust },
      lastUsedAt: key.lastUsedAt?.getTime() ?? 0,
    };
    if (Date.now() - entry.lastUsedAt > LAST_USED_RESOLUTION_MS) await this.touch(entry);
    this.verified?.set(hash, entry);
    return entry.key;
  }

  async revoke(id: string): Promise<boolean> {
    const revoked = await revokeApiKey(this.dataSource.manager, id);
    // Forget every verified key: revocation here must not wait for the cache to expire.
    this.verified?.clear();
    return revoked;
  }

  /**
   * Changes a key's trust (e.g. a write key made before trust levels existed, migrated as `server`,
   * that a browser holds). Applies at once on this process, within the trust period elsewhere.
   */
  async setTrust(id: string, trust: ApiKeyTrust): Promise<boolean> {
    const changed = await setApiKeyTrust(this.dataSource.manager, id, trust);
    this.verified?.clear();
    return changed;
  }

  /** A page of keys, oldest first, without their hashes (the secret is never stored). */
  async list(filter: ApiKeyFilter): Promise<{ items: Omit<ApiKeyEntity, 'keyHash'>[]; total: number }> {
    const [rows, total] = await listApiKeys(this.dataSource.manager, filter);
    return { items: rows.map(({ keyHash: _hash, ...visible }) => visible), total };
  }

  private async touch(entry: CachedKey): Promise<void> {
    entry.lastUsedAt = Date.now();
    await touchApiKey(this.dataSource.manager, entry.key.id, new Date(entry.lastUsedAt));
  }
}
