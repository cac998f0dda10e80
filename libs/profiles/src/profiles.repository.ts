import type { EntityManager } from 'typeorm';

/** Every SQL statement of libs/profiles (golden-tested in src/__golden__/profiles.repository.sql). */

/** How many merges a lookup follows before it gives up (a chain longer than this is a data bug). */
const MAX_MERGE_DEPTH = 50;

/** The profile an identifier (already normalised) resolves to, merged or not. */
export async function profileIdByIdentity(manager: EntityManager, type: string, value: string): Promise<string | undefined> {
  const rows: { profile_id: string }[] = await manager.query(`SELECT profile_id FROM identities WHERE type = $1 AND value = $2`, [
    type,
    value,
  ]);
  return rows[0]?.profile_id;
}

/** Follows `merged_into` from a profile to the profile that absorbed it in the end (itself when never merged). */
export async function mergeWinnerOf(manager: EntityManager, profileId: string): Promise<string | undefined> {
  const rows: { id: string }[] = await manager.query(
    `WITH RECURSIVE chain AS (
       SELECT id, merged_into, 0 AS depth FROM profiles WHERE id = $1
       UNION ALL
       SELECT p.id, p.merged_into, c.depth + 1 FROM profiles p JOIN chain c ON p.id = c.merged_into WHERE c.depth < $2
     )
     SELECT id FROM chain WHERE merged_into IS NULL`,
    [profileId, MAX_MERGE_DEPTH],
  );
  return rows[0]?.id;
}

export interface ProfileRow {
  id: string;
  traits: Record<string, unknown>;
  trait_timestamps: Record<string, string>;
  first_seen_at: Date | null;
  last_seen_at: Date | null;
  deleted_at: Date | null;
  created_at: Date;
}

export async function profileRow(manager: EntityManager, profileId: string): Promise<ProfileRow | undefined> {
  const rows: ProfileRow[] = await manager.query(
    `SELECT id, traits, trait_timestamps, first_seen_at, last_seen_at, deleted_at, created_at FROM profiles WHERE id = $1`,
    [profileId],
  );
  return rows[0];
}

export interface IdentityRow {
  type: string;
  value: string;
  created_at: Date;
}

export async function identitiesOf(manager: EntityManager, profileId: string): Promise<IdentityRow[]> {
  return manager.query(`SELECT type, value, created_at FROM identities WHERE profile_id = $1 ORDER BY type, created_at, value`, [
    profileId,
  ]);
}

/**
 * The identify events that set the profile's traits: those whose time is one of the trait times
 * (`trait_timestamps` holds the event time of each value held). The service picks, per trait, the
 * one that carries the trait. Merged profiles' events were moved to the winner, so they are here.
 */
export async function identifiesAt(
  manager: EntityManager,
  profileId: string,
  times: string[],
): Promise<{ message_id: string; source_id: string | null; timestamp: Date; traits: Record<string, unknown> | null }[]> {
  return manager.query(
    `SELECT message_id, source_id, timestamp, properties AS traits FROM events
      WHERE profile_id = $1 AND type = 'identify' AND timestamp = ANY($2::timestamptz[])
      ORDER BY timestamp DESC, id DESC`,
    [profileId, times],
  );
}

export interface EventRow {
  id: string;
  message_id: string;
  type: string;
  name: string | null;
  timestamp: Date;
  received_at: Date;
  properties: Record<string, unknown>;
  source_id: string | null;
}

export interface EventsFilter {
  name?: string;
  from?: Date;
  to?: Date;
  limit: number;
  offset: number;
}

/** The profile's events, newest first, filtered by name and a time range [from, to); one extra row tells if there is more. */
export async function eventsPage(manager: EntityManager, profileId: string, filter: EventsFilter): Promise<EventRow[]> {
  return manager.query(
    `SELECT id, message_id, type, name, timestamp, received_at, properties, source_id FROM events
      WHERE profile_id = $1 AND ($2::text IS NULL OR name = $2)
        AND ($3::timestamptz IS NULL OR timestamp >= $3) AND ($4::timestamptz IS NULL OR timestamp < $4)
      ORDER BY timestamp DESC, id DESC LIMIT $5 OFFSET $6`,
    [profileId, filter.name ?? null, filter.from ?? null, filter.to ?? null, filter.limit + 1, filter.offset],
  );
}

