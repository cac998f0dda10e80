import type { EntityManager } from 'typeorm';

/** A profile the diff put forward, with what the filters need (read in the same query). */
export interface CandidateRow {
  profileId: string;
  /** Latest normalised identifier per identity type (`email`, `phone`, `user_id`); for removes, what we delivered. */
  identifiers: Record<string, string>;
  traits: Record<string, unknown>;
  /** The profile is deleted or merged into another one. */
  gone: boolean;
  /** One of the profile's identifiers (or its id) is on the suppression list for this channel or `all`. */
  suppressed: boolean;
  /** An add of a member the destination already holds, re-sent because its membership would lapse. */
  redeliver?: boolean;
  /** Computed and SQL trait values the activation uses (`computed-values.repository.ts`), set on adds. */
  computed?: Record<string, unknown>;
  /** Adds: the first segment of `DiffScope.excludeSegmentIds` (in its order) the profile is a member of; null when none. */
  excludedBy?: string | null;
}

/** `replace` (a full resync): every segment member is a candidate, whatever the destination holds. */
export type DiffPhase = 'adds' | 'removes' | 'replace';

export interface DiffScope {
  activationId: string;
  segmentId: string;
  runId: string;
  /** States of activation_members that mean "nothing to add": `present` (lists) or `sent` (send mode). */
  doneStates: string[];
  /** Suppression channels that apply: `all` and the connector's channel. */
  channels: string[];
  /** The connector's channel, for `consent.<channel>` traits. */
  channel: string;
  /** Consent categories the destination requires: a held member without `consent.<key>: true` is removed. */
  consentCategories: string[];
  /**
   * List adds of a connector whose vendor expires memberships (`limits.refreshMembershipAfterDays`):
   * members held (`present`) whose last delivery is older than this many days are adds again.
   */
  redeliverAfterDays: number | null;
  /**
   * An on-change run (schedule `on_change`) diffs only the profiles whose membership changed
   * (`sync_run_profiles`); null = the whole segment. Same query, same filters: only the range shrinks.
   */
  profileIds: string[] | null;
  /**
   * Segments whose members this activation never delivers to (issue #23): its exclusions, then the
   * higher entries of its priority list. An add in one is classified `excluded`; a mirror removes a
   * held member that entered one. Empty: the queries carry no exclusion test at all.
   */
  excludeSegmentIds: string[];
}

export interface PageBounds {
  /** Exclusive lower bound (keyset cursor); null = from the start. */
  after: string | null;
  /** Inclusive upper bound when re-reading a page that was already cut; null with `limit` for a new page. */
  upTo: string | null;
  limit: number | null;
}

const IDENTIFIERS_SQL = `coalesce((
    SELECT jsonb_object_agg(t.type, t.value) FROM (
      SELECT DISTINCT ON (i.type) i.type, i.value FROM identities i
      WHERE i.profile_id = c.profile_id AND i.type IN ('email', 'phone', 'user_id')
      ORDER BY i.type, i.id DESC) t), '{}'::jsonb)`;

// user_id identities are "external ids" to connectors, so a suppression may name either type.
const SUPPRESSED_SQL = `(EXISTS (
      SELECT 1 FROM identities i JOIN suppressions s ON s.identifier_value = i.value
        AND s.identifier_type IN (i.type, CASE WHEN i.type = 'user_id' THEN 'external_id' END)
      WHERE i.profile_id = c.profile_id AND s.channel = ANY($CHANNELS::text[]))
    OR EXISTS (SELECT 1 FROM suppressions s WHERE s.identifier_type = 'profile_id' AND s.identifier_value = c.profile_id::text AND s.channel = ANY($CHANNELS::text[])))`;

/**
 * The diff, computed in Postgres one keyset page at a time (never both sides pulled into Node):
 * adds are segment members the destination does not hold (and that this run has not touched yet),
 * plus, for vendors that expire memberships, members held whose last delivery is too old;
 * removes are members the destination holds that left the segment. Each page comes back ordered by
 * profile id, with identifiers, traits, and the suppression and deleted flags joined in.
 */
