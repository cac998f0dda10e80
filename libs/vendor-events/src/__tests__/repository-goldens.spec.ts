import { join } from 'node:path';
import { EntityManager } from 'typeorm';
import { captureSql, createTestDatabase, expectGolden, sqlSections, TestDatabase } from '@audiencekit/testing';
import * as repository from '../vendor-events.repository';

const ID = '00000000-0000-4000-8000-000000000001';

/**
 * Golden SQL of libs/vendor-events' repository (`src/__golden__/vendor-events.repository.sql`):
 * every function called once against a real migrated database, the text of each statement compared
 * with the committed file. `UPDATE_GOLDENS=1 npx jest libs/vendor-events/src/__tests__/repository-goldens` rewrites it.
 */
describe('golden SQL of the libs/vendor-events repository', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
  });

  afterAll(async () => {
    await database?.drop();
  });

  it('pins the text of every query', async () => {
    const sections: [string, string[]][] = [];
    await database.dataSource.transaction(async (manager: EntityManager) => {
      const record = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
        const { result, statements } = await captureSql(database.dataSource, work);
        sections.push([name, statements]);
        return result;
      };
      await record('findDestination', () => repository.findDestination(manager, ID));
      await record('activationUsesDestination', () => repository.activationUsesDestination(manager, ID, ID));
      await record('firstTreatedAt', () => repository.firstTreatedAt(manager, ID, ID));
      await record('ownerOf', () => repository.ownerOf(manager, 'email', 'ann@example.com'));
      await record('identifierOfProfile', () => repository.identifierOfProfile(manager, ID, { type: 'email', value: 'ann@example.com' }));
      await record('deleteOptOutSuppression', () =>
        repository.deleteOptOutSuppression(
          manager,
          { identifierType: 'phone', value: '+14155550100', channel: 'sms' },
          'twilio inbound STOP',
        ),
      );
      await record('insertOptInAudit', () => repository.insertOptInAudit(manager, '1', { channel: 'sms' }));
    });
    expectGolden(join(__dirname, '..', '__golden__', 'vendor-events.repository.sql'), sqlSections(sections));
  });
});
