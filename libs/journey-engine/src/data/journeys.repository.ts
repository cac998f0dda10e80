import type { EntityManager } from 'typeorm';
import type { JourneyArm, JourneyExitReason } from '@audiencekit/journeys';

/**
 * Every query of the journey engine (issue #23): the entry outbox, entries and their timers, the
 * step log, the facts a step needs, and the report's counts. Golden SQL:
 * `src/__tests__/__golden__/journeys.repository.sql`.
 */

/** A live journey's version as the engine runs it. */
export interface JourneyVersionRow {
  journeyId: string;
  key: string;
  status: string;
  version: number;
  currentVersion: number | null;
  holdoutSalt: string;
  holdoutHashVersion: number;
  definition: unknown;
}

export interface PendingEntryRow {
  id: string;
  journeyId: string;
  profileId: string;
}

export interface EntryRow {
  id: string;
  journeyId: string;
  profileId: string;
  entryNumber: number;
  version: number;
  arm: JourneyArm;
  enteredAt: Date;
  stepIndex: number;
  state: 'active' | 'waiting' | 'done';
  dueAt: Date | null;
  waitStartedAt: Date | null;
}

export interface NewEntry {
  journeyId: string;
  profileId: string;
  entryNumber: number;
  version: number;
  arm: JourneyArm;
  enteredAt: Date;
  dueAt: Date;
  state: 'active' | 'waiting';
}

/**
 * The versions a set of (journey, version) pairs name, with the journey's card fields. With
 * `lockStatus` the journeys' rows are read FOR SHARE: a round decides by the status it read, and a
 * status change (paused → live releases held entries by trigger) waits for the round to commit.
 */
export async function journeyVersions(
  manager: EntityManager,
  pairs: { journeyId: string; version: number | null }[],
  options: { lockStatus?: boolean } = {},
): Promise<JourneyVersionRow[]> {
  if (pairs.length === 0) return [];
  const rows: RawVersion[] = await manager.query(
    `SELECT j.id AS journey_id, j.key, j.status, v.version, j.current_version, j.holdout_salt, j.holdout_hash_version, v.definition
     FROM unnest($1::uuid[], $2::int[]) AS r(journey_id, version)
     JOIN journeys j ON j.id = r.journey_id
     JOIN journey_versions v ON v.journey_id = j.id AND v.version = coalesce(r.version, j.current_version)${options.lockStatus ? '\n     ORDER BY j.id FOR SHARE OF j' : ''}`,
    [pairs.map((pair) => pair.journeyId), pairs.map((pair) => pair.version)],
  );
  return rows.map((row) => ({
    journeyId: row.journey_id,
    key: row.key,
    status: row.status,
    version: row.version,
    currentVersion: row.current_version,
    holdoutSalt: row.holdout_salt,
    holdoutHashVersion: row.holdout_hash_version,
    definition: row.definition,
  }));
}

/**
 * Takes up to `limit` rows of the entry outbox (another worker's are skipped) and deletes them, in
 * the caller's transaction: committed together with the entries they became.
 */
export async function takePendingEntries(tx: EntityManager, limit: number): Promise<PendingEntryRow[]> {
  const [rows]: [{ id: string; journey_id: string; profile_id: string }[], number] = await tx.query(
    `DELETE FROM journey_pending_entries WHERE id IN (
       SELECT id FROM journey_pending_entries ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)
     RETURNING id, journey_id, profile_id`,
    [limit],
  );
  return rows
    .map((row) => ({ id: row.id, journeyId: row.journey_id, profileId: row.profile_id }))
    .sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
}

/** Queues the current members of the journey's entry segment as entries (a journey made live over an existing audience). */
export async function enqueueCurrentMembers(manager: EntityManager, journeyId: string, segmentId: string): Promise<number> {
  const rows: unknown[] = await manager.query(
    `INSERT INTO journey_pending_entries (journey_id, profile_id, change_id)
     SELECT $1, m.profile_id, NULL FROM segment_memberships m WHERE m.segment_id = $2 ORDER BY m.profile_id
     RETURNING id`,
    [journeyId, segmentId],
  );
  return rows.length;
}