export async function readCandidates(
  manager: EntityManager,
  phase: DiffPhase,
  scope: DiffScope,
  bounds: PageBounds,
): Promise<CandidateRow[]> {
  return phase === 'removes' ? readRemoves(manager, scope, bounds) : readAdds(manager, scope, bounds);
}

async function readAdds(manager: EntityManager, scope: DiffScope, bounds: PageBounds): Promise<CandidateRow[]> {
  // Without a membership lifespan the query is the plain anti-join (the hot path of every sync).
  const redelivering = scope.redeliverAfterDays !== null;
  const held = redelivering
    ? `(am.last_sync_run_id = $6::uuid
                  OR (am.state = ANY($5::text[]) AND coalesce(am.delivered_at, am.updated_at) >= now() - make_interval(days => $10::int)))`
    : `(am.state = ANY($5::text[]) OR am.last_sync_run_id = $6::uuid)`;
  const redeliver = redelivering
    ? `EXISTS (SELECT 1 FROM activation_members h WHERE h.activation_id = $2 AND h.profile_id = c.profile_id AND h.state = ANY($5::text[]))`
    : 'false';
  const excluding = scope.excludeSegmentIds.length > 0;
  const rows: RawRow[] = await manager.query(
    `WITH c AS (
       SELECT m.profile_id FROM segment_memberships m
       WHERE m.segment_id = $1
         AND ($3::uuid IS NULL OR m.profile_id > $3::uuid)
         AND ($4::uuid IS NULL OR m.profile_id <= $4::uuid)
         AND ($9::uuid[] IS NULL OR m.profile_id = ANY($9::uuid[]))
         AND NOT EXISTS (
           SELECT 1 FROM activation_members am
           WHERE am.activation_id = $2 AND am.profile_id = m.profile_id
             AND ${held})
       ORDER BY m.profile_id
       LIMIT $7)
     SELECT c.profile_id, ${IDENTIFIERS_SQL} AS identifiers, coalesce(p.traits, '{}'::jsonb) AS traits,
            (p.id IS NULL OR p.deleted_at IS NOT NULL OR p.merged_into IS NOT NULL) AS gone,
            ${SUPPRESSED_SQL.replace(/\$CHANNELS/g, '$8')} AS suppressed,
            ${redeliver} AS redeliver,
            ${excluding ? excludedBySql(redelivering ? '$11' : '$10') : 'NULL::uuid'} AS excluded_by
     FROM c LEFT JOIN profiles p ON p.id = c.profile_id
     ORDER BY c.profile_id`,
    [
      scope.segmentId,
      scope.activationId,
      bounds.after,
      bounds.upTo,
      scope.doneStates,
      scope.runId,
      bounds.limit,
      scope.channels,
      scope.profileIds,
      ...(redelivering ? [scope.redeliverAfterDays] : []),
      ...(excluding ? [scope.excludeSegmentIds] : []),
    ],
  );
  return rows.map(toCandidate);
}

/** The first excluding segment (in the scope's order) the profile `c.profile_id` is a member of, or NULL. */
function excludedBySql(param: string): string {
  return `(SELECT x.segment_id FROM segment_memberships x
             WHERE x.profile_id = c.profile_id AND x.segment_id = ANY(${param}::uuid[])
             ORDER BY array_position(${param}::uuid[], x.segment_id) LIMIT 1)`;
}

/**
 * Removes: members the list holds that left the segment — or that may no longer be contacted
 * (suppressed, unsubscribed, consent withdrawn for the channel or not given for a category the
 * destination requires, profile deleted or merged): a
 * mirror keeps them off the vendor's list too.
 */
