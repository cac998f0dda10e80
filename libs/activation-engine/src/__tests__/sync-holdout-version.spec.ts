import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { buildEngine, recordingConnector, seedActivation, seedSegment, setGlobalHoldout, syncNow } from './sync-fixtures';

/**
 * The holdout hash version stored beside each salt decides which hash assigns arms. A version the
 * engine does not implement fails the run with `unknown_hash_version` before any member reaches
 * the plugin: hashing with another version would silently move members between arms.
 */
describe('holdout hash version stored beside the salt', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  async function syncWith(activationVersion: number, globalVersion: number) {
    await setGlobalHoldout(db.dataSource, 0.1);
    await db.dataSource.query(`UPDATE global_holdout SET hash_version = $1 WHERE id = 1`, [globalVersion]);
    const slug = `hash-version-${activationVersion}-${globalVersion}`;
    const connector = recordingConnector({ slug });
    const engine = buildEngine(db.dataSource, [connector.definition]);
    const { segmentId } = await seedSegment(db.dataSource, 20);
    const { activationId } = await seedActivation(db.dataSource, { segmentId, connector: slug, mode: 'mirror', holdoutShare: 0.2 });
    await db.dataSource.query(`UPDATE activations SET holdout_hash_version = $2 WHERE id = $1`, [activationId, activationVersion]);
    const { outcome, run } = await syncNow(engine, activationId);
    return { outcome, run, received: connector.received() };
  }

  it('syncs with the stored version 1', async () => {
    const { outcome, received } = await syncWith(1, 1);
    expect(outcome.status).toBe('succeeded');
    expect(received.length).toBeGreaterThan(0);
  });

  it.each([
    ['activation', 2, 1, 'activation.hashVersion'],
    ['global holdout', 1, 2, 'globalHoldout.hashVersion'],
  ])(
    'refuses an unknown version stored for the %s: the run fails with unknown_hash_version, nobody is sent',
    async (_, activationVersion, globalVersion, field) => {
      const { outcome, run, received } = await syncWith(activationVersion, globalVersion);
      expect(outcome.status).toBe('failed');
      expect(received).toEqual([]);
      expect(run.errors).toEqual([
        expect.objectContaining({
          kind: 'unknown_hash_version',
          message: expect.stringContaining(`${field}: holdout hash version 2 is not implemented here`),
        }),
      ]);
    },
  );
});