/** The latest entry of each (journey, profile) pair, locked against a concurrent intake of the same pair by the unique key. */
export async function latestEntries(
  tx: EntityManager,
  pairs: { journeyId: string; profileId: string }[],
): Promise<Map<string, { entryNumber: number; enteredAt: Date; state: string }>> {
  if (pairs.length === 0) return new Map();
  const rows: { journey_id: string; profile_id: string; entry_number: number; entered_at: Date; state: string }[] = await tx.query(
    `SELECT DISTINCT ON (e.journey_id, e.profile_id) e.journey_id, e.profile_id, e.entry_number, e.entered_at, e.state
     FROM journey_entries e JOIN unnest($1::uuid[], $2::uuid[]) AS r(journey_id, profile_id)
       ON e.journey_id = r.journey_id AND e.profile_id = r.profile_id
     ORDER BY e.journey_id, e.profile_id, e.entry_number DESC`,
    [pairs.map((pair) => pair.journeyId), pairs.map((pair) => pair.profileId)],
  );
  return new Map(
    rows.map((row) => [pairKey(row.journey_id, row.profile_id), { entryNumber: row.entry_number, enteredAt: row.entered_at, state: row.state }]),
  );
}

export function pairKey(journeyId: string, profileId: string): string {
  return `${journeyId}:${profileId}`;
}

/** Inserts entries; a (journey, profile, number) another worker inserted first is skipped. Returns the ids inserted. */
export async function insertEntries(tx: EntityManager, entries: NewEntry[]): Promise<string[]> {
  if (entries.length === 0) return [];
  const rows: { id: string }[] = await tx.query(
    `INSERT INTO journey_entries (journey_id, profile_id, entry_number, version, arm, entered_at, due_at, state)
     SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::int[], $4::int[], $5::text[], $6::timestamptz[], $7::timestamptz[], $8::text[])
     ON CONFLICT (journey_id, profile_id, entry_number) DO NOTHING
     RETURNING id`,
    [
      entries.map((entry) => entry.journeyId),
      entries.map((entry) => entry.profileId),
      entries.map((entry) => entry.entryNumber),
      entries.map((entry) => entry.version),
      entries.map((entry) => entry.arm),
      entries.map((entry) => entry.enteredAt),
      entries.map((entry) => entry.dueAt),
      entries.map((entry) => entry.state),
    ],
  );
  return rows.map((row) => row.id);
}

/**
 * Claims up to `limit` entries due at `now` (active or waiting), by the partial index on `due_at`,
 * locked FOR UPDATE SKIP LOCKED: two workers never claim the same entry.
 */
export async function claimDueEntries(tx: EntityManager, now: Date, limit: number): Promise<EntryRow[]> {
  const rows: RawEntry[] = await tx.query(
    `SELECT id, journey_id, profile_id, entry_number, version, arm, entered_at, step_index, state, due_at, wait_started_at
     FROM journey_entries
     WHERE state IN ('active', 'waiting') AND due_at <= $1
     ORDER BY due_at
     LIMIT $2
     FOR UPDATE SKIP LOCKED`,
    [now, limit],
  );
  return rows.map(toEntry);
}

/** Which of these (entry, event, since) triples have an event of that name for the entry's profile at or after `since`. */
export async function eventsSeen(
  manager: EntityManager,
  checks: { key: string; profileId: string; event: string; since: Date }[],
): Promise<Set<string>> {
  if (checks.length === 0) return new Set();
  const rows: { key: string }[] = await manager.query(
    `SELECT r.key FROM unnest($1::text[], $2::uuid[], $3::text[], $4::timestamptz[]) AS r(key, profile_id, event, since)
     WHERE EXISTS (SELECT 1 FROM events e WHERE e.profile_id = r.profile_id AND e.name = r.event AND e.timestamp >= r.since)`,
    [checks.map((check) => check.key), checks.map((check) => check.profileId), checks.map((check) => check.event), checks.map((check) => check.since)],
  );
  return new Set(rows.map((row) => row.key));
}

