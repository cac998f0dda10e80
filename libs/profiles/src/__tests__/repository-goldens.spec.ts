import { join } from 'node:path';
import { compileClvOrdersSql, compileRfmScoresSql } from '@audiencekit/segments-domain';
import { captureSql, createTestDatabase, expectGolden, sqlSections, TestDatabase } from '@audiencekit/testing';
import * as repo from '../profiles.repository';

/**
 * Golden SQL of libs/profiles (`src/__golden__/profiles.repository.sql`): every repository function
 * called once against a real migrated database, the text of each statement compared with the
 * committed file. `UPDATE_GOLDENS=1 npx jest libs/profiles/src/__tests__/repository-goldens` rewrites it.
 */
describe('golden SQL of the libs/profiles repository', () => {
  let database: TestDatabase;
  const id = '00000000-0000-4000-8000-000000000001';

  beforeAll(async () => {
    database = await createTestDatabase();
  });

  afterAll(async () => {
    await database?.drop();
  });

  it('pins the text of every query', async () => {
    const sections: [string, string[]][] = [];
    const manager = database.dataSource.manager;
    const record = async (name: string, work: () => Promise<unknown>) => {
      const { statements } = await captureSql(database.dataSource, work);
      sections.push([name, statements]);
    };
    await record('profileIdByIdentity', () => repo.profileIdByIdentity(manager, 'email', 'a@b.io'));
    await record('mergeWinnerOf', () => repo.mergeWinnerOf(manager, id));
    await record('profileRow', () => repo.profileRow(manager, id));
    await record('identitiesOf', () => repo.identitiesOf(manager, id));
    await record('identifiesAt', () => repo.identifiesAt(manager, id, ['2026-01-01T00:00:00.000Z']));
    await record('eventsPage', () => repo.eventsPage(manager, id, { limit: 10, offset: 0, name: 'x' }));
    await record('membershipsOf', () => repo.membershipsOf(manager, id));
    await record('activationsFor', () => repo.activationsFor(manager, id));
    await record('globalHoldout', () => repo.globalHoldout(manager));
    await record('suppressionsOf', () => repo.suppressionsOf(manager, [{ type: 'email', value: 'a@b.io' }]));
    await record('mergedInto', () => repo.mergedInto(manager, id));
    await record('segmentByIdOrKey (key)', () => repo.segmentByIdOrKey(manager, 'vip', false));
    await record('segmentByIdOrKey (id)', () => repo.segmentByIdOrKey(manager, id, true));
    await record('eventsForEvaluation', () => repo.eventsForEvaluation(manager, id, ['x'], null));
    await record('isMember', () => repo.isMember(manager, id, id));
    const scores = compileRfmScoresSql(
      { window: 'last 365 days', purchaseEvent: 'Order Completed', refundEvent: null, revenueProperty: 'revenue' },
      { now: new Date('2026-03-01T00:00:00.000Z') },
    );
    await record('rowOfProfile (RFM scores)', () => repo.rowOfProfile(manager, scores, id));
    const orders = compileClvOrdersSql(
      { purchaseEvent: 'Order Completed', revenueProperty: 'revenue', orderIdProperty: 'order_id' },
      { now: new Date('2026-03-01T00:00:00.000Z'), profileId: id },
    );
    await record("rowsOfQuery (one profile's CLV orders)", () => repo.rowsOfQuery(manager, orders));
    expectGolden(join(__dirname, '..', '__golden__', 'profiles.repository.sql'), sqlSections(sections));
  });
});
