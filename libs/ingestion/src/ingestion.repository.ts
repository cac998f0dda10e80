import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { QueryRunner } from 'typeorm';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { Identifier, IdentifierCounts, identifierKey, IdentifierType, TraitState } from '@audiencekit/identity';

export interface LockedProfile {
  id: string;
  mergedInto: string | null;
  firstSeenAt: Date | null;
  lastSeenAt: Date | null;
  /** Only for the profiles whose traits were asked for. */
  traits?: TraitState;
}

export interface ProfileWrite {
  id: string;
  /** Undefined when the traits do not change. */
  traits?: TraitState;
  firstSeenAt: Date | null;
  lastSeenAt: Date | null;
}

/** What one stitching plan writes (see `writeStitching`). */
export interface StitchingWrites {
  newProfiles: ProfileWrite[];
  newIdentities: (Identifier & { profileId: string })[];
  /** Existing profiles that merge: the loser points at the winner. */
  merges: { loser: string; winner: string }[];
  /** Traits and seen times of profiles this transaction has locked. */
  updates: ProfileWrite[];
}

/** A query function: a transaction's QueryRunner, or the DataSource for reads outside one. */
export interface Queryable {
  query(sql: string, parameters?: unknown[]): Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/**
 * One event as a line of COPY text, split around the profile id (decided inside the transaction):
 * everything else is escaped and joined before the transaction starts.
 */
export interface EventLine {
  messageId: string;
  /** `message_id` column, escaped. */
  head: string;
  /** The columns after `profile_id`, escaped and tab-separated, with the newline. */
  tail: string;
}

// First keys of the two-key advisory locks ingestion takes (ASCII "id", "ig"). Other features use
// other first keys or the one-key form, which never collides with the two-key form.
const IDENTIFIER_LOCK_SPACE = 0x6964;
const CREATION_GATE_SPACE = 0x6967;
const MAX_IDENTIFIER_LOCKS = 256;

/**
 * The owner of each wanted identifier, one probe of the unique index per identifier. A plain join
 * lets the planner hash the whole identities table instead whenever it believes the table small
 * (a young, fast-growing table: autovacuum's statistics lag behind), which turned each lookup into
 * a scan growing with the table. The LIMIT keeps the subquery from being flattened into a join.
 */
const OWNER_BY_KEY = `CROSS JOIN LATERAL (SELECT profile_id FROM identities WHERE type = wanted.type AND value = wanted.value LIMIT 1) AS i`;

/**
 * Every statement of ingestion, on the connection of one transaction. Sets of rows travel as one
 * parameter each (arrays, or a JSON array read with json_to_recordset), so a batch of 2,500 events
 * is a handful of statements, not thousands.
 */
export class IngestionRepository {
  constructor(private readonly runner: QueryRunner | Queryable) {}

  /**
   * In one round trip, before the transaction: which of the given message ids are already stored
   * (client retries, skipped) — as `dedupeKey`s (source and messageId), of every source, for the
   * caller to match against its own — and the stored owner of each identifier.
   */
  async storedAndOwners(messageIds: string[], identifiers: Identifier[]): Promise<{ stored: Set<string>; owners: Map<string, string> }> {
    if (messageIds.length === 0 && identifiers.length === 0) return { stored: new Set(), owners: new Map() };
    const rows: { kind: 'stored' | 'owner'; key: string; profile_id: string | null }[] = await this.runner.query(
      `SELECT 'stored' AS kind, coalesce(source_id::text, '') || '|' || message_id AS key, NULL::uuid AS profile_id FROM events WHERE message_id = ANY($1::text[])
       UNION ALL
       SELECT 'owner', wanted.type || ':' || wanted.value, i.profile_id
         FROM unnest($2::text[], $3::text[]) AS wanted(type, value)
         ${OWNER_BY_KEY}`,
      [messageIds, identifiers.map((identifier) => identifier.type), identifiers.map((identifier) => identifier.value)],
    );
    const stored = new Set<string>();
    const owners = new Map<string, string>();
    for (const row of rows) {
      if (row.kind === 'stored') stored.add(row.key);
      else if (row.profile_id) owners.set(row.key, row.profile_id);
    }
    return { stored, owners };
  }

