/** The answers of GET /profiles/:id and /profiles/:id/events (libs/profiles profile-view.ts). */
export interface ProfileDetail {
  id: string;
  firstSeenAt: string | null;
  lastSeenAt: string | null;
  identities: { type: string; value: string; since: string }[];
  traits: { key: string; value: unknown; setAt: string | null; source: { messageId: string; sourceId: string | null } | null }[];
  memberships: {
    segmentId: string;
    key: string;
    name: string;
    since: string;
    cause: 'refresh' | 'realtime';
    runId: string | null;
    version: number | null;
    currentVersion: number;
  }[];
  activations: {
    activationId: string;
    name: string;
    segmentKey: string;
    holdoutShare: number;
    hashVersion: number;
    arm: string;
    exposed: { arm: string; at: string } | null;
    memberOfSegment: boolean;
  }[];
  globalHoldout: { share: number; hashVersion: number; member: boolean } | null;
  suppressions: { identifierType: string; identifierValue: string; channel: string; reason: string; since: string }[];
  consent: { unsubscribed: boolean; categories: Record<string, unknown> };
  merges: { profileId: string; mergedInto: string; mergedAt: string; depth: number }[];
}

export interface ProfileEvents {
  items: { id: string; type: string; name: string | null; timestamp: string; properties: Record<string, unknown> }[];
  nextOffset: number | null;
}
