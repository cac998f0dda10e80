import { EntityManager } from 'typeorm';

/**
 * Every query of real-time evaluation: the hand-off rows ingestion appends (`realtime_touches`),
 * the stored due times (`realtime_due`), the started versions (`realtime_segments`), one batch of
 * profiles' state, and the writes of their membership changes. Plain functions over the caller's
 * `EntityManager`; `RealtimeEvaluator` holds the transaction and the order of the steps.
 * Golden SQL: `../__golden__/realtime.repository.sql`.
 */

// Advisory lock keys. 'realtime-set' guards the set of started real-time segments (a start takes
// it exclusively, every evaluation batch shared); 'segment-realtime:<id>' guards one segment's
// membership against its reconciliation (the refresh takes it exclusively, batches shared);
// 'realtime-profile:<id>' makes one worker at a time evaluate a profile.
const SET_LOCK = `hashtextextended('realtime-set', 0)`;

export interface LiveRealtimeSegment {
  id: string;
  key: string;
  version: number;
  definition: unknown;
  /** The version the evaluator has started (initial evaluation requested), null if none. */
  startedVersion: number | null;
}

export async function lockRealtimeSetShared(manager: EntityManager): Promise<void> {
  await manager.query(`SELECT pg_advisory_xact_lock_shared(${SET_LOCK})`);
}

export async function lockRealtimeSetExclusive(manager: EntityManager): Promise<void> {
  await manager.query(`SELECT pg_advisory_xact_lock(${SET_LOCK})`);
}

/** Shared locks on the segments' memberships, in the given (sorted) order; a reconciliation waits for them. */
export async function lockSegmentsShared(manager: EntityManager, segmentIds: string[]): Promise<void> {
  if (segmentIds.length === 0) return;
  await manager.query(
    `SELECT pg_advisory_xact_lock_shared(hashtextextended('segment-realtime:' || s.id, 0))
       FROM unnest($1::text[]) WITH ORDINALITY AS s(id, position) ORDER BY s.position`,
    [segmentIds],
  );
}

/** The reconciliation's exclusive lock on a real-time segment's membership (waits for evaluation batches). */
export async function lockSegmentExclusive(manager: EntityManager, segmentId: string): Promise<void> {
  await manager.query(`SELECT pg_advisory_xact_lock(hashtextextended('segment-realtime:' || $1, 0))`, [segmentId]);
}

/** Every live, active real-time segment with its current definition and started version. */
export async function liveRealtimeSegments(manager: EntityManager): Promise<LiveRealtimeSegment[]> {
  const rows: { id: string; key: string; version: number; definition: unknown; started_version: number | null }[] = await manager.query(
    `SELECT s.id, s.key, s.current_version AS version, v.definition, r.version AS started_version
       FROM segments s
       JOIN segment_versions v ON v.segment_id = s.id AND v.version = s.current_version
       LEFT JOIN realtime_segments r ON r.segment_id = s.id
      WHERE s.deleted_at IS NULL AND s.status = 'active' AND s.refresh_cadence = 'realtime'
      ORDER BY s.id`,
  );
  return rows.map((row) => ({ ...row, startedVersion: row.started_version }));
}

/**
 * Records a real-time segment version as started and forgets the segment's stored due times (the
 * new version computes its own). False when this version was already started (another worker).
 * The profiles are handed over once for every segment started together: `handOverForStart`.
 */
export async function startRealtimeVersion(manager: EntityManager, segmentId: string, version: number): Promise<boolean> {
  const started: unknown[] = await manager.query(
    `INSERT INTO realtime_segments (segment_id, version) VALUES ($1, $2)
       ON CONFLICT (segment_id) DO UPDATE SET version = excluded.version, started_at = now()
       WHERE realtime_segments.version <> excluded.version
       RETURNING 1`,
    [segmentId, version],
  );
  if (started.length === 0) return false;
  await manager.query(`DELETE FROM realtime_due WHERE segment_id = $1`, [segmentId]);
  return true;
}

/**
 * Hands every live profile (and every current member of the started segments) to the evaluator,
 * once per profile however many segments started, then refreshes the planner's statistics of the
 * hand-off table: a start adds a row per profile at once, and until the table is analysed again
 * (autovacuum takes up to a minute, or never when it is off) each batch's `takeTouches` would scan
 * it whole instead of using its profile index.
 */
