import { join } from 'node:path';
import { captureSql, createTestDatabase, expectGolden, sqlSections, TestDatabase } from '@audiencekit/testing';
import * as consent from './consent/consent.repository';
import * as suppressions from './suppressions/suppressions.repository';

/**
 * Golden SQL of `suppressions.repository.ts` and `consent.repository.ts`
 * (`__golden__/suppressions-consent.repository.sql`): each statement once, in one transaction on a
 * real migrated database. `UPDATE_GOLDENS=1 npx jest libs/privacy/src/suppressions-consent` rewrites
 * it. What they do is tested end to end in apps/api/src/privacy/suppressions-consent.e2e.spec.ts.
 */
describe('golden SQL of the suppression and consent repositories', () => {
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
      const key = { identifierType: 'email', value: 'golden@example.com', channel: 'all', reason: 'golden' };
      const filter = { channel: 'all' as const, reason: 'gold' };
      await record('insertSuppressions', () => suppressions.insertSuppressions(manager, [key]));
      await record('listSuppressions', () => suppressions.listSuppressions(manager, filter, null, 10));
      await record('countSuppressions', () => suppressions.countSuppressions(manager, filter));
      await record('exportPage', () => suppressions.exportPage(manager, filter, null, 10));
      await record('findSuppression', () => suppressions.findSuppression(manager, key));
      await record('mirrorActivationsHolding', () => suppressions.mirrorActivationsHolding(manager, [key]));
      await record('deleteSuppression', () => suppressions.deleteSuppression(manager, key));
      await record('insertSuppressionAudit', () => suppressions.insertSuppressionAudit(manager, 'suppression.added', '1', null, {}));

      const [{ id: destinationId }] = await manager.query(
        `INSERT INTO destinations (name, connector) VALUES ('d', 'webhook') RETURNING id`,
      );
      const [{ id: profileId }] = await manager.query(`INSERT INTO profiles (traits) VALUES ('{}') RETURNING id`);
      await record('upsertCategory', () => consent.upsertCategory(manager, 'email_marketing', 'Email', ''));
      await record('listCategories', () => consent.listCategories(manager));
      await record('findCategory', () => consent.findCategory(manager, 'email_marketing'));
      await record('existingCategoryKeys', () => consent.existingCategoryKeys(manager, ['email_marketing']));
      await record('lockLiveDestination', () => consent.lockLiveDestination(manager, destinationId));
      await record('replaceDestinationCategories', () => consent.replaceDestinationCategories(manager, destinationId, ['email_marketing']));
      await record('destinationCategories', () => consent.destinationCategories(manager, destinationId));
      await record('lockSurvivingProfile', () => consent.lockSurvivingProfile(manager, profileId));
      await record('readProfileTraits', () => consent.readProfileTraits(manager, profileId));
      await record('writeProfileTraits', () => consent.writeProfileTraits(manager, { id: profileId, traits: {}, traitTimestamps: {} }));
      await record('mirrorActivationsRequiring', () => consent.mirrorActivationsRequiring(manager, profileId, ['email_marketing']));
      await record('insertConsentAudit', () => consent.insertConsentAudit(manager, 'profile.consent', 'profile', profileId, null, {}));
      await record('lockWithdrawals', () => consent.lockWithdrawals(manager, 10, null));
      await record('deleteWithdrawals', () => consent.deleteWithdrawals(manager, ['1']));
      await record('deleteCategory (in use)', () => consent.deleteCategory(manager, 'email_marketing'));
      await manager.query(`DELETE FROM destination_consent_categories`);
      await record('deleteCategory', () => consent.deleteCategory(manager, 'email_marketing'));
    });
    expectGolden(join(__dirname, '__golden__', 'suppressions-consent.repository.sql'), sqlSections(sections));
  });
});
