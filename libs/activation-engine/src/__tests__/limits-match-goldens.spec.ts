import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { captureSql, createTestDatabase, expectGolden, sqlSections, TestDatabase } from '@audiencekit/testing';
import * as limits from '../limits/rate-limit.repository';
import * as match from '../reconciliation/match.repository';
import { insertRun } from '../data/sync-run.repository';
import { seedActivation, seedSegment } from './sync-fixtures';

/**
 * Golden SQL of the deployment-wide rate limiter (limits/rate-limit.repository.ts) and of match
 * reconciliation (reconciliation/match.repository.ts): a query change shows in review.
 * `UPDATE_GOLDENS=1 npx jest libs/activation-engine/src/__tests__/limits-match-goldens` rewrites them.
 */
describe('golden SQL of the rate-limit and match repositories', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  const section = async (name: string, work: () => Promise<unknown>): Promise<[string, string[]]> => [
    name,
    (await captureSql(db.dataSource, work)).statements,
  ];

  it('rate-limit.repository', async () => {
    const m = db.dataSource.manager;
    const sections = [
      await section('reserveSlot', () => limits.reserveSlot(m, ['destination:x', 'quota:v:p'], [110, 275])),
      await section('blockKeys', () => limits.blockKeys(m, ['destination:x'], 1000)),
      await section('blockedForMs', () => limits.blockedForMs(m, ['destination:x'])),
      await section('limiterState', () => limits.limiterState(m, 'destination:x')),
    ];
    expectGolden(join(__dirname, '__golden__', 'rate-limit.repository.sql'), sqlSections(sections));
  });

  it('match.repository', async () => {
    const m = db.dataSource.manager;
    const { segmentId } = await seedSegment(db.dataSource, 2);
    const { activationId } = await seedActivation(db.dataSource, { segmentId, connector: 'golden', mode: 'mirror' });
    const runId = (await insertRun(m, activationId, { status: 'running' }))?.id ?? randomUUID();
    const sections = [
      await section('recordBatchVendorCounts', () => match.recordBatchVendorCounts(m, runId, 1, { received: 2, invalid: 0 })),
      await section('heldAtVendor', () => match.heldAtVendor(m, activationId)),
      await section('previousMatchRates', () => match.previousMatchRates(m, activationId, runId, 5)),
      await section('recordMatchRate', () => match.recordMatchRate(m, runId, 0.5, 2)),
      await section('notifyMatchRateDrop', () =>
        match.notifyMatchRateDrop(m, runId, { matchRate: 0.5, baseline: 0.8, drop: 0.3, threshold: 0.1 }),
      ),
    ];
    expectGolden(join(__dirname, '__golden__', 'match.repository.sql'), sqlSections(sections));
  });
});
