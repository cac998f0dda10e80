import { createHash, randomBytes } from 'node:crypto';
import type { ApiKeyRole } from '@audiencekit/persistence';

const ROLE_PREFIX: Record<ApiKeyRole, string> = { admin: 'ak_adm_', marketer: 'ak_mkt_', viewer: 'ak_vwr_', write: 'ak_wk_' };

/**
 * A new key: a role-tagged prefix (so a leaked key is recognisable in a scanner) and 32 random
 * bytes in base64url. Only its SHA-256 is stored: the key is already 256 bits of entropy, so a
 * slow password hash would add latency to every request and no security.
 */
export function generateApiKey(role: ApiKeyRole): { secret: string; prefix: string; hash: string } {
  const secret = ROLE_PREFIX[role] + randomBytes(32).toString('base64url');
  return { secret, prefix: secret.slice(0, ROLE_PREFIX[role].length + 6), hash: hashApiKey(secret) };
}

export function hashApiKey(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}
