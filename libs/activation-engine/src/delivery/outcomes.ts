import type { IdentifierKind } from '@audiencekit/connector-sdk';

export interface ReadOutcomes {
  delivered: Set<string>;
  rejected: Map<string, { reason: string; code: string | null; suppress?: { identifier: IdentifierKind; reason: string } }>;
  /** Members to try again: `retryable` answers and members the plugin said nothing about. */
  retry: Map<string, { reason: string; retryAfterMs?: number }>;
  /** What was wrong with the answer (unknown ids, duplicates, garbage entries), for the run record. */
  problems: string[];
}

const STATUSES = new Set(['delivered', 'retryable', 'rejected']);
const KINDS = new Set(['email', 'phone', 'external_id']);

/**
 * Reads a plugin's answer defensively: a plugin is third-party code and may return anything.
 * Returns undefined when the answer is not an array at all (the whole batch failed).
 */
export function readOutcomes(raw: unknown, batchIds: readonly string[]): ReadOutcomes | undefined {
  if (!Array.isArray(raw)) return undefined;
  const expected = new Set(batchIds);
  const seen = new Set<string>();
  const result: ReadOutcomes = { delivered: new Set(), rejected: new Map(), retry: new Map(), problems: [] };
  for (const entry of raw as unknown[]) {
    const outcome = (entry && typeof entry === 'object' ? entry : {}) as Record<string, unknown>;
    const profileId = outcome['profileId'];
    const status = outcome['status'];
    if (typeof profileId !== 'string' || typeof status !== 'string' || !STATUSES.has(status)) {
      result.problems.push('an outcome without a known profileId/status');
      continue;
    }
    if (!expected.has(profileId)) {
      result.problems.push(`an outcome for a profile not in the batch (${profileId.slice(0, 64)})`);
      continue;
    }
    if (seen.has(profileId)) {
      result.problems.push(`two outcomes for ${profileId}`);
      continue;
    }
    seen.add(profileId);
    if (status === 'delivered') result.delivered.add(profileId);
    else if (status === 'retryable')
      result.retry.set(profileId, { reason: text(outcome['reason'], 'retryable'), retryAfterMs: number(outcome['retryAfterMs']) });
    else
      result.rejected.set(profileId, {
        reason: text(outcome['reason'], 'rejected'),
        code: typeof outcome['code'] === 'string' ? (outcome['code'] as string) : null,
        suppress: suppressHint(outcome['suppress']),
      });
  }
  for (const id of batchIds) if (!seen.has(id)) result.retry.set(id, { reason: 'the plugin returned no outcome for this member' });
  return result;
}

function suppressHint(value: unknown): { identifier: IdentifierKind; reason: string } | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const { identifier, reason } = value as Record<string, unknown>;
  if (typeof identifier !== 'string' || !KINDS.has(identifier)) return undefined;
  return { identifier: identifier as IdentifierKind, reason: text(reason, 'vendor asked to suppress') };
}

const text = (value: unknown, fallback: string): string => (typeof value === 'string' && value.length > 0 ? value.slice(0, 500) : fallback);
const number = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