/** Which of these (key, profile, segment) triples are current memberships. */
export async function membershipsHeld(manager: EntityManager, checks: { key: string; profileId: string; segmentId: string }[]): Promise<Set<string>> {
  if (checks.length === 0) return new Set();
  const rows: { key: string }[] = await manager.query(
    `SELECT r.key FROM unnest($1::text[], $2::uuid[], $3::uuid[]) AS r(key, profile_id, segment_id)
     WHERE EXISTS (SELECT 1 FROM segment_memberships m WHERE m.segment_id = r.segment_id AND m.profile_id = r.profile_id)`,
    [checks.map((check) => check.key), checks.map((check) => check.profileId), checks.map((check) => check.segmentId)],
  );
  return new Set(rows.map((row) => row.key));
}

/** A new position for an entry (a wait started or slept, a move, a step's lease while it is at the vendor). */
export interface EntryUpdate {
  id: string;
  stepIndex: number;
  state: 'active' | 'waiting';
  dueAt: Date;
  waitStartedAt: Date | null;
  waitingEvent: string | null;
}

/** Moves entries; a move also ends a hold (`held_since` cleared: the journey is live again). */
export async function moveEntries(tx: EntityManager, updates: EntryUpdate[]): Promise<void> {
  if (updates.length === 0) return;
  await tx.query(
    `UPDATE journey_entries e SET step_index = u.step_index, state = u.state, due_at = u.due_at, wait_started_at = u.wait_started_at,
            waiting_event = u.waiting_event, held_since = NULL
     FROM unnest($1::uuid[], $2::int[], $3::text[], $4::timestamptz[], $5::timestamptz[], $6::text[])
       AS u(id, step_index, state, due_at, wait_started_at, waiting_event)
     WHERE e.id = u.id`,
    [
      updates.map((update) => update.id),
      updates.map((update) => update.stepIndex),
      updates.map((update) => update.state),
      updates.map((update) => update.dueAt),
      updates.map((update) => update.waitStartedAt),
      updates.map((update) => update.waitingEvent),
    ],
  );
}

/**
 * Holds entries of a paused journey where they are (position, wait, awaited event untouched):
 * due again at `until` (a lease ahead: the safety net if the status is changed without the
 * trigger), and marked `held_since` (kept from the first hold) so that making the journey live
 * again sets them due at once (the trigger of migration 1797100100000, by `idx_journey_entries_held`).
 */
export async function holdEntries(tx: EntityManager, ids: string[], until: Date, now: Date): Promise<void> {
  if (ids.length === 0) return;
  await tx.query(`UPDATE journey_entries SET due_at = $2, held_since = coalesce(held_since, $3) WHERE id = ANY($1::uuid[])`, [ids, until, now]);
}

export interface EntryExit {
  id: string;
  reason: JourneyExitReason;
  detail: string | null;
  at: Date;
}

const OUTCOME_OF_EXIT: Record<JourneyExitReason, string> = { goal_reached: 'goal_reached', completed: 'completed', exit_step: 'exited' };

/** Ends entries: state `done`, the outcome (`exit_step` is stored `exited` with the step id as detail), no timer. */
export async function exitEntries(tx: EntityManager, exits: EntryExit[]): Promise<void> {
  if (exits.length === 0) return;
  await tx.query(
    `UPDATE journey_entries e SET state = 'done', outcome = x.outcome, outcome_detail = x.detail, exited_at = x.at, due_at = NULL,
            waiting_event = NULL, held_since = NULL
     FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[]) AS x(id, outcome, detail, at)
     WHERE e.id = x.id`,
    [exits.map((exit) => exit.id), exits.map((exit) => OUTCOME_OF_EXIT[exit.reason]), exits.map((exit) => exit.detail), exits.map((exit) => exit.at)],
  );
}

export interface StepLogRow {
  entryId: string;
  journeyId: string;
  stepId: string;
  outcome: string;
  deliveryKey: string | null;
  detail: string | null;
  at: Date;
}

/**
 * Writes step log rows; a row already there (UNIQUE entry + step: the step ran, or is in flight)
 * is left as it is. Returns the (entry, step) keys written.
 */
