import type { DataSource, EntityManager } from 'typeorm';

/** A send to reserve or release: the profile and the send's delivery key (`<activation>:<profile>` in send mode, `journey:<entry>:<step>` for a journey step). */
export interface LedgerSend {
  profileId: string;
  deliveryKey: string;
}

/** Why a profile may not be sent to now: the first cap (channel caps first, then `all`, shortest window first) it has reached. */
export interface CappedSend {
  profileId: string;
  reason: string;
}

/** Whether any frequency cap counts messages on this channel (its own caps or `all`); read once per run. */
export async function capsApply(manager: EntityManager, channel: string): Promise<boolean> {
  const [row] = await manager.query(`SELECT EXISTS (SELECT 1 FROM frequency_caps WHERE channel IN ($1, 'all')) AS found`, [channel]);
  return row.found === true;
}

/**
 * The sends among `sends` that a cap refuses now: a profile whose messages in a cap's rolling
 * window (on the cap's channel, or on any channel for `all`) already reach its maximum. A send
 * already in the ledger under its delivery key is never refused (a retried or replayed send is
 * the same message). Reads only; without the profiles' locks (a dry run) it is a snapshot.
 */
export async function cappedSends(manager: EntityManager, channel: string, sends: readonly LedgerSend[]): Promise<CappedSend[]> {
  if (sends.length === 0) return [];
  const rows: { profile_id: string; name: string; cap_channel: string; max_messages: number; window_hours: number; sent: number }[] =
    await manager.query(
      `SELECT DISTINCT ON (r.profile_id) r.profile_id, c.name, c.channel AS cap_channel, c.max_messages, c.window_hours, n.sent
       FROM unnest($1::uuid[], $2::text[]) AS r(profile_id, delivery_key)
       CROSS JOIN frequency_caps c
       CROSS JOIN LATERAL (
         SELECT count(*)::int AS sent FROM send_ledger l
         WHERE l.profile_id = r.profile_id AND (c.channel = 'all' OR l.channel = c.channel)
           AND l.sent_at > now() - make_interval(hours => c.window_hours)) n
       WHERE c.channel IN ($3, 'all') AND n.sent >= c.max_messages
         AND NOT EXISTS (SELECT 1 FROM send_ledger d WHERE d.profile_id = r.profile_id AND d.delivery_key = r.delivery_key)
       ORDER BY r.profile_id, c.channel = 'all', c.window_hours, c.id`,
      [sends.map((send) => send.profileId), sends.map((send) => send.deliveryKey), channel],
    );
  return rows.map((row) => ({
    profileId: row.profile_id,
    reason: `frequency cap "${row.name}": ${row.sent} of ${row.max_messages} message(s) on ${row.cap_channel} in ${row.window_hours} h`,
  }));
}

/**
 * Reserves sends under the caps, atomically, right before the vendor call: in one transaction,
 * locks the send-ledger row of every profile of the batch (created if missing; `FOR UPDATE` in
 * profile order, so two workers never deadlock and a second worker waits for the first one's
 * commit), counts each profile's ledger within the caps' windows (a statement after the lock, so
 * it sees what the first worker committed), and writes a ledger row for every send still within
 * every cap. Returns the capped sends (not written, not to be called). With `locked` false (no cap
 * applies to the channel) the rows are written without the locks or the count: the ledger stays
 * complete for a cap created later. A journey's sends have no activation or run (both null).
 */
