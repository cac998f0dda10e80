import type { EntityManager } from 'typeorm';

/**
 * The deployment-wide rate limiter's queries (table `rate_limits`, function `rate_limit_reserve`,
 * migration 1796700100000). Goldens: `__tests__/__golden__/rate-limit.repository.sql`.
 */

/**
 * Takes the next call slot of every key at once (one round trip; row locks in key order) and
 * answers how long to wait for it, in ms, measured on the database's clock.
 */
export async function reserveSlot(db: EntityManager, keys: readonly string[], intervalsMs: readonly number[]): Promise<number> {
  const [row]: { wait_ms: number | string }[] = await db.query(`SELECT rate_limit_reserve($1::text[], $2::float8[]) AS wait_ms`, [
    keys,
    intervalsMs,
  ]);
  return Number(row.wait_ms);
}

/** A vendor's Retry-After: no worker takes a slot of these keys before `forMs` from now. */
export async function blockKeys(db: EntityManager, keys: readonly string[], forMs: number): Promise<void> {
  await db.query(
    `INSERT INTO rate_limits AS r (key, blocked_until) SELECT k, clock_timestamp() + make_interval(secs => $2::float8 / 1000.0) FROM unnest($1::text[]) k ORDER BY k
     ON CONFLICT (key) DO UPDATE SET blocked_until = greatest(r.blocked_until, excluded.blocked_until), updated_at = now()`,
    [keys, forMs],
  );
}

/** How long the most blocked of `keys` stays blocked, in ms (0: none is blocked now). */
export async function blockedForMs(db: EntityManager, keys: readonly string[]): Promise<number> {
  const [row]: { ms: number | string | null }[] = await db.query(
    `SELECT greatest(0, extract(epoch FROM max(blocked_until) - clock_timestamp()) * 1000) AS ms FROM rate_limits WHERE key = ANY($1::text[])`,
    [keys],
  );
  return Number(row?.ms ?? 0);
}

/** A key's state, for the run record and tests: next free slot and block, in ms from now (negative: past). */
export async function limiterState(db: EntityManager, key: string): Promise<{ nextInMs: number; blockedForMs: number | null } | null> {
  const rows: { next_in_ms: number | null; blocked_for_ms: number | null }[] = await db.query(
    `SELECT extract(epoch FROM next_at - clock_timestamp()) * 1000 AS next_in_ms, extract(epoch FROM blocked_until - clock_timestamp()) * 1000 AS blocked_for_ms
     FROM rate_limits WHERE key = $1`,
    [key],
  );
  if (!rows[0]) return null;
  return {
    nextInMs: Number(rows[0].next_in_ms ?? -Infinity),
    blockedForMs: rows[0].blocked_for_ms === null ? null : Number(rows[0].blocked_for_ms),
  };
}