async function readRemoves(manager: EntityManager, scope: DiffScope, bounds: PageBounds): Promise<CandidateRow[]> {
  const rows: RawRow[] = await manager.query(
    `SELECT c.profile_id, coalesce(c.identifiers, '{}'::jsonb) AS identifiers, '{}'::jsonb AS traits, false AS gone, false AS suppressed
     FROM activation_members c LEFT JOIN profiles p ON p.id = c.profile_id
     WHERE c.activation_id = $1 AND c.state = 'present'
       AND ($3::uuid IS NULL OR c.profile_id > $3::uuid)
       AND ($4::uuid IS NULL OR c.profile_id <= $4::uuid)
       AND c.last_sync_run_id IS DISTINCT FROM $5::uuid
       AND ($9::uuid[] IS NULL OR c.profile_id = ANY($9::uuid[]))
       AND (NOT EXISTS (SELECT 1 FROM segment_memberships m WHERE m.segment_id = $2 AND m.profile_id = c.profile_id)
            OR p.id IS NULL OR p.deleted_at IS NOT NULL OR p.merged_into IS NOT NULL
            OR p.traits -> 'unsubscribed' = 'true'::jsonb
            OR p.traits -> 'consent' -> $8::text = 'false'::jsonb
            OR EXISTS (SELECT 1 FROM unnest($10::text[]) AS k(category) WHERE (p.traits -> 'consent' -> k.category) IS DISTINCT FROM 'true'::jsonb)
            OR ${SUPPRESSED_SQL.replace(/\$CHANNELS/g, '$7')}${
              scope.excludeSegmentIds.length > 0
                ? `
            OR EXISTS (SELECT 1 FROM segment_memberships x WHERE x.profile_id = c.profile_id AND x.segment_id = ANY($11::uuid[]))`
                : ''
            })
     ORDER BY c.profile_id
     LIMIT $6`,
    [
      scope.activationId,
      scope.segmentId,
      bounds.after,
      bounds.upTo,
      scope.runId,
      bounds.limit,
      scope.channels,
      scope.channel,
      scope.profileIds,
      scope.consentCategories,
      ...(scope.excludeSegmentIds.length > 0 ? [scope.excludeSegmentIds] : []),
    ],
  );
  return rows.map(toCandidate);
}

/** Re-reads given profiles (a batch being replayed after a crash, a journey step's profiles) as add candidates, whatever their state. */
export async function readProfiles(
  manager: EntityManager,
  scope: Pick<DiffScope, 'channels' | 'excludeSegmentIds'>,
  profileIds: string[],
): Promise<CandidateRow[]> {
  const rows: RawRow[] = await manager.query(
    `WITH c AS (SELECT unnest($1::uuid[]) AS profile_id)
     SELECT c.profile_id, ${IDENTIFIERS_SQL} AS identifiers, coalesce(p.traits, '{}'::jsonb) AS traits,
            (p.id IS NULL OR p.deleted_at IS NOT NULL OR p.merged_into IS NOT NULL) AS gone,
            ${SUPPRESSED_SQL.replace(/\$CHANNELS/g, '$2')} AS suppressed,
            ${scope.excludeSegmentIds.length > 0 ? excludedBySql('$3') : 'NULL::uuid'} AS excluded_by
     FROM c LEFT JOIN profiles p ON p.id = c.profile_id
     ORDER BY c.profile_id`,
    [profileIds, scope.channels, ...(scope.excludeSegmentIds.length > 0 ? [scope.excludeSegmentIds] : [])],
  );
  return rows.map(toCandidate);
}

/** Stored identifiers of members being removed (replay of a remove batch). */
export async function readHeldIdentifiers(manager: EntityManager, activationId: string, profileIds: string[]): Promise<CandidateRow[]> {
  const rows: RawRow[] = await manager.query(
    `SELECT am.profile_id, coalesce(am.identifiers, '{}'::jsonb) AS identifiers, '{}'::jsonb AS traits, false AS gone, false AS suppressed
     FROM activation_members am WHERE am.activation_id = $1 AND am.profile_id = ANY($2::uuid[]) ORDER BY am.profile_id`,
    [activationId, profileIds],
  );
  return rows.map(toCandidate);
}

interface RawRow {
  profile_id: string;
  identifiers: Record<string, string> | null;
  traits: Record<string, unknown> | null;
  gone: boolean;
  suppressed: boolean;
  redeliver?: boolean;
  excluded_by?: string | null;
}

function toCandidate(row: RawRow): CandidateRow {
  return {
    profileId: row.profile_id,
    identifiers: row.identifiers ?? {},
    traits: row.traits ?? {},
    gone: row.gone,
    suppressed: row.suppressed,
    redeliver: row.redeliver === true,
    excludedBy: row.excluded_by ?? null,
  };
}