export async function reserveSends(
  dataSource: DataSource,
  input: { channel: string; activationId: string | null; runId: string | null; sends: readonly LedgerSend[]; locked: boolean },
): Promise<CappedSend[]> {
  if (input.sends.length === 0) return [];
  return dataSource.transaction(async (tx) => {
    let capped: CappedSend[] = [];
    if (input.locked) {
      const profileIds = [...new Set(input.sends.map((send) => send.profileId))].sort();
      await tx.query(`INSERT INTO send_ledger_profiles (profile_id) SELECT unnest($1::uuid[]) ORDER BY 1 ON CONFLICT DO NOTHING`, [
        profileIds,
      ]);
      await tx.query(`SELECT profile_id FROM send_ledger_profiles WHERE profile_id = ANY($1::uuid[]) ORDER BY profile_id FOR UPDATE`, [
        profileIds,
      ]);
      capped = await cappedSends(tx, input.channel, input.sends);
    }
    const refused = new Set(capped.map((send) => send.profileId));
    const allowed = input.sends.filter((send) => !refused.has(send.profileId));
    if (allowed.length)
      await tx.query(
        `INSERT INTO send_ledger (profile_id, delivery_key, channel, activation_id, sync_run_id, sent_at)
         SELECT r.profile_id, r.delivery_key, $3, $4, $5, clock_timestamp() FROM unnest($1::uuid[], $2::text[]) AS r(profile_id, delivery_key)
         ON CONFLICT (profile_id, delivery_key) DO NOTHING`,
        [allowed.map((send) => send.profileId), allowed.map((send) => send.deliveryKey), input.channel, input.activationId, input.runId],
      );
    return capped;
  });
}

/** Gives back the reservations of sends the vendor did not take (rejected): they count against no cap. */
export async function releaseSends(manager: EntityManager, sends: readonly LedgerSend[]): Promise<void> {
  if (sends.length === 0) return;
  await manager.query(
    `DELETE FROM send_ledger l USING unnest($1::uuid[], $2::text[]) AS r(profile_id, delivery_key)
     WHERE l.profile_id = r.profile_id AND l.delivery_key = r.delivery_key`,
    [sends.map((send) => send.profileId), sends.map((send) => send.deliveryKey)],
  );
}

/**
 * Deletes one batch (at most `batchSize`, oldest first, by `idx_send_ledger_sent`) of send-ledger
 * rows past the retention horizon: older than the longest window of any cap plus one hour (a
 * reservation whose transaction began up to an hour before this statement still finds every row
 * of its windows) and than `retentionDays` (so a cap created later sees that much history). Never
 * a row another transaction holds (SKIP LOCKED), nor a reservation that may still be replayed under
 * its delivery key: one of a sync run not finished, or of a journey step still in flight. One
 * statement, so its locks last one batch. Returns the rows deleted (fewer than `batchSize`: done).
 */
export async function pruneSendLedger(manager: EntityManager, input: { retentionDays: number; batchSize: number }): Promise<number> {
  // TypeORM answers a DELETE … RETURNING with [rows, affected].
  const [, deleted]: [unknown[], number] = await manager.query(
    `WITH horizon AS (
       SELECT now() - greatest(make_interval(hours => coalesce(max(c.window_hours), 0) + 1), make_interval(days => $1::int)) AS before
       FROM frequency_caps c),
     expired AS (
       SELECT o.profile_id, o.delivery_key FROM send_ledger o
       WHERE o.sent_at < (SELECT before FROM horizon)
         AND NOT EXISTS (SELECT 1 FROM sync_runs r WHERE r.id = o.sync_run_id AND r.finished_at IS NULL)
         AND NOT EXISTS (
           SELECT 1 FROM journey_step_log s
           WHERE s.entry_id = CASE WHEN o.delivery_key LIKE 'journey:%' THEN split_part(o.delivery_key, ':', 2)::uuid END
             AND s.step_id = split_part(o.delivery_key, ':', 3) AND s.outcome = 'in_flight')
       ORDER BY o.sent_at
       LIMIT $2
       FOR UPDATE OF o SKIP LOCKED)
     DELETE FROM send_ledger l USING expired x
     WHERE l.profile_id = x.profile_id AND l.delivery_key = x.delivery_key
     RETURNING 1`,
    [input.retentionDays, input.batchSize],
  );
  return deleted;
}
