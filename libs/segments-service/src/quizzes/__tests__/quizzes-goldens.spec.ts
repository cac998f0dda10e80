import { join } from 'node:path';
import { EntityManager } from 'typeorm';
import { captureSql, createTestDatabase, expectGolden, sqlSections, TestDatabase } from '@audiencekit/testing';
import * as quizzes from '../quizzes.repository';

/**
 * Golden SQL of `quizzes.repository.ts` (`src/__golden__/quizzes.repository.sql`): every function
 * called once against a real migrated database.
 * `UPDATE_GOLDENS=1 npx jest libs/segments-service/src/quizzes/__tests__/quizzes-goldens` rewrites it.
 */
describe('golden SQL of the quizzes repository', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('pins the text of every query', async () => {
    const written: [string, string[]][] = [];
    await database.dataSource.transaction(async (manager: EntityManager) => {
      const record = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
        const { result, statements } = await captureSql(database.dataSource, work);
        written.push([name, statements]);
        return result;
      };
      const definition = { title: 't', questions: [{ id: 'q', text: 't', kind: 'number', required: false, trait: 'n' }] };
      const id = (await record('insertQuiz', () =>
        quizzes.insertQuiz(manager, { key: 'poll', title: 't', owner: 'crm' }, definition, null),
      )) as string;
      await record('lockQuiz', () => quizzes.lockQuiz(manager, 'poll'));
      await record('updateQuiz', () => quizzes.updateQuiz(manager, id, { title: 't', owner: 'crm' }, definition, null));
      await record('findQuiz', () => quizzes.findQuiz(manager, 'poll'));
      await record('listQuizzes', () => quizzes.listQuizzes(manager));
      await record('versionExists', () => quizzes.versionExists(manager, id, 1));
      await record('quizSubmissionCounts', () => quizzes.quizSubmissionCounts(manager, 'poll'));
      await record('quizOptionCounts', () => quizzes.quizOptionCounts(manager, 'poll'));
      await record('quizNumberStats', () => quizzes.quizNumberStats(manager, 'poll'));
      await record('softDeleteQuiz', () => quizzes.softDeleteQuiz(manager, id));
    });
    expect(written).toHaveLength(10);
    expectGolden(join(__dirname, '..', '..', '__golden__', 'quizzes.repository.sql'), sqlSections(written));
  });
});
