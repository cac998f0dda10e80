import { join } from 'node:path';
import { captureSql, createTestDatabase, expectGolden, sqlSections, TestDatabase } from '@audiencekit/testing';
import * as repository from './privacy-deletion.repository';

/**
 * Golden SQL of `privacy-deletion.repository.ts` (`__golden__/privacy-deletion.repository.sql`):
 * each statement of a deletion, once, in one transaction on a real migrated database, compared
 * with the committed text. `UPDATE_GOLDENS=1 npx jest libs/privacy/src/privacy-deletion.repository`
 * rewrites it. What a deletion does is tested end to end in apps/api/src/privacy.
 */
describe('golden SQL of the privacy deletion repository', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
  });

  afterAll(async () => {
    await database?.drop();
  });

  it('pins the text of every statement', async () => {
    const sections: [string, string[]][] = [];
    await database.dataSource.transaction(async (manager) => {
      const record = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
        const { result, statements } = await captureSql(database.dataSource, work);
        sections.push([name, statements]);
        return result;
      };
      const [{ id: profileId }] = await manager.query(`INSERT INTO profiles (traits) VALUES ('{}') RETURNING id`);
      await manager.query(`INSERT INTO identities (profile_id, type, value) VALUES ($1, 'email', 'golden@example.com')`, [profileId]);
      const identifier = { type: 'email', value: 'golden@example.com' };
      const profileIds = await record('lockProfilesOf', () => repository.lockProfilesOf(manager, identifier));
      const identifiers = await record('identifiersOf', () => repository.identifiersOf(manager, profileIds));
      await record('suppressAll', () => repository.suppressAll(manager, [identifier, ...identifiers], 'golden'));
      await record('activationsHolding', () => repository.activationsHolding(manager, profileIds));
      await record('clearDeliveredIdentifiers', () => repository.clearDeliveredIdentifiers(manager, profileIds));
      await record('forgetVendorTexts', () => repository.forgetVendorTexts(manager, profileIds, [identifier.value]));
      await record('deleteEvents', () => repository.deleteEvents(manager, profileIds));
      await record('deleteIdentities', () => repository.deleteIdentities(manager, profileIds));
      await record('deleteDerivedValues', () => repository.deleteDerivedValues(manager, profileIds));
      await record('emptyProfiles', () => repository.emptyProfiles(manager, profileIds));
      await record('touchForRealtime', () => repository.touchForRealtime(manager, profileIds));
      const deletionId = '00000000-0000-4000-8000-000000000001';
      await record('insertDeletionAudit', () => repository.insertDeletionAudit(manager, deletionId, null, { id: deletionId }));
      await record('findDeletionAudit', () => repository.findDeletionAudit(manager, deletionId));
    });
    expectGolden(join(__dirname, '__golden__', 'privacy-deletion.repository.sql'), sqlSections(sections));
  });
});