export async function handOverForStart(manager: EntityManager, segmentIds: string[]): Promise<void> {
  await manager.query(
    `INSERT INTO realtime_touches (profile_id)
       SELECT id FROM profiles WHERE merged_into IS NULL AND deleted_at IS NULL
       UNION SELECT profile_id FROM segment_memberships WHERE segment_id = ANY($1::uuid[])`,
    [segmentIds],
  );
  await manager.query(`ANALYZE realtime_touches`);
}

export async function startedSegmentIds(manager: EntityManager): Promise<string[]> {
  const rows: { segment_id: string }[] = await manager.query(`SELECT segment_id FROM realtime_segments`);
  return rows.map((row) => row.segment_id);
}

/** Forgets the started version of segments that are no longer real time, so turning it on again starts afresh. */
export async function forgetStoppedSegments(manager: EntityManager, liveIds: string[]): Promise<void> {
  await manager.query(`DELETE FROM realtime_segments WHERE segment_id <> ALL($1::uuid[])`, [liveIds]);
}

/**
 * Profiles with work to do, without locking anything: the oldest hand-offs and the due times
 * that have come. Several workers may see the same ones; `tryLockProfiles` decides.
 */
export async function peekWork(manager: EntityManager, limit: number, now: Date): Promise<string[]> {
  const rows: { profile_id: string }[] = await manager.query(
    `SELECT profile_id FROM (SELECT profile_id FROM realtime_touches ORDER BY id LIMIT $1) t
     UNION
     SELECT profile_id FROM (SELECT profile_id FROM realtime_due WHERE due_at <= $2 ORDER BY due_at LIMIT $1) d`,
    [limit, now],
  );
  return rows.map((row) => row.profile_id);
}

/**
 * Up to `limit` of the profiles, each locked by this transaction (until it ends); another worker
 * holds the ones skipped. The LIMIT stops the scan, so no more locks are taken than used.
 */
export async function tryLockProfiles(manager: EntityManager, profileIds: string[], limit: number): Promise<string[]> {
  if (profileIds.length === 0) return [];
  const rows: { id: string }[] = await manager.query(
    `SELECT p.id FROM unnest($1::text[]) AS p(id) WHERE pg_try_advisory_xact_lock(hashtextextended('realtime-profile:' || p.id, 0)) LIMIT $2`,
    [profileIds, limit],
  );
  return rows.map((row) => row.id);
}

/** Takes every hand-off of these profiles (a burst is evaluated once); per profile the oldest hand-off time (epoch ms). */
export async function takeTouches(manager: EntityManager, profileIds: string[]): Promise<Map<string, number>> {
  const rows: { profile_id: string; first_ms: number }[] = await manager.query(
    `WITH taken AS (DELETE FROM realtime_touches WHERE profile_id = ANY($1::uuid[]) RETURNING profile_id, touched_at)
     SELECT profile_id, floor(extract(epoch FROM min(touched_at)) * 1000)::float8 AS first_ms FROM taken GROUP BY profile_id`,
    [profileIds],
  );
  return new Map(rows.map((row) => [row.profile_id, row.first_ms]));
}

/** Takes the due times of these profiles that have come; per profile the earliest (epoch ms). */
export async function takeDueTimes(manager: EntityManager, profileIds: string[], now: Date): Promise<Map<string, number>> {
  const rows: { profile_id: string; due_ms: number }[] = await manager.query(
    `WITH taken AS (DELETE FROM realtime_due WHERE profile_id = ANY($1::uuid[]) AND due_at <= $2 RETURNING profile_id, due_at)
     SELECT profile_id, floor(extract(epoch FROM min(due_at)) * 1000)::float8 AS due_ms FROM taken GROUP BY profile_id`,
    [profileIds, now],
  );
  return new Map(rows.map((row) => [row.profile_id, row.due_ms]));
}

export interface ProfileState {
  id: string;
  traits: Record<string, unknown>;
  /** Neither merged into another profile nor deleted on request. */
  live: boolean;
}

export async function profileStates(manager: EntityManager, profileIds: string[]): Promise<ProfileState[]> {
  return manager.query(`SELECT id, traits, (merged_into IS NULL AND deleted_at IS NULL) AS live FROM profiles WHERE id = ANY($1::uuid[])`, [
    profileIds,
  ]);
}

export interface ProfileEventRow {
  profile_id: string;
  name: string | null;
  /** Epoch milliseconds. */
  ts: number;
  properties: Record<string, unknown> | null;
  /** Loaded only when a definition names a message type (null otherwise). */
  type: string | null;
  /** Loaded only when a definition reads the context (null otherwise). */
  context: Record<string, unknown> | null;
}