export async function logSteps(tx: EntityManager, rows: StepLogRow[]): Promise<Set<string>> {
  if (rows.length === 0) return new Set();
  const written: { entry_id: string; step_id: string }[] = await tx.query(
    `INSERT INTO journey_step_log (entry_id, journey_id, step_id, outcome, delivery_key, detail, at, completed_at)
     SELECT r.entry_id, r.journey_id, r.step_id, r.outcome, r.delivery_key, r.detail, r.at, CASE WHEN r.outcome = 'in_flight' THEN NULL ELSE r.at END
     FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[])
       AS r(entry_id, journey_id, step_id, outcome, delivery_key, detail, at)
     ON CONFLICT (entry_id, step_id) DO NOTHING
     RETURNING entry_id, step_id`,
    [
      rows.map((row) => row.entryId),
      rows.map((row) => row.journeyId),
      rows.map((row) => row.stepId),
      rows.map((row) => row.outcome),
      rows.map((row) => row.deliveryKey),
      rows.map((row) => row.detail),
      rows.map((row) => row.at),
    ],
  );
  return new Set(written.map((row) => stepKey(row.entry_id, row.step_id)));
}

export function stepKey(entryId: string, stepId: string): string {
  return `${entryId}:${stepId}`;
}

/** The step log rows of (entry, step) pairs: what a replay needs (outcome, delivery key). */
export async function loggedSteps(
  manager: EntityManager,
  pairs: { entryId: string; stepId: string }[],
): Promise<Map<string, { outcome: string; deliveryKey: string | null }>> {
  if (pairs.length === 0) return new Map();
  const rows: { entry_id: string; step_id: string; outcome: string; delivery_key: string | null }[] = await manager.query(
    `SELECT l.entry_id, l.step_id, l.outcome, l.delivery_key
     FROM journey_step_log l JOIN unnest($1::uuid[], $2::text[]) AS r(entry_id, step_id) ON l.entry_id = r.entry_id AND l.step_id = r.step_id`,
    [pairs.map((pair) => pair.entryId), pairs.map((pair) => pair.stepId)],
  );
  return new Map(rows.map((row) => [stepKey(row.entry_id, row.step_id), { outcome: row.outcome, deliveryKey: row.delivery_key }]));
}

/** Gives in-flight step rows their outcome (after the vendor answered, or a filter skipped the member). */
export async function completeSteps(tx: EntityManager, rows: { entryId: string; stepId: string; outcome: string; detail: string | null; at: Date }[]): Promise<void> {
  if (rows.length === 0) return;
  await tx.query(
    `UPDATE journey_step_log l SET outcome = r.outcome, detail = r.detail, completed_at = r.at
     FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::timestamptz[]) AS r(entry_id, step_id, outcome, detail, at)
     WHERE l.entry_id = r.entry_id AND l.step_id = r.step_id AND l.outcome = 'in_flight'`,
    [rows.map((row) => row.entryId), rows.map((row) => row.stepId), rows.map((row) => row.outcome), rows.map((row) => row.detail), rows.map((row) => row.at)],
  );
}

/** The external audience of a journey's audience step, if `ensureAudience` answered before. */
export async function journeyAudience(manager: EntityManager, journeyId: string, stepId: string): Promise<string | null> {
  const [row] = await manager.query(`SELECT external_audience_id FROM journey_audiences WHERE journey_id = $1 AND step_id = $2`, [journeyId, stepId]);
  return row?.external_audience_id ?? null;
}

export async function saveJourneyAudience(manager: EntityManager, input: { journeyId: string; stepId: string; destinationId: string; externalAudienceId: string }): Promise<void> {
  await manager.query(
    `INSERT INTO journey_audiences (journey_id, step_id, destination_id, external_audience_id) VALUES ($1, $2, $3, $4)
     ON CONFLICT (journey_id, step_id) DO UPDATE SET destination_id = EXCLUDED.destination_id, external_audience_id = EXCLUDED.external_audience_id`,
    [input.journeyId, input.stepId, input.destinationId, input.externalAudienceId],
  );
}

/** A count of step log rows: one step (every version), one outcome, and for `skipped` the filter's verdict. */
export interface StepOutcomeCount {
  stepId: string;
  outcome: string;
  /**
   * For `skipped` rows, the pre-send filter's verdict: the delivery core writes the detail as
   * `<verdict>: <reason>` (libs/activation-engine's eligibility: `suppressed`, `heldOutGlobal`,
   * `heldOutActivation`, `invalid`, …); null for every other outcome.
   */
  verdict: string | null;
  count: number;
}

