import { RecordOutcome, RetryableError } from '@audiencekit/connector-sdk';
import { createHoldoutAssigner } from '@audiencekit/experimentation';
import { createTestDatabase, mulberry32, TestDatabase } from '@audiencekit/testing';
import {
  addMembers,
  Behaviour,
  buildEngine,
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
});
