import { RecordOutcome, RetryableError } from '@audiencekit/connector-sdk';
import { createHoldoutAssigner } from '@audiencekit/experimentation';
import { createTestDatabase, mulberry32, TestDatabase } from '@audiencekit/testing';
import {
  addMembers,
  Behaviour,
  buildEngine,
  createProfiles,
  flushNow,
  recordChanges,
  setSchedule,
  recordingConnector,
  removeMembers,
  seedActivation,
  seedSegment,
  setGlobalHoldout,
  syncNow,
} from './sync-fixtures';

const CASES = 40;
const SEED = 20261201;

/**
 * The invariant, as a property: over random segments, holdout shares (global and per activation),
 * suppressions and plugin behaviours (delivered / rejected / retryable answers, thrown retryable and
 * bare errors, garbage), across runs with churn, no globally held-out, control-group or suppressed
 * member ever reaches a plugin. Seeded, so a failure names a reproducible case.
 */
describe('holdout and suppression invariant (property)', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it(`holds over ${CASES} random cases (seed ${SEED})`, async () => {
    const random = mulberry32(SEED);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
    let reachedPlugin = 0;
    let forbiddenSeen = 0;
    for (let index = 0; index < CASES; index++) {
      const caseName = `case ${index} of seed ${SEED}`;
      const globalShare = random() < 0.3 ? 0 : random() * 0.3;
      const globalSalt = `global-${index}`;
      const share = random() < 0.2 ? 0 : random() * 0.6;
      const salt = `activation-${index}`;
      const mode = pick(['mirror', 'add_only', 'send'] as const);
      await setGlobalHoldout(db.dataSource, globalShare, globalSalt);

      const behaviour: Behaviour = (members) => {
        const roll = random();
        if (roll < 0.1) throw new RetryableError('503', 1);
        if (roll < 0.15) throw new Error('plugin bug');
        if (roll < 0.2) return { not: 'an array' };
        return members.map((member): RecordOutcome => {
          const outcome = random();
          if (outcome < 0.7) return { profileId: member.profileId, status: 'delivered' };
          if (outcome < 0.85) return { profileId: member.profileId, status: 'retryable', reason: 'later', retryAfterMs: 1 };
          return { profileId: member.profileId, status: 'rejected', reason: 'no' };
        });
      };
      const slug = `property-${index}`;
      const connector = recordingConnector({
        slug,
        behaviour,
        deliveryModel: mode === 'send' ? 'send' : 'list',
        maxBatchSize: 3 + Math.floor(random() * 30),
      });
      const engine = buildEngine(db.dataSource, [connector.definition], { pageSize: 5 + Math.floor(random() * 60) });
      const { segmentId, profileIds } = await seedSegment(db.dataSource, 5 + Math.floor(random() * 120));
      const { activationId } = await seedActivation(db.dataSource, { segmentId, connector: slug, mode, holdoutShare: share, salt });

      const suppressed = new Set<string>();
      const suppress = async (ids: string[]) => {
        for (const id of ids) {
          if (random() >= 0.15) continue;
          suppressed.add(id);
          if (random() < 0.5)
            await db.dataSource.query(`UPDATE profiles SET traits = traits || '{"unsubscribed": true}' WHERE id = $1`, [id]);
          else
            await db.dataSource.query(
              `INSERT INTO suppressions (identifier_type, identifier_value, channel, reason) SELECT type, value, 'all', 'test' FROM identities WHERE profile_id = $1 ON CONFLICT DO NOTHING`,
              [id],
            );
        }
      };
      await suppress(profileIds);

      const global = createHoldoutAssigner(globalSalt, globalShare);
      const control = createHoldoutAssigner(salt, share);
      const forbidden = (id: string) => (globalShare > 0 && global.isControl(id)) || control.isControl(id) || suppressed.has(id);

      for (let run = 0; run < 3; run++) {
        const { run: record } = await syncNow(engine, activationId);
        expect([caseName, ['succeeded', 'partial', 'failed'].includes(record.status)]).toEqual([caseName, true]);
        // Churn between runs: some leave, some arrive (and some of those are suppressed).
        await removeMembers(
          db.dataSource,
          segmentId,
          profileIds.filter(() => random() < 0.1),
        );
        const arriving = await addMembers(db.dataSource, segmentId, null, Math.floor(random() * 10));
        await suppress(arriving);
      }
      const received = connector.calls
        .filter((call) => call.method !== 'remove')
        .flatMap((call) => call.members.map((member) => member.profileId));
      const leaked = received.filter(forbidden);
      expect([caseName, leaked]).toEqual([caseName, []]);
      // Removes only ever concern members we added, so they are never held out either.
      const removed = connector.calls
        .filter((call) => call.method === 'remove')
        .flatMap((call) => call.members.map((member) => member.profileId));
      expect([caseName, removed.filter((id) => (globalShare > 0 && global.isControl(id)) || control.isControl(id))]).toEqual([
        caseName,
        [],
      ]);
      reachedPlugin += received.length;
      forbiddenSeen += [...new Set([...profileIds])].filter(forbidden).length;
    }
    // The property is not vacuous: plugins were called, and forbidden members existed to leak.
    expect(reachedPlugin).toBeGreaterThan(600);
    expect(forbiddenSeen).toBeGreaterThan(200);
  }, 120_000);

  const REALTIME_CASES = 24;
  const REALTIME_SEED = 20261207;

  /**
   * The same invariant for real-time deltas (schedule `on_change`): random entries and exits, written
   * as the real-time engine writes them, over many micro-batches (flushes), random shares, modes,
   * suppressions and batch sizes. Faulty plugins: no held-out or suppressed member ever reaches one.
   * Well-behaved plugins: besides, every treated member is delivered once — a send-mode member is
   * messaged once ever, and a mirror's list ends as exactly the treated members still in the segment.
   */
  it(`holds for real-time deltas over ${REALTIME_CASES} random cases (seed ${REALTIME_SEED})`, async () => {
    const random = mulberry32(REALTIME_SEED);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
    let reachedPlugin = 0;
    let forbiddenEntered = 0;
    for (let index = 0; index < REALTIME_CASES; index++) {
      const caseName = `real-time case ${index} of seed ${REALTIME_SEED}`;
      const globalShare = random() < 0.3 ? 0 : random() * 0.3;
      const globalSalt = `rt-global-${index}`;
      const share = random() < 0.2 ? 0 : random() * 0.6;
      const salt = `rt-activation-${index}`;
      const mode = pick(['mirror', 'send'] as const);
      const clean = random() < 0.5;
      await setGlobalHoldout(db.dataSource, globalShare, globalSalt);
      const behaviour: Behaviour | undefined = clean
        ? undefined
        : (members) => {
            const roll = random();
            if (roll < 0.1) throw new RetryableError('503', 1);
            if (roll < 0.15) throw new Error('plugin bug');
            return members.map((member): RecordOutcome => {
              const outcome = random();
              if (outcome < 0.7) return { profileId: member.profileId, status: 'delivered' };
              if (outcome < 0.85) return { profileId: member.profileId, status: 'retryable', reason: 'later', retryAfterMs: 1 };
              return { profileId: member.profileId, status: 'rejected', reason: 'no' };
            });
          };
      const slug = `rt-property-${index}`;
      const connector = recordingConnector({
        slug,
        behaviour,
        deliveryModel: mode === 'send' ? 'send' : 'list',
        maxBatchSize: 1 + Math.floor(random() * 12),
      });
      const engine = buildEngine(db.dataSource, [connector.definition], {}, { AK_REALTIME_SENDS_PER_HOUR: 1_000_000 });
      const { segmentId } = await seedSegment(db.dataSource, 0);
      const { activationId } = await seedActivation(db.dataSource, { segmentId, connector: slug, mode, holdoutShare: share, salt });
      await setSchedule(db.dataSource, activationId, 'on_change');
      const pool = await createProfiles(db.dataSource, 20 + Math.floor(random() * 60));
      const suppressed = new Set(pool.filter(() => random() < 0.15));
      for (const id of suppressed)
        await db.dataSource.query(
          `INSERT INTO suppressions (identifier_type, identifier_value, channel, reason) SELECT type, value, 'all', 'test' FROM identities WHERE profile_id = $1 ON CONFLICT DO NOTHING`,
          [id],
        );
      const global = createHoldoutAssigner(globalSalt, globalShare);
      const control = createHoldoutAssigner(salt, share);
      const heldOut = (id: string) => (globalShare > 0 && global.isControl(id)) || control.isControl(id);
      const forbidden = (id: string) => heldOut(id) || suppressed.has(id);

      const members = new Set<string>();
      const everMemberAtFlush = new Set<string>();
      for (let step = 0; step < 12; step++) {
        // A few changes (sometimes several before one flush): entries of non-members, exits of members.
        for (let burst = 1 + Math.floor(random() * 3); burst > 0; burst--) {
          const entering = pool.filter((id) => !members.has(id) && random() < 0.15);
          const exiting = [...members].filter(() => random() < 0.2);
          await recordChanges(db.dataSource, segmentId, 'added', entering);
          await recordChanges(db.dataSource, segmentId, 'removed', exiting);
          entering.forEach((id) => members.add(id));
          exiting.forEach((id) => members.delete(id));
          forbiddenEntered += entering.filter(forbidden).length;
        }
        members.forEach((id) => everMemberAtFlush.add(id));
        for (const run of await flushNow(engine))
          expect([caseName, ['succeeded', 'partial', 'failed'].includes(run.status)]).toEqual([caseName, true]);
      }
      const received = connector.calls.filter((call) => call.method !== 'remove').flatMap((call) => call.members.map((m) => m.profileId));
      const removed = connector.calls.filter((call) => call.method === 'remove').flatMap((call) => call.members.map((m) => m.profileId));
      expect([caseName, received.filter(forbidden)]).toEqual([caseName, []]);
      expect([caseName, removed.filter(heldOut)]).toEqual([caseName, []]);
      reachedPlugin += received.length;
      if (!clean) continue;
      const treated = (ids: Iterable<string>) => [...ids].filter((id) => !forbidden(id)).sort();
      if (mode === 'send') {
        expect([caseName, [...received].sort()]).toEqual([caseName, treated(everMemberAtFlush)]);
      } else {
        const list = new Set<string>();
        for (const call of connector.calls)
          for (const member of call.members) {
            // Delivered once per stay: never added while on the list, never removed while off it.
            expect([caseName, call.method, list.has(member.profileId)]).toEqual([caseName, call.method, call.method === 'remove']);
            if (call.method === 'remove') list.delete(member.profileId);
            else list.add(member.profileId);
          }
        expect([caseName, [...list].sort()]).toEqual([caseName, treated(members)]);
      }
    }
    expect(reachedPlugin).toBeGreaterThan(300);
    expect(forbiddenEntered).toBeGreaterThan(50);
  }, 180_000);
});
