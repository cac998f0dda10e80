import { EntityManager } from 'typeorm';

/** Every SQL string of text signals: `text_signal_configs` and `events.signals` (migration 1797200000000-text-signals). */

export interface TextSignalConfigRow {
  id: string;
  event: string;
  property: string;
  vocabularies: Record<string, string[]>;
  scored_until: Date | null;
  events_scored: string;
  created_at: Date;
  updated_at: Date;
}

const SELECT_CONFIG = `SELECT id, event, property, vocabularies, scored_until, events_scored, created_at, updated_at FROM text_signal_configs`;

export async function listTextSignalConfigs(manager: EntityManager): Promise<TextSignalConfigRow[]> {
  return manager.query(`${SELECT_CONFIG} ORDER BY event`);
}

export async function findTextSignalConfig(manager: EntityManager, event: string): Promise<TextSignalConfigRow | undefined> {
  const [row] = await manager.query(`${SELECT_CONFIG} WHERE event = $1`, [event]);
  return row;
}

/** Inserts a configuration; undefined when one already exists for the event. */
export async function insertTextSignalConfig(
  manager: EntityManager,
  config: { event: string; property: string; vocabularies: Record<string, string[]> },
): Promise<TextSignalConfigRow | undefined> {
  const [row] = await manager.query(
    `INSERT INTO text_signal_configs (event, property, vocabularies) VALUES ($1, $2, $3)
     ON CONFLICT (event) DO NOTHING
     RETURNING id, event, property, vocabularies, scored_until, events_scored, created_at, updated_at`,
    [config.event, config.property, JSON.stringify(config.vocabularies)],
  );
  return row;
}

/** Replaces the property and vocabularies; undefined when there is no configuration for the event. */
export async function updateTextSignalConfig(
  manager: EntityManager,
  event: string,
  config: { property: string; vocabularies: Record<string, string[]> },
): Promise<TextSignalConfigRow | undefined> {
  const [rows] = await manager.query(
    `UPDATE text_signal_configs SET property = $2, vocabularies = $3, updated_at = now() WHERE event = $1
     RETURNING id, event, property, vocabularies, scored_until, events_scored, created_at, updated_at`,
    [event, config.property, JSON.stringify(config.vocabularies)],
  );
  return rows[0];
}

/** Deletes the configuration; false when there was none. Signals already stored stay on their events. */
export async function deleteTextSignalConfig(manager: EntityManager, event: string): Promise<boolean> {
  const [, affected] = await manager.query(`DELETE FROM text_signal_configs WHERE event = $1`, [event]);
  return affected > 0;
}

/** One worker scores at a time: a transaction-scoped try-lock (false: another worker holds it, skip this pass). */
export async function tryScoringLock(manager: EntityManager): Promise<boolean> {
  const [row] = await manager.query(`SELECT pg_try_advisory_xact_lock(hashtext('audiencekit.text-signals.scoring')) AS locked`);
  return row.locked === true;
}

/**
 * The scoring horizon: the start of the oldest transaction still open on this database (any client
 * backend but ours), or now(). `received_at` defaults to the inserting transaction's start and
 * transactions commit out of order, so only below the horizon is every event committed (or never
 * will be) — the catalogue fold's reasoning (libs/catalogue).
 */
export async function scoringHorizon(manager: EntityManager): Promise<string> {
  const [row] = await manager.query(
    `SELECT least(now(), (SELECT min(a.xact_start) FROM pg_stat_activity a
                           WHERE a.datname = current_database() AND a.backend_type = 'client backend'
                             AND a.pid <> pg_backend_pid() AND a.xact_start IS NOT NULL))::text AS horizon`,
  );
  return row.horizon;
}

export interface UnscoredEvent {
  id: string;
  received_at: string;
  /** The configured property's value when it is a JSON string, else null. */
  text: string | null;
}

/**
 * The next events of one configured name not scored yet, received in [from, until), oldest first.
 * `from` null (a new configuration) backfills every event of the name (`idx_events_name_time`);
 * otherwise the range is a BRIN scan of `received_at`. Never all events.
 */
export async function unscoredEvents(
  manager: EntityManager,
  query: { event: string; property: string; from: Date | null; until: string; limit: number },
): Promise<UnscoredEvent[]> {
  return manager.query(
    `SELECT e.id::text AS id, e.received_at::text AS received_at,
            CASE WHEN jsonb_typeof(e.properties #> $2::text[]) = 'string' THEN e.properties #>> $2::text[] END AS text
       FROM events e
      WHERE e.name = $1 AND e.signals IS NULL
        AND e.received_at >= coalesce($3::timestamptz, '-infinity') AND e.received_at < $4::timestamptz
      ORDER BY e.received_at, e.id
      LIMIT $5`,
    [query.event, query.property.split('.'), query.from, query.until, query.limit],
  );
}

/** Stores each event's signals, only where none are stored yet (a pass repeated after a crash writes nothing twice). Returns the rows written. */
export async function storeSignals(manager: EntityManager, scored: { id: string; signals: Record<string, unknown> }[]): Promise<number> {
  if (scored.length === 0) return 0;
  const [, affected] = await manager.query(
    `UPDATE events e SET signals = s.signals
       FROM jsonb_to_recordset($1::jsonb) AS s(id bigint, signals jsonb)
      WHERE e.id = s.id AND e.signals IS NULL`,
    [JSON.stringify(scored)],
  );
  return affected;
}

/** Moves a configuration's watermark and adds to its count of events scored. */
export async function advanceWatermark(manager: EntityManager, id: string, scoredUntil: string, scored: number): Promise<void> {
  await manager.query(`UPDATE text_signal_configs SET scored_until = $2::timestamptz, events_scored = events_scored + $3 WHERE id = $1`, [
    id,
    scoredUntil,
    scored,
  ]);
}
