import { PayloadValidationError } from '@audiencekit/connector-sdk';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { VENDOR_TEXT_MAX_CHARS } from '../data/vendor-text';
import { buildEngine, recordingConnector, seedActivation, seedSegment, syncNow } from './sync-fixtures';

/**
 * Vendors answer with whole HTML pages or echo the request: a run stores at most 2 KB of each
 * message, with the length it had, so reading (and masking) a run stays cheap whatever they sent.
 */
describe('vendor messages stored on sync runs', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  const huge = `<html>${'refused jane.doe@example.com; '.repeat(4_000)}</html>`; // ~120 KB

  it('a failed batch: the run error, the batch row and the rejections keep 2 KB and the original length', async () => {
    const connector = recordingConnector({
      slug: 'verbose',
      maxBatchSize: 10,
      behaviour: () => {
        throw new PayloadValidationError(huge, 'HTTP 400');
      },
    });
    const engine = buildEngine(db.dataSource, [connector.definition]);
    const { segmentId } = await seedSegment(db.dataSource, 10);
    const { activationId } = await seedActivation(db.dataSource, { segmentId, connector: 'verbose', mode: 'mirror' });
    const { run } = await syncNow(engine, activationId);
    expect(run.status).toBe('failed');
    const [error] = run.errors as { reason: string; reasonLength: number }[];
    const fullReason = `payload refused by the vendor: ${huge} (HTTP 400)`;
    expect(error.reasonLength).toBe(fullReason.length);
    expect(error.reason).toBe(fullReason.slice(0, VENDOR_TEXT_MAX_CHARS));
    expect(VENDOR_TEXT_MAX_CHARS).toBe(2048);
    const [batch] = await db.dataSource.query(`SELECT length(error) AS n FROM sync_batches WHERE sync_run_id = $1`, [run.id]);
    expect(batch.n).toBe(VENDOR_TEXT_MAX_CHARS);
    const rejections = await db.dataSource.query(`SELECT DISTINCT length(reason) AS n FROM sync_rejections WHERE sync_run_id = $1`, [
      run.id,
    ]);
    expect(rejections).toEqual([{ n: VENDOR_TEXT_MAX_CHARS }]);
  });
});