export interface MembershipRow {
  segment_id: string;
  key: string;
  name: string;
  refresh_cadence: string;
  current_version: number;
  entered_at: Date;
  run_id: string | null;
  cause: 'refresh' | 'realtime' | null;
  version: number | null;
  changed_at: Date | null;
}

/**
 * Current memberships with the change that added each: its cause (a refresh run or real time) and
 * the version it was made under (null when the membership predates the change history).
 */
export async function membershipsOf(manager: EntityManager, profileId: string): Promise<MembershipRow[]> {
  return manager.query(
    `SELECT m.segment_id, s.key, s.name, s.refresh_cadence, s.current_version, m.entered_at, m.run_id,
            c.cause, c.version, c.changed_at
       FROM segment_memberships m
       JOIN segments s ON s.id = m.segment_id AND s.deleted_at IS NULL
       LEFT JOIN LATERAL (
         SELECT cause, version, changed_at FROM segment_membership_changes
          WHERE segment_id = m.segment_id AND profile_id = m.profile_id AND change = 'added'
          ORDER BY changed_at DESC, id DESC LIMIT 1
       ) c ON true
      WHERE m.profile_id = $1
      ORDER BY s.key`,
    [profileId],
  );
}

export interface ActivationRow {
  id: string;
  name: string;
  segment_id: string;
  segment_key: string;
  mode: string;
  status: string;
  holdout_share: number;
  holdout_salt: string;
  holdout_hash_version: number;
  exposed_arm: string | null;
  exposed_at: Date | null;
}

/** Every activation of a live segment, with the arm recorded for the profile when a sync considered it. */
export async function activationsFor(manager: EntityManager, profileId: string): Promise<ActivationRow[]> {
  return manager.query(
    `SELECT a.id, a.name, a.segment_id, s.key AS segment_key, a.mode, a.status, a.holdout_share, a.holdout_salt,
            a.holdout_hash_version, x.arm AS exposed_arm, x.exposed_at
       FROM activations a
       JOIN segments s ON s.id = a.segment_id AND s.deleted_at IS NULL
       LEFT JOIN activation_exposures x ON x.activation_id = a.id AND x.profile_id = $1
      ORDER BY a.created_at, a.id`,
    [profileId],
  );
}

export async function globalHoldout(manager: EntityManager): Promise<{ share: number; salt: string; hash_version: number } | undefined> {
  const rows = await manager.query(`SELECT share, salt, hash_version FROM global_holdout WHERE id = 1`);
  return rows[0];
}

export interface SuppressionRow {
  identifier_type: string;
  identifier_value: string;
  channel: string;
  reason: string;
  created_at: Date;
}

/** Suppressions of any of the identifiers (type, value pairs). */
export async function suppressionsOf(manager: EntityManager, identifiers: { type: string; value: string }[]): Promise<SuppressionRow[]> {
  return manager.query(
    `SELECT s.identifier_type, s.identifier_value, s.channel, s.reason, s.created_at
       FROM suppressions s JOIN unnest($1::text[], $2::text[]) AS i(type, value)
         ON s.identifier_type = i.type AND s.identifier_value = i.value
      ORDER BY s.created_at, s.id`,
    [identifiers.map((identifier) => identifier.type), identifiers.map((identifier) => identifier.value)],
  );
}

/** The profiles merged into this one, directly or through another (the merge time is their last update). */
export async function mergedInto(
  manager: EntityManager,
  profileId: string,
): Promise<{ id: string; merged_into: string; merged_at: Date; depth: number }[]> {
  return manager.query(
    `WITH RECURSIVE merged AS (
       SELECT id, merged_into, updated_at, 1 AS depth FROM profiles WHERE merged_into = $1
       UNION ALL
       SELECT p.id, p.merged_into, p.updated_at, m.depth + 1 FROM profiles p JOIN merged m ON p.merged_into = m.id WHERE m.depth < $2
     )
     SELECT id, merged_into, updated_at AS merged_at, depth FROM merged ORDER BY depth, updated_at, id`,
    [profileId, MAX_MERGE_DEPTH],
  );
}