/** What else to load, from `realtimeEventNeeds` (all off: the columns of before). */
export interface ProfileEventExtras {
  /** Load `type`. */
  types: boolean;
  /** Load `context` (it can be the largest column: only for context / near filters and location conditions). */
  context: boolean;
  /** Events of these message types whatever their name. */
  anyNameOfTypes: string[];
  /** Every event carrying `context.location`, whatever its name. */
  located: boolean;
}

const NO_EXTRAS: ProfileEventExtras = { types: false, context: false, anyNameOfTypes: [], located: false };

/**
 * The events real-time definitions can look at: of the given names (null: every name; plus the
 * types and located events of `extras`) and after `since` (null: all history), future-dated ones
 * included (they enter windows when their time comes). `type` and `context` only when asked for.
 */
export async function profileEvents(
  manager: EntityManager,
  profileIds: string[],
  names: string[] | null,
  since: Date | null,
  extras: ProfileEventExtras = NO_EXTRAS,
): Promise<ProfileEventRow[]> {
  return manager.query(
    `SELECT profile_id, name, floor(extract(epoch FROM timestamp) * 1000)::float8 AS ts, properties,
            CASE WHEN $4::boolean THEN type END AS type, CASE WHEN $5::boolean THEN context END AS context
       FROM events
      WHERE profile_id = ANY($1::uuid[])
        AND ($2::text[] IS NULL OR name = ANY($2::text[]) OR type = ANY($6::text[])
             OR ($7::boolean AND jsonb_typeof(context -> 'location') = 'object'))
        AND ($3::timestamptz IS NULL OR timestamp > $3)`,
    [profileIds, names, since, extras.types, extras.context, extras.anyNameOfTypes, extras.located],
  );
}

/** The live segments each profile is currently a member of. */
export async function membershipsOf(
  manager: EntityManager,
  profileIds: string[],
): Promise<{ profile_id: string; segment_id: string; key: string }[]> {
  return manager.query(
    `SELECT m.profile_id, m.segment_id, s.key FROM segment_memberships m JOIN segments s ON s.id = m.segment_id
      WHERE m.profile_id = ANY($1::uuid[]) AND s.deleted_at IS NULL`,
    [profileIds],
  );
}

export interface RealtimeChange {
  segmentId: string;
  segmentKey: string;
  version: number;
  profileId: string;
  change: 'added' | 'removed';
}

/**
 * Records real-time changes as refreshes record theirs, in one statement: the change history
 * (cause `realtime`, no run), the current membership, and a `Segment Entered` / `Segment Exited`
 * track event per change (message id from the change id, so never twice). Then notifies
 * `audiencekit_segment_changes` (delivered at commit) with each changed segment's id.
 */
export async function recordRealtimeChanges(manager: EntityManager, changes: RealtimeChange[], now: Date): Promise<number> {
  if (changes.length === 0) return 0;
  const [{ count }] = await manager.query(
    `WITH c AS (
       INSERT INTO segment_membership_changes (run_id, cause, segment_id, profile_id, change, version, changed_at)
       SELECT NULL, 'realtime', x.segment_id, x.profile_id, x.change, x.version, $6
         FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::int[]) AS x(segment_id, profile_id, change, version)
       RETURNING id, segment_id, profile_id, change, version
     ), keys AS (
       SELECT DISTINCT k.segment_id, k.key FROM unnest($1::uuid[], $5::text[]) AS k(segment_id, key)
     ), removed AS (
       DELETE FROM segment_memberships m USING c
        WHERE c.change = 'removed' AND m.segment_id = c.segment_id AND m.profile_id = c.profile_id
     ), added AS (
       INSERT INTO segment_memberships (segment_id, profile_id, entered_at, run_id)
       SELECT segment_id, profile_id, $6, NULL FROM c WHERE change = 'added'
       ON CONFLICT (segment_id, profile_id) DO NOTHING
     ), lifecycle AS (
       INSERT INTO events (message_id, profile_id, type, name, timestamp, properties)
       SELECT 'segment:realtime:' || c.id, c.profile_id, 'track',
              CASE c.change WHEN 'added' THEN 'Segment Entered' ELSE 'Segment Exited' END, $6,
              jsonb_build_object('segment_id', c.segment_id, 'segment_key', keys.key, 'segment_version', c.version,
                                 'cause', 'realtime', 'change_id', c.id)
         FROM c JOIN keys ON keys.segment_id = c.segment_id
       ON CONFLICT (message_id, source_id) DO NOTHING
     )
     SELECT count(*)::int AS count FROM c`,
    [
      changes.map((change) => change.segmentId),
      changes.map((change) => change.profileId),
      changes.map((change) => change.change),
      changes.map((change) => change.version),
      changes.map((change) => change.segmentKey),
      now,
    ],
  );
  await manager.query(`SELECT pg_notify('audiencekit_segment_changes', s.id) FROM (SELECT DISTINCT unnest($1::text[]) AS id) s`, [
    changes.map((change) => change.segmentId),
  ]);
  return count;
}

