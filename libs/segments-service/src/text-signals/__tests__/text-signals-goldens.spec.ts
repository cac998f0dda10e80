import { join } from 'node:path';
import { EntityManager } from 'typeorm';
import { captureSql, createTestDatabase, expectGolden, sqlSections, TestDatabase } from '@audiencekit/testing';
import * as textSignals from '../text-signals.repository';

/**
 * Golden SQL of `text-signals.repository.ts` (`src/__golden__/text-signals.repository.sql`): every
 * function called once against a real migrated database.
 * `UPDATE_GOLDENS=1 npx jest libs/segments-service/src/text-signals/__tests__/text-signals-goldens` rewrites it.
 */
describe('golden SQL of the text-signals repository', () => {
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
      const config = { event: 'Review Submitted', property: 'text', vocabularies: { eco: ['recycled'] } };
      const row = (await record('insertTextSignalConfig', () =>
        textSignals.insertTextSignalConfig(manager, config),
      )) as textSignals.TextSignalConfigRow;
      await record('updateTextSignalConfig', () => textSignals.updateTextSignalConfig(manager, config.event, config));
      await record('findTextSignalConfig', () => textSignals.findTextSignalConfig(manager, config.event));
      await record('listTextSignalConfigs', () => textSignals.listTextSignalConfigs(manager));
      await record('tryScoringLock', () => textSignals.tryScoringLock(manager));
      const until = await record('scoringHorizon', () => textSignals.scoringHorizon(manager));
      await record('unscoredEvents', () =>
        textSignals.unscoredEvents(manager, { event: config.event, property: 'text', from: null, until, limit: 10 }),
      );
      await record('storeSignals', () => textSignals.storeSignals(manager, [{ id: '1', signals: {} }]));
      await record('advanceWatermark', () => textSignals.advanceWatermark(manager, row.id, until, 0));
      await record('deleteTextSignalConfig', () => textSignals.deleteTextSignalConfig(manager, config.event));
    });
    expect(written).toHaveLength(10);
    expectGolden(join(__dirname, '..', '..', '__golden__', 'text-signals.repository.sql'), sqlSections(written));
  });
});
