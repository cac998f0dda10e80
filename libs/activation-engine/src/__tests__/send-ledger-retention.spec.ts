import { randomUUID } from 'node:crypto';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { cappedSends } from '../frequency/frequency-cap.repository';
import { pruneSendLedgerOnce } from '../frequency/send-ledger-retention';
import { seedActivation, seedSegment } from './sync-fixtures';

/**
 * The send ledger's retention (issue #23 follow-up, real Postgres): rows past the horizon — the
 * longest cap window (+1 h) or `retentionDays`, whichever is longer — are deleted in batches; rows
 * inside it stay, a cap's count is the same before and after, and a reservation still replayable
 * (a sync run not finished, a journey step in flight) is never deleted however old.
 */
describe('send ledger retention', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  const DAY_HOURS = 24;
  const ledgerAges = async (profileId: string): Promise<number[]> =>
    (
      await db.dataSource.query(
        `SELECT round(extract(epoch FROM now() - sent_at) / 3600)::int AS hours FROM send_ledger WHERE profile_id = $1 ORDER BY sent_at DESC`,
        [profileId],
      )
    ).map((row: { hours: number }) => row.hours);
  const send = (profileId: string, hoursAgo: number, extra: { key?: string; runId?: string } = {}) =>
    db.dataSource.query(
      `INSERT INTO send_ledger (profile_id, delivery_key, channel, sync_run_id, sent_at) VALUES ($1, $2, 'email', $3, now() - make_interval(hours => $4))`,
      [profileId, extra.key ?? `activation-${randomUUID()}:${profileId}`, extra.runId ?? null, hoursAgo],
    );
  const reasonOf = async (profileId: string): Promise<string | undefined> =>
    (await cappedSends(db.dataSource.manager, 'email', [{ profileId, deliveryKey: `new:${profileId}` }]))[0]?.reason;

  it('deletes rows past the horizon only: the longest cap window when it is longer than the retention, else the retention', async () => {
    const profile = randomUUID();
    const [longCap] = await db.dataSource.query(
      `INSERT INTO frequency_caps (name, channel, max_messages, window_hours) VALUES ('three in 100 days', 'all', 3, 2400) RETURNING id`,
    );
    await db.dataSource.query(
      `INSERT INTO frequency_caps (name, channel, max_messages, window_hours) VALUES ('one a day', 'email', 5, 24)`,
    );
    try {
      for (const days of [0, 10, 95, 120, 200]) await send(profile, days * DAY_HOURS + 1);
      const before = await reasonOf(profile);
      expect(before).toBe('frequency cap "three in 100 days": 3 of 3 message(s) on all in 2400 h');

      // 90 days of retention, but a cap counts 100 days: only the rows older than 100 days (+1 h) go.
      expect(await pruneSendLedgerOnce(db.dataSource, { retentionDays: 90 })).toBe(2);
      expect(await ledgerAges(profile)).toEqual([1, 241, 2281]);
      expect(await reasonOf(profile)).toBe(before);

      // Without that cap the retention is the horizon: 95 days goes, then with 5 days, 10 days goes.
      await db.dataSource.query(`DELETE FROM frequency_caps WHERE id = $1`, [longCap.id]);
      expect(await pruneSendLedgerOnce(db.dataSource, { retentionDays: 90 })).toBe(1);
      expect(await ledgerAges(profile)).toEqual([1, 241]);
      expect(await pruneSendLedgerOnce(db.dataSource, { retentionDays: 5 })).toBe(1);
      expect(await ledgerAges(profile)).toEqual([1]);
    } finally {
      await db.dataSource.query(`DELETE FROM frequency_caps`);
      await db.dataSource.query(`DELETE FROM send_ledger`);
    }
  });

  it('works in bounded batches: maxBatches × batchSize rows per call, the rest on the next call', async () => {
    const profiles = Array.from({ length: 7 }, () => randomUUID());
    for (const profile of profiles) await send(profile, 100 * DAY_HOURS);
    await send(profiles[0], 2);
    try {
      expect(await pruneSendLedgerOnce(db.dataSource, { retentionDays: 90, batchSize: 2, maxBatches: 2 })).toBe(4);
      expect(await pruneSendLedgerOnce(db.dataSource, { retentionDays: 90, batchSize: 2 })).toBe(3);
      const [left] = await db.dataSource.query(`SELECT count(*)::int AS count FROM send_ledger`);
      expect(left.count).toBe(1);
    } finally {
      await db.dataSource.query(`DELETE FROM send_ledger`);
    }
  });

  it('keeps an old reservation that may still be replayed: a sync run not finished, a journey step in flight', async () => {
    const { segmentId } = await seedSegment(db.dataSource, 1);
    const { activationId } = await seedActivation(db.dataSource, { segmentId, connector: 'recording', mode: 'send' });
    const [running] = await db.dataSource.query(
      `INSERT INTO sync_runs (activation_id, segment_version, status) VALUES ($1, 1, 'running') RETURNING id`,
      [activationId],
    );
    const [finished] = await db.dataSource.query(
      `INSERT INTO sync_runs (activation_id, segment_version, status, finished_at) VALUES ($1, 1, 'succeeded', now()) RETURNING id`,
      [activationId],
    );
    const [journey] = await db.dataSource.query(
      `INSERT INTO journeys (key, name, holdout_salt) VALUES ('retention', 'Retention', 's') RETURNING id`,
    );
    const stepOf = async (outcome: string): Promise<string> => {
      const [entry] = await db.dataSource.query(
        `INSERT INTO journey_entries (journey_id, profile_id, entry_number, version, arm, entered_at) VALUES ($1, $2, 1, 1, 'treatment', now()) RETURNING id`,
        [journey.id, randomUUID()],
      );
      const key = `journey:${entry.id}:offer`;
      await db.dataSource.query(
        `INSERT INTO journey_step_log (entry_id, journey_id, step_id, outcome, delivery_key, at) VALUES ($1, $2, 'offer', $3, $4, now())`,
        [entry.id, journey.id, outcome, key],
      );
      return key;
    };
    const profile = randomUUID();
    await send(profile, 200 * DAY_HOURS, { key: `${activationId}:running`, runId: running.id });
    await send(profile, 200 * DAY_HOURS, { key: `${activationId}:finished`, runId: finished.id });
    const inFlight = await stepOf('in_flight');
    const sent = await stepOf('sent');
    await send(profile, 200 * DAY_HOURS, { key: inFlight });
    await send(profile, 200 * DAY_HOURS, { key: sent });

    expect(await pruneSendLedgerOnce(db.dataSource, { retentionDays: 90 })).toBe(2);
    const kept: { delivery_key: string }[] = await db.dataSource.query(
      `SELECT delivery_key FROM send_ledger WHERE profile_id = $1 ORDER BY delivery_key`,
      [profile],
    );
    expect(kept.map((row) => row.delivery_key).sort()).toEqual([`${activationId}:running`, inFlight].sort());
  });
});