  /** identifierKey → profile id for the identifiers already stored. */
  async findOwners(identifiers: Identifier[]): Promise<Map<string, string>> {
    const owners = new Map<string, string>();
    if (identifiers.length === 0) return owners;
    const rows: { type: string; value: string; profile_id: string }[] = await this.runner.query(
      `SELECT wanted.type, wanted.value, i.profile_id
         FROM unnest($1::text[], $2::text[]) AS wanted(type, value)
         ${OWNER_BY_KEY}`,
      [identifiers.map((identifier) => identifier.type), identifiers.map((identifier) => identifier.value)],
    );
    for (const row of rows) owners.set(`${row.type}:${row.value}`, row.profile_id);
    return owners;
  }

  /**
   * Makes the planner use the indexes for the rest of this transaction. Every statement of an
   * ingestion transaction reaches its rows by key (ids, identifiers, profile ids), a handful of
   * rows out of tables that may hold millions; but on young, fast-growing tables the planner's
   * statistics lag behind, and it chose sequential scans and hash joins over whole tables (seen
   * in the plans of `npm run bench -- ingest`, at a cost growing with the tables). `set_config(…,
   * true)` is SET LOCAL: it ends with the transaction, and the pool's other users never see it.
   */
  async useKeyAccessPlans(): Promise<void> {
    await this.runner.query(
      `SELECT set_config('enable_seqscan', 'off', true), set_config('enable_hashjoin', 'off', true), set_config('enable_mergejoin', 'off', true)`,
    );
  }

  /**
   * Serialises the creation of the given (so far unknown) identifiers across concurrent batches,
   * so two batches never create two profiles for one new person: a transaction-scoped advisory
   * lock per identifier (keyed by its 32-bit hash), taken in key order so two batches never wait
   * on each other in a cycle; the caller reads the identifiers again once it holds them. Only
   * batches that bring the same new identifier wait for each other.
   *
   * Every advisory lock takes a slot of Postgres' shared lock table (64 × max_connections by
   * default), so a batch with more than MAX_IDENTIFIER_LOCKS new identifiers (a bulk import of new
   * people) takes the creation gate exclusively instead; the others hold it shared.
   */
  async lockNewIdentifiers(identifiers: Identifier[]): Promise<void> {
    if (identifiers.length === 0) return;
    const keys = [...new Set(identifiers.map((identifier) => identifierLockKey(identifierKey(identifier))))].sort((a, b) => a - b);
    if (keys.length > MAX_IDENTIFIER_LOCKS) {
      await this.runner.query(`SELECT pg_advisory_xact_lock($1::int, 0)`, [CREATION_GATE_SPACE]);
      return;
    }
    // One statement, locks taken in array order: the gate (shared) first, then each key.
    await this.runner.query(
      `SELECT CASE WHEN key IS NULL THEN pg_advisory_xact_lock_shared($1::int, 0) ELSE pg_advisory_xact_lock($2::int, key) END
         FROM unnest($3::int[]) WITH ORDINALITY AS lock(key, position) ORDER BY position`,
      [CREATION_GATE_SPACE, IDENTIFIER_LOCK_SPACE, [null, ...keys]],
    );
  }

