import { DataSource } from 'typeorm';
import type { ApiKeyRole, ApiKeyTrust } from '@audiencekit/persistence';
import { ApiKeyService } from '@audiencekit/server-core';

export const KEY_ROLES: ApiKeyRole[] = ['admin', 'marketer', 'viewer', 'write'];
export const KEY_TRUSTS: ApiKeyTrust[] = ['client', 'server'];

/**
 * Creates an API key with the API's own ApiKeyService (same secret format, same SHA-256 at rest),
 * so the first admin key of an installation can be made without an admin key.
 */
export async function createKey(dataSource: DataSource, name: string, role: ApiKeyRole, trust: ApiKeyTrust = 'client') {
  return new ApiKeyService(dataSource).create(name, role, trust);
}

/** Changes a key's trust with the API's own ApiKeyService; false when no active key has that id. */
export async function setKeyTrust(dataSource: DataSource, id: string, trust: ApiKeyTrust): Promise<boolean> {
  return new ApiKeyService(dataSource).setTrust(id, trust);
}
