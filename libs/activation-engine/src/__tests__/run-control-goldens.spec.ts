import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { captureSql, createTestDatabase, expectGolden, sqlSections, TestDatabase } from '@audiencekit/testing';
import { cancelRequested, rejectionsPage, requestSyncCancel } from '../data/run-control.repository';

/**
 * Golden SQL of data/run-control.repository.ts (cancel, retry, rejections): a query change shows in
 * review. `UPDATE_GOLDENS=1 npx jest libs/activation-engine/src/__tests__/run-control-goldens` rewrites it.
 */
describe('golden SQL of the run-control repository', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('pins the text of every query', async () => {
    const m = db.dataSource.manager;
    const section = async (name: string, work: () => Promise<unknown>): Promise<[string, string[]]> => [
      name,
      (await captureSql(db.dataSource, work)).statements,
    ];
    const runId = randomUUID();
    const sections = [
      await section('requestSyncCancel', () => requestSyncCancel(m, runId)),
      await section('cancelRequested', () => cancelRequested(m, runId)),
      await section('rejectionsPage', () => rejectionsPage(m, runId, { limit: 50, offset: 0, kind: 'rejected' })),
    ];
    expectGolden(join(__dirname, '__golden__', 'run-control.repository.sql'), sqlSections(sections));
  });
});