  /**
   * Locks every existing profile the batch uses, in id order (so two transactions never wait on
   * each other in a cycle), and returns their current state. The lock is what makes stitching safe
   * under concurrency: a merge and a batch that touch the same profile run one after the other and
   * the second sees the first's result, and read-modify-write of traits is exact. A profile
   * deleted on request (libs/privacy) is not returned: to the caller it is gone.
   */
  async lockProfiles(ids: string[], withTraits: ReadonlySet<string>): Promise<LockedProfile[]> {
    if (ids.length === 0) return [];
    // Seen times come back as epoch milliseconds: parsing hundreds of timestamptz texts into Dates
    // (node-postgres' default) was a visible share of a batch's CPU in the API.
    const rows: {
      id: string;
      merged_into: string | null;
      first_seen_ms: number | null;
      last_seen_ms: number | null;
      traits: Record<string, unknown> | null;
      trait_timestamps: Record<string, string> | null;
    }[] = await this.runner.query(
      `SELECT id, merged_into,
                floor(extract(epoch FROM first_seen_at) * 1000)::float8 AS first_seen_ms,
                floor(extract(epoch FROM last_seen_at) * 1000)::float8 AS last_seen_ms,
                CASE WHEN id = ANY($2::uuid[]) THEN traits END AS traits,
                CASE WHEN id = ANY($2::uuid[]) THEN trait_timestamps END AS trait_timestamps
           FROM profiles WHERE id = ANY($1::uuid[]) AND deleted_at IS NULL
          ORDER BY id
            FOR NO KEY UPDATE`,
      [[...ids].sort(), [...withTraits]],
    );
    return rows.map((row) => ({
      id: row.id,
      mergedInto: row.merged_into,
      firstSeenAt: row.first_seen_ms === null ? null : new Date(row.first_seen_ms),
      lastSeenAt: row.last_seen_ms === null ? null : new Date(row.last_seen_ms),
      ...(row.traits ? { traits: { traits: row.traits, timestamps: row.trait_timestamps ?? {} } } : {}),
    }));
  }

  async identifierCounts(profileIds: string[]): Promise<Map<string, IdentifierCounts>> {
    const counts = new Map<string, IdentifierCounts>(profileIds.map((id) => [id, {}]));
    if (profileIds.length === 0) return counts;
    const rows: { profile_id: string; type: IdentifierType; count: number }[] = await this.runner.query(
      `SELECT profile_id, type, count(*)::int AS count FROM identities WHERE profile_id = ANY($1::uuid[]) GROUP BY profile_id, type`,
      [profileIds],
    );
    for (const row of rows) counts.set(row.profile_id, { ...counts.get(row.profile_id), [row.type]: row.count });
    return counts;
  }

  /**
   * Everything stitching writes, in one statement (one round trip and one plan instead of up to
   * six): new profiles and identities, merges (each loser points at its winner, older losers that
   * pointed at it follow, its identities and events move to the winner), and the traits and seen
   * times of profiles this transaction has locked. The parts touch disjoint rows (losers are live
   * profiles, never among the updated ones), so they can share one snapshot.
   *
   * Identities skip any stored meanwhile; returns how many were inserted (fewer than asked means
   * another writer claimed one, and the caller rolls back and runs the transaction again).
   * Identity rows go in (type, value) order so concurrent inserts of overlapping sets cannot deadlock.
   */
  async writeStitching(changes: StitchingWrites): Promise<number> {
    const { newProfiles, newIdentities, merges, updates } = changes;
    if (newProfiles.length === 0 && newIdentities.length === 0 && merges.length === 0 && updates.length === 0) return 0;
    const sorted = [...newIdentities].sort((a, b) => compare(identifierKey(a), identifierKey(b)));
    const pairs = `unnest($5::uuid[], $6::uuid[]) AS m(loser, winner)`;
    const [row] = await this.runner.query(
      `WITH new_profiles AS (
         INSERT INTO profiles (id, traits, trait_timestamps, first_seen_at, last_seen_at)
         SELECT id, COALESCE(traits, '{}'), COALESCE(trait_timestamps, '{}'), first_seen_at, last_seen_at
           FROM json_to_recordset($1::json) AS p(id uuid, traits jsonb, trait_timestamps jsonb, first_seen_at timestamptz, last_seen_at timestamptz)
       ), new_identities AS (
         INSERT INTO identities (type, value, profile_id)
         SELECT type, value, profile_id FROM unnest($2::text[], $3::text[], $4::uuid[]) AS i(type, value, profile_id)
         ON CONFLICT (type, value) DO NOTHING
         RETURNING 1
       ), merged AS (
         UPDATE profiles p SET merged_into = m.winner, updated_at = now() FROM ${pairs} WHERE p.id = m.loser
       ), repointed AS (
         UPDATE profiles p SET merged_into = m.winner, updated_at = now() FROM ${pairs} WHERE p.merged_into = m.loser
       ), moved_identities AS (
         UPDATE identities i SET profile_id = m.winner FROM ${pairs} WHERE i.profile_id = m.loser
       ), moved_events AS (
         UPDATE events e SET profile_id = m.winner FROM ${pairs} WHERE e.profile_id = m.loser
       ), dropped_values AS (
         -- Derived values (computed / SQL traits) of a merged-away profile go: the winner's are recomputed from the moved events.
         DELETE FROM computed_trait_values v USING ${pairs} WHERE v.profile_id = m.loser
       ), updated AS (
         UPDATE profiles p
            SET traits = COALESCE(u.traits, p.traits),
                trait_timestamps = COALESCE(u.trait_timestamps, p.trait_timestamps),
                first_seen_at = u.first_seen_at,
                last_seen_at = u.last_seen_at,
                updated_at = now()
           FROM json_to_recordset($7::json) AS u(id uuid, traits jsonb, trait_timestamps jsonb, first_seen_at timestamptz, last_seen_at timestamptz)
          WHERE p.id = u.id
       )
       SELECT count(*)::int AS inserted FROM new_identities`,
      [
        JSON.stringify(newProfiles.map(toProfileRow)),
        sorted.map((i) => i.type),
        sorted.map((i) => i.value),
        sorted.map((i) => i.profileId),
        merges.map((m) => m.loser),
        merges.map((m) => m.winner),
        JSON.stringify(updates.map(toProfileRow)),
      ],
    );
    return row.inserted;
  }