export interface SegmentRow {
  id: string;
  key: string;
  name: string;
  refresh_cadence: string;
  version: number;
  definition: Record<string, unknown>;
  model: Record<string, unknown> | null;
}

/** A live segment by id or key, with its current version's definition and stored model. */
export async function segmentByIdOrKey(manager: EntityManager, idOrKey: string, isId: boolean): Promise<SegmentRow | undefined> {
  const rows: SegmentRow[] = await manager.query(
    `SELECT s.id, s.key, s.name, s.refresh_cadence, s.current_version AS version, v.definition, v.model
       FROM segments s JOIN segment_versions v ON v.segment_id = s.id AND v.version = s.current_version
      WHERE s.deleted_at IS NULL AND ${isId ? 's.id = $1::uuid' : 's.key = $1'}`,
    [idOrKey],
  );
  return rows[0];
}

/** What else explain loads, as the real-time evaluator does (`realtimeEventNeeds`; all off: name, time and properties only). */
export interface EvaluationEventExtras {
  /** Load `type`: a condition names a message type. */
  types: boolean;
  /** Load `context`: a context or near filter, or a location condition. */
  context: boolean;
  /** Events of these message types whatever their name (`page` / `screen` conditions without an event name). */
  anyNameOfTypes: string[];
  /** Every event carrying an object `context.location`, whatever its name (location conditions). */
  located: boolean;
}

const NO_EXTRAS: EvaluationEventExtras = { types: false, context: false, anyNameOfTypes: [], located: false };

/**
 * The profile's events of the given names (null: all; plus the types and located events of
 * `extras`), after `since` (null: all history), future-dated ones included; `type` and `context`
 * only when asked for (null otherwise).
 */
export async function eventsForEvaluation(
  manager: EntityManager,
  profileId: string,
  names: string[] | null,
  since: Date | null,
  extras: EvaluationEventExtras = NO_EXTRAS,
): Promise<
  {
    name: string | null;
    ts: number;
    properties: Record<string, unknown> | null;
    type: string | null;
    context: Record<string, unknown> | null;
  }[]
> {
  return manager.query(
    `SELECT name, floor(extract(epoch FROM timestamp) * 1000)::float8 AS ts, properties,
            CASE WHEN $4::boolean THEN type END AS type, CASE WHEN $5::boolean THEN context END AS context
       FROM events
      WHERE profile_id = $1
        AND ($2::text[] IS NULL OR name = ANY($2::text[]) OR type = ANY($6::text[])
             OR ($7::boolean AND jsonb_typeof(context -> 'location') = 'object'))
        AND ($3::timestamptz IS NULL OR timestamp > $3)`,
    [profileId, names, since, extras.types, extras.context, extras.anyNameOfTypes, extras.located],
  );
}

/** Is the profile a current member of the segment (the stored membership, whoever wrote it)? */
export async function isMember(manager: EntityManager, segmentId: string, profileId: string): Promise<boolean> {
  const rows = await manager.query(`SELECT 1 FROM segment_memberships WHERE segment_id = $1 AND profile_id = $2`, [segmentId, profileId]);
  return rows.length > 0;
}

/** One profile's row of a population query (RFM scores, model features): the query wrapped and filtered. */
/** The rows of a compiled query from libs/segments-domain (e.g. one profile's orders from `compileClvOrdersSql`). */
export async function rowsOfQuery(manager: EntityManager, query: { text: string; values: unknown[] }): Promise<Record<string, unknown>[]> {
  return manager.query(query.text, query.values);
}

export async function rowOfProfile(
  manager: EntityManager,
  query: { text: string; values: unknown[] },
  profileId: string,
): Promise<Record<string, unknown> | undefined> {
  const rows = await manager.query(`SELECT * FROM (${query.text}) q WHERE q.profile_id = $${query.values.length + 1}`, [
    ...query.values,
    profileId,
  ]);
  return rows[0];
}
