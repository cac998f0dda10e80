import type { ApiKeyRole } from '@audiencekit/persistence';

/** Admin-API roles from least to most powerful; `write` keys only ingest and are outside this ladder. */
export const ADMIN_ROLE_LADDER = ['viewer', 'marketer', 'admin'] as const;
export type AdminRole = (typeof ADMIN_ROLE_LADDER)[number];

/** True when a key of role `held` may call a route that requires `required`. */
export function roleSatisfies(held: ApiKeyRole, required: AdminRole | 'write'): boolean {
  if (required === 'write') return held === 'write';
  if (held === 'write') return false;
  return ADMIN_ROLE_LADDER.indexOf(held) >= ADMIN_ROLE_LADDER.indexOf(required);
}
