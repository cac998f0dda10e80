import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, IsNull } from 'typeorm';
import { ApiKeyEntity, ApiKeyRole } from '@audiencekit/persistence';
import { generateApiKey, hashApiKey } from './api-key-secret';

export interface AuthenticatedKey {
  id: string;
  name: string;
  role: ApiKeyRole;
}

// Writing last_used_at on every request would turn each read into a write; once a minute is enough.
const LAST_USED_RESOLUTION_MS = 60_000;

@Injectable()
export class ApiKeyService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Creates a key and returns its secret: the only time the secret is ever available. */
  async create(name: string, role: ApiKeyRole): Promise<{ key: AuthenticatedKey; secret: string; prefix: string }> {
    const { secret, prefix, hash } = generateApiKey(role);
    const saved = await this.dataSource.getRepository(ApiKeyEntity).save({ name, role, prefix, keyHash: hash });
    return { key: { id: saved.id, name, role }, secret, prefix };
  }

  /** Resolves a presented secret to an active key, or null when unknown or revoked. */
  async authenticate(secret: string): Promise<AuthenticatedKey | null> {
    const key = await this.dataSource
      .getRepository(ApiKeyEntity)
      .findOne({ where: { keyHash: hashApiKey(secret), revokedAt: IsNull() } });
    if (!key) return null;
    if (!key.lastUsedAt || Date.now() - key.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
      await this.dataSource.getRepository(ApiKeyEntity).update(key.id, { lastUsedAt: new Date() });
    }
    return { id: key.id, name: key.name, role: key.role };
  }

  async revoke(id: string): Promise<boolean> {
    const result = await this.dataSource
      .getRepository(ApiKeyEntity)
      .update({ id, revokedAt: IsNull() }, { revokedAt: new Date() });
    return (result.affected ?? 0) > 0;
  }
}
