import type { PendingVendorRequest } from '@audiencekit/connector-sdk';

/** A processed request as the engine trusts it: rejections only of members the request carried. */
export interface ProcessedCheck {
  rejected: { profileId: string; reason: string; code: string | null }[];
  unattributed?: { count: number; reason: string };
}

/**
 * Reads a connector's `checkRequests` answer defensively (a plugin is third-party code): keeps
 * `processed` answers for requests that were asked about, and in them only rejections of members
 * the request carried, once each; anything else (unknown ids, `processing`, garbage) leaves the
 * request pending. Texts are cut to 500 characters.
 */
export function readRequestChecks(raw: unknown, asked: readonly PendingVendorRequest[]): Map<string, ProcessedCheck> {
  const carried = new Map(asked.map((request) => [request.requestId, new Set(request.profileIds)]));
  const result = new Map<string, ProcessedCheck>();
  if (!Array.isArray(raw)) return result;
  for (const entry of raw as unknown[]) {
    const answer = (entry && typeof entry === 'object' ? entry : {}) as Record<string, unknown>;
    const requestId = answer['requestId'];
    const members = typeof requestId === 'string' ? carried.get(requestId) : undefined;
    if (!members || answer['state'] !== 'processed' || result.has(requestId as string)) continue;
    const rejected: ProcessedCheck['rejected'] = [];
    const seen = new Set<string>();
    for (const item of Array.isArray(answer['rejected']) ? (answer['rejected'] as unknown[]) : []) {
      const rejection = (item && typeof item === 'object' ? item : {}) as Record<string, unknown>;
      const profileId = rejection['profileId'];
      if (typeof profileId !== 'string' || !members.has(profileId) || seen.has(profileId)) continue;
      seen.add(profileId);
      rejected.push({
        profileId,
        reason: text(rejection['reason'], 'dropped by the vendor after it accepted the member'),
        code: typeof rejection['code'] === 'string' ? rejection['code'].slice(0, 200) : null,
      });
    }
    const unattributed = answer['unattributed'] as Record<string, unknown> | undefined;
    const count = unattributed && typeof unattributed === 'object' ? unattributed['count'] : undefined;
    result.set(requestId as string, {
      rejected,
      ...(typeof count === 'number' && Number.isInteger(count) && count > 0
        ? { unattributed: { count, reason: text(unattributed?.['reason'], 'unattributed') } }
        : {}),
    });
  }
  return result;
}

const text = (value: unknown, fallback: string): string => (typeof value === 'string' && value.length > 0 ? value.slice(0, 500) : fallback);