/** Per step of a journey (every version): step log rows by outcome, `skipped` ones by verdict too. */
export async function stepOutcomeCounts(manager: EntityManager, journeyId: string): Promise<StepOutcomeCount[]> {
  const rows: { step_id: string; outcome: string; verdict: string | null; count: number }[] = await manager.query(
    `SELECT step_id, outcome, CASE WHEN outcome = 'skipped' THEN split_part(detail, ':', 1) END AS verdict, count(*)::int AS count
     FROM journey_step_log WHERE journey_id = $1 GROUP BY step_id, outcome, verdict ORDER BY step_id, outcome, verdict`,
    [journeyId],
  );
  return rows.map((row) => ({ stepId: row.step_id, outcome: row.outcome, verdict: row.verdict, count: row.count }));
}

/** Entries of a journey by version, arm, state, outcome and (for those in flight) step index. */
export async function entryCounts(
  manager: EntityManager,
  journeyId: string,
): Promise<{ version: number; arm: JourneyArm; state: string; outcome: string | null; stepIndex: number; count: number }[]> {
  const rows: { version: number; arm: JourneyArm; state: string; outcome: string | null; step_index: number; count: number }[] =
    await manager.query(
      `SELECT version, arm, state, outcome, step_index, count(*)::int AS count FROM journey_entries WHERE journey_id = $1
       GROUP BY version, arm, state, outcome, step_index ORDER BY version, arm, state, outcome, step_index`,
      [journeyId],
    );
  return rows.map((row) => ({ version: row.version, arm: row.arm, state: row.state, outcome: row.outcome, stepIndex: row.step_index, count: row.count }));
}

/**
 * The lift's inputs, per arm (treatment, control): entries whose goal window has closed by `now`
 * (so both arms are measured over the same window), and of those, entries with a goal event
 * within `withinDays` of entry. Goal events are read by the (profile, name, timestamp) index.
 */
export async function goalConversions(
  manager: EntityManager,
  input: { journeyId: string; goalEvent: string; withinDays: number; now: Date },
): Promise<{ arm: JourneyArm; entries: number; conversions: number; firstEnteredAt: Date | null }[]> {
  const rows: { arm: JourneyArm; entries: number; conversions: number; first_entered_at: Date | null }[] = await manager.query(
    `SELECT e.arm, count(*)::int AS entries, min(e.entered_at) AS first_entered_at,
            count(*) FILTER (WHERE EXISTS (
              SELECT 1 FROM events ev WHERE ev.profile_id = e.profile_id AND ev.name = $2
                AND ev.timestamp >= e.entered_at AND ev.timestamp < e.entered_at + make_interval(days => $3::int)))::int AS conversions
     FROM journey_entries e
     WHERE e.journey_id = $1 AND e.arm IN ('treatment', 'control') AND e.entered_at + make_interval(days => $3::int) <= $4
     GROUP BY e.arm ORDER BY e.arm`,
    [input.journeyId, input.goalEvent, input.withinDays, input.now],
  );
  return rows.map((row) => ({ arm: row.arm, entries: row.entries, conversions: row.conversions, firstEnteredAt: row.first_entered_at }));
}

interface RawVersion {
  journey_id: string;
  key: string;
  status: string;
  version: number;
  current_version: number | null;
  holdout_salt: string;
  holdout_hash_version: number;
  definition: unknown;
}

interface RawEntry {
  id: string;
  journey_id: string;
  profile_id: string;
  entry_number: number;
  version: number;
  arm: JourneyArm;
  entered_at: Date;
  step_index: number;
  state: 'active' | 'waiting' | 'done';
  due_at: Date | null;
  wait_started_at: Date | null;
}

function toEntry(row: RawEntry): EntryRow {
  return {
    id: row.id,
    journeyId: row.journey_id,
    profileId: row.profile_id,
    entryNumber: row.entry_number,
    version: row.version,
    arm: row.arm,
    enteredAt: row.entered_at,
    stepIndex: row.step_index,
    state: row.state,
    dueAt: row.due_at,
    waitStartedAt: row.wait_started_at,
  };
}
