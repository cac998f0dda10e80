import { join } from 'node:path';
import { EntityManager } from 'typeorm';
import { captureSql, createTestDatabase, expectGolden, sqlSections, TestDatabase } from '@audiencekit/testing';
import * as repository from '../catalogue.repository';

/**
 * Golden SQL of libs/catalogue's repository (`src/__golden__/catalogue.repository.sql`): every
 * function called once against a real migrated database, the text of each statement compared with
 * the committed file. `UPDATE_GOLDENS=1 npx jest libs/catalogue/src/__tests__/repository-goldens` rewrites it.
 */
describe('golden SQL of the libs/catalogue repository', () => {
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
      await record('tryFoldLock', () => repository.tryFoldLock(manager));
      const window = await record('foldWindow', () => repository.foldWindow(manager));
      await record('foldEventNames', () => repository.foldEventNames(manager, window));
      await record('foldKeys', () => repository.foldKeys(manager, window, 1));
      await record('advanceWatermark', () => repository.advanceWatermark(manager, window.until, 0));
      await record('readState', () => repository.readState(manager));
      await record('listEventNames', () => repository.listEventNames(manager, 'ord', 20));
      await record('listKeys', () => repository.listKeys(manager, 'event', 'Order Completed', 'rev', 20));
    });
    expectGolden(join(__dirname, '..', '__golden__', 'catalogue.repository.sql'), sqlSections(sections));
  });
});
