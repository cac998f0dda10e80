import { join } from 'node:path';
import { captureSql, createTestDatabase, expectGolden, sqlSections, TestDatabase } from '@audiencekit/testing';
import { claimDue, expireOld, markFailed, markSent } from './notifications.repository';

/**
 * Golden SQL of `notifications.repository.ts` (`src/__golden__/notifications.repository.sql`).
 * `UPDATE_GOLDENS=1 CI=true npx jest libs/server-core/src/notifications/notifications-goldens` rewrites it;
 * notification-sender.spec.ts proves the queries right.
 */
describe('golden SQL of the notifications repository', () => {
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
    const sections = [
      await section('expireOld', () => expireOld(m, 24)),
      await section('claimDue', () => claimDue(m, 50, 60)),
      await section('markSent', () => markSent(m, '1')),
      await section('markFailed', () => markFailed(m, '1', 'HTTP 503', 10)),
    ];
    expectGolden(join(__dirname, '..', '__golden__', 'notifications.repository.sql'), sqlSections(sections));
  });
});