  /**
   * Writes the events with COPY, the fastest way into Postgres (measured ~1.4× a multi-row INSERT
   * here). COPY has no ON CONFLICT: the caller has removed message ids already stored, and a
   * concurrent duplicate makes the COPY fail on the unique index (`uq_events_source_message_id`),
   * which the caller retries.
   */
  async copyEvents(lines: EventLine[], profileIds: string[]): Promise<number> {
    if (lines.length === 0) return 0;
    const client = (await (this.runner as QueryRunner).connect()) as PoolClient;
    const text = lines.map((line, index) => `${line.head}\t${profileIds[index]}\t${line.tail}`).join('');
    const copy: Writable = client.query(copyFrom(`COPY events (${EVENT_COPY_COLUMNS}) FROM STDIN`));
    await pipeline(Readable.from([Buffer.from(text, 'utf8')]), copy);
    return lines.length;
  }

  /**
   * Hands the profiles to the real-time evaluator (libs/segments-service `RealtimeEvaluator`): one
   * appended row each, never an upsert, so ingestion never waits on a row the evaluator holds.
   */
  async touchForRealtime(profileIds: string[]): Promise<void> {
    if (profileIds.length === 0) return;
    await this.runner.query(`INSERT INTO realtime_touches (profile_id) SELECT unnest($1::uuid[])`, [profileIds]);
  }
}

const EVENT_COPY_COLUMNS = 'message_id, profile_id, type, name, timestamp, properties, context, user_id, anonymous_id, source_id';

/** Escapes a value for COPY's text format (\N is NULL). */
export function copyText(value: string | null): string {
  if (value === null) return '\\N';
  return /[\\\n\r\t]/.test(value) ? value.replace(/[\\\n\r\t]/g, (c) => COPY_ESCAPES[c]) : value;
}

const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** FNV-1a of the identifier key as a signed 32-bit integer (the advisory lock key): the same in every process. */
export function identifierLockKey(key: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < key.length; index++) {
    hash ^= key.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash | 0;
}

function toProfileRow(profile: ProfileWrite) {
  return {
    id: profile.id,
    traits: profile.traits?.traits ?? null,
    trait_timestamps: profile.traits?.timestamps ?? null,
    first_seen_at: profile.firstSeenAt?.toISOString() ?? null,
    last_seen_at: profile.lastSeenAt?.toISOString() ?? null,
  };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
