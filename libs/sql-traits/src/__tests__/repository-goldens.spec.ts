import { join } from 'node:path';
import { EntityManager } from 'typeorm';
import { captureSql, createTestDatabase, expectGolden, sqlSections, TestDatabase } from '@audiencekit/testing';
import * as executor from '../sql-trait-executor.repository';
import * as repository from '../sql-traits.repository';

/**
 * Golden SQL of libs/sql-traits (`src/__golden__/`): every repository function called once against
 * a real migrated database, the text of each statement compared with the committed files.
 * `UPDATE_GOLDENS=1 npx jest libs/sql-traits/src/__tests__/repository-goldens` rewrites them.
 */
describe('golden SQL of the libs/sql-traits repositories', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
  });

  afterAll(async () => {
    await database?.drop();
  });

  it('pins the text of every executor statement', async () => {
    const sections: [string, string[]][] = [];
    const record = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
      const { result, statements } = await captureSql(database.dataSource, work);
      sections.push([name, statements]);
      return result;
    };
    await record('availability', () => executor.availability(database.dataSource));
    const limits = { timeoutMs: 1_000, rowCap: 10 };
    await record('executeReadOnly', () =>
      executor.executeReadOnly(database.dataSource, 'SELECT id AS profile_id, 1 AS n FROM profiles', limits),
    );
    await record('executeReadOnly (describe only)', () =>
      executor.executeReadOnly(database.dataSource, 'SELECT id AS profile_id, 1 AS n FROM profiles', limits, { describeOnly: true }),
    );
    await record('executeReadOnly (a syntax error, parsed alone)', () =>
      executor.executeReadOnly(database.dataSource, 'SELEC 1', limits).catch(() => undefined),
    );
    expectGolden(join(__dirname, '..', '__golden__', 'sql-trait-executor.repository.sql'), sqlSections(sections));
  });

  it('pins the text of every definition query', async () => {
    const sections: [string, string[]][] = [];
    await database.dataSource.transaction(async (manager: EntityManager) => {
      const record = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
        const { result, statements } = await captureSql(database.dataSource, work);
        sections.push([name, statements]);
        return result;
      };
      const id = await record('insertTrait', () =>
        repository.insertTrait(manager, { key: 'ltv', name: 'LTV', description: '', owner: 'crm@example.com', cadence: 'manual' }),
      );
      await record('insertVersion', () =>
        repository.insertVersion(manager, id, 1, { sql: 'SELECT 1', keyKind: 'email', valueColumns: ['ltv'], createdBy: null }),
      );
      await record('findTrait', () => repository.findTrait(manager, 'ltv'));
      await record('listTraits', () => repository.listTraits(manager));
      await record('updateTrait', () =>
        repository.updateTrait(manager, id, { name: 'LTV', description: 'd', owner: 'crm@example.com', cadence: '0 3 * * *' }, 1),
      );
      await record('recordRun', () => repository.recordRun(manager, id, new Date(0), { status: 'succeeded' }));
      await record('reservedKeys', () => repository.reservedKeys(manager, ['ltv'], null));
      await record('traitKeyById', () => repository.traitKeyById(manager, id));
      await record('resolveKeys (profile_id)', () =>
        repository.resolveKeys(manager, 'profile_id', ['00000000-0000-0000-0000-000000000000']),
      );
      await record('resolveKeys (email)', () => repository.resolveKeys(manager, 'email', ['a@example.com']));
      await record('scheduledTraits', () => repository.scheduledTraits(manager));
      await record('claimFireTime', () => repository.claimFireTime(manager, id, new Date(0)));
      await record('softDeleteTrait', () => repository.softDeleteTrait(manager, id));
    });
    expectGolden(join(__dirname, '..', '__golden__', 'sql-traits.repository.sql'), sqlSections(sections));
  });
});
