import { EntityManager, IsNull, Not } from 'typeorm';
import { ApiKeyEntity, ApiKeyRole, ApiKeyTrust } from '@audiencekit/persistence';

/**
 * Every query of `api_keys`. Plain functions over an `EntityManager`; the cache, hashing and
 * revocation rules stay in `ApiKeyService`. Golden SQL: `__golden__/api-key.repository.sql`.
 */

export async function insertApiKey(
  manager: EntityManager,
  row: Pick<ApiKeyEntity, 'name' | 'role' | 'trust' | 'prefix' | 'keyHash'>,
): Promise<ApiKeyEntity> {
  return manager.getRepository(ApiKeyEntity).save(row);
}

/** The active (not revoked) key with this secret hash, or null. */
export async function findActiveKeyByHash(manager: EntityManager, keyHash: string): Promise<ApiKeyEntity | null> {
  return manager.getRepository(ApiKeyEntity).findOne({ where: { keyHash, revokedAt: IsNull() } });
}

/** Revokes an active key; false when there was none with that id. */
export async function revokeApiKey(manager: EntityManager, id: string): Promise<boolean> {
  const result = await manager.getRepository(ApiKeyEntity).update({ id, revokedAt: IsNull() }, { revokedAt: new Date() });
  return (result.affected ?? 0) > 0;
}

/** Sets the trust of an active key; false when there is no active key with that id. */
export async function setApiKeyTrust(manager: EntityManager, id: string, trust: ApiKeyTrust): Promise<boolean> {
  const result = await manager.getRepository(ApiKeyEntity).update({ id, revokedAt: IsNull() }, { trust });
  return (result.affected ?? 0) > 0;
}

export async function touchApiKey(manager: EntityManager, id: string, lastUsedAt: Date): Promise<void> {
  await manager.getRepository(ApiKeyEntity).update(id, { lastUsedAt });
}

export interface ApiKeyFilter {
  limit: number;
  offset: number;
  role?: ApiKeyRole;
  trust?: ApiKeyTrust;
  revoked?: boolean;
}

/** A page of keys (oldest first) and the total matching the filter. */
export async function listApiKeys(manager: EntityManager, filter: ApiKeyFilter): Promise<[ApiKeyEntity[], number]> {
  const where = {
    ...(filter.role ? { role: filter.role } : {}),
    ...(filter.trust ? { trust: filter.trust } : {}),
    ...(filter.revoked !== undefined ? { revokedAt: filter.revoked ? Not(IsNull()) : IsNull() } : {}),
  };
  return manager.getRepository(ApiKeyEntity).findAndCount({ where, order: { createdAt: 'ASC' }, take: filter.limit, skip: filter.offset });
}