/**
 * Replaces the due times of these profiles (every segment) with the given ones, writing only the
 * difference: most re-evaluations leave most due times as they were, and rewriting those rows
 * (three index entries each) was the largest write of a batch. First the rows that are not in the
 * new set with the same instant go, then the new ones not already there are inserted.
 */
export async function replaceDueTimes(
  manager: EntityManager,
  profileIds: string[],
  due: { segmentId: string; profileId: string; dueAt: number }[],
): Promise<void> {
  const next = [due.map((row) => row.segmentId), due.map((row) => row.profileId), due.map((row) => row.dueAt)];
  await manager.query(
    `DELETE FROM realtime_due d
      WHERE d.profile_id = ANY($1::uuid[])
        AND NOT EXISTS (SELECT 1 FROM unnest($2::uuid[], $3::uuid[], $4::float8[]) AS n(segment_id, profile_id, due_ms)
                         WHERE n.segment_id = d.segment_id AND n.profile_id = d.profile_id AND to_timestamp(n.due_ms / 1000.0) = d.due_at)`,
    [profileIds, ...next],
  );
  if (due.length === 0) return;
  await manager.query(
    `INSERT INTO realtime_due (segment_id, profile_id, due_at)
       SELECT segment_id, profile_id, to_timestamp(due_ms / 1000.0) FROM unnest($1::uuid[], $2::uuid[], $3::float8[]) AS d(segment_id, profile_id, due_ms)
     ON CONFLICT (segment_id, profile_id) DO NOTHING`,
    next,
  );
}

/** What waits: hand-offs not yet evaluated, due times stored, and how many of those have come. */
export async function realtimeBacklog(
  manager: EntityManager,
  now: Date,
): Promise<{ touches: number; due: number; overdue: number; oldestTouchMs: number | null }> {
  const [row] = await manager.query(
    `SELECT (SELECT count(*)::int FROM realtime_touches) AS touches,
            (SELECT count(*)::int FROM realtime_due) AS due,
            (SELECT count(*)::int FROM realtime_due WHERE due_at <= $1) AS overdue,
            (SELECT floor(extract(epoch FROM min(touched_at)) * 1000)::float8 FROM realtime_touches) AS oldest_touch_ms`,
    [now],
  );
  return { touches: row.touches, due: row.due, overdue: row.overdue, oldestTouchMs: row.oldest_touch_ms };
}

/**
 * A reconciliation's corrections: its recorded changes on profiles real time had settled (no
 * hand-off waiting, no due time come by `now`). Changes on unsettled profiles are real time's
 * ordinary lag, not its mistakes.
 */
export async function countSettledCorrections(manager: EntityManager, runId: string, now: Date): Promise<number> {
  const [{ corrections }] = await manager.query(
    `SELECT count(*)::int AS corrections FROM segment_membership_changes c
      WHERE c.run_id = $1
        AND NOT EXISTS (SELECT 1 FROM realtime_touches t WHERE t.profile_id = c.profile_id)
        AND NOT EXISTS (SELECT 1 FROM realtime_due d WHERE d.profile_id = c.profile_id AND d.due_at <= $2)`,
    [runId, now],
  );
  return corrections;
}

/** Hands these profiles to real time again (the lifecycle events a batch wrote may move them). */
export async function touchProfiles(manager: EntityManager, profileIds: string[]): Promise<void> {
  await manager.query(`INSERT INTO realtime_touches (profile_id) SELECT unnest($1::uuid[])`, [profileIds]);
}

/** Hands the profiles a reconciliation changed back to real time, so their due times follow the corrected membership. */
export async function touchProfilesChangedBy(manager: EntityManager, runId: string): Promise<void> {
  await manager.query(
    `INSERT INTO realtime_touches (profile_id) SELECT DISTINCT profile_id FROM segment_membership_changes WHERE run_id = $1`,
    [runId],
  );
}
