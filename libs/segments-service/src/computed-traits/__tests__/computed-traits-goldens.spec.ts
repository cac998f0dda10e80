import { join } from 'node:path';
import { EntityManager } from 'typeorm';
import { compileComputedTraitRefresh, parseComputedTraitDefinition } from '@audiencekit/segments-domain';
import { captureSql, createTestDatabase, expectGolden, sqlSections, TestDatabase } from '@audiencekit/testing';
import * as traits from '../computed-traits.repository';
import * as values from '../trait-values.repository';

/**
 * Golden SQL of the computed-traits repositories (`src/__golden__/computed-traits.repository.sql`,
 * `trait-values.repository.sql`): every function called once against a real migrated database.
 * `UPDATE_GOLDENS=1 npx jest libs/segments-service/src/computed-traits/__tests__/computed-traits-goldens` rewrites them.
 */
describe('golden SQL of the computed-traits repositories', () => {
  let database: TestDatabase;
  const NOW = new Date('2026-03-01T12:00:00.000Z');

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('pins the text of every query', async () => {
    const written: Record<string, [string, string[]][]> = { 'computed-traits.repository': [], 'trait-values.repository': [] };
    await database.dataSource.transaction(async (manager: EntityManager) => {
      const record = async <T>(file: string, name: string, work: () => Promise<T>): Promise<T> => {
        const { result, statements } = await captureSql(database.dataSource, work);
        written[file].push([name, statements]);
        return result;
      };
      const t = 'computed-traits.repository';
      const [profile] = await manager.query(`INSERT INTO profiles (traits) VALUES ('{}') RETURNING id`);
      const definition = parseComputedTraitDefinition({ function: 'count', event: 'Order Completed', window: 'last 30 days' });
      await record(t, 'lockKeyNamespace', () => traits.lockKeyNamespace(manager));
      const id = await record(t, 'insertTrait', () =>
        traits.insertTrait(manager, { key: 'orders_30d', description: '', owner: 'crm', cadence: 'realtime' }, definition, null),
      );
      await record(t, 'updateTrait', () =>
        traits.updateTrait(manager, id, { description: 'd', owner: 'crm', cadence: 'realtime' }, definition, null),
      );
      await record(t, 'findTrait', () => traits.findTrait(manager, 'orders_30d'));
      await record(t, 'listTraits', () => traits.listTraits(manager));
      await record(t, 'tryLockTraitRun', () => traits.tryLockTraitRun(manager, id));
      await record(t, 'recordRun', () => traits.recordRun(manager, id, NOW, { withValue: 0 }));
      await record(t, 'scheduledTraits', () => traits.scheduledTraits(manager));
      await record(t, 'realtimeTraits', () => traits.realtimeTraits(manager));
      await record(t, 'knownTraitKeys', () => traits.knownTraitKeys(manager, ['orders_30d']));
      await record(t, 'sqlTraitKeys', () => traits.sqlTraitKeys(manager, ['orders_30d']));
      await record(t, 'segmentsReferencing', () => traits.segmentsReferencing(manager, 'orders_30d'));
      await record(t, 'traitEvents', () => traits.traitEvents(manager, [profile.id], ['Order Completed'], NOW));
      await record(t, 'liveProfiles', () => traits.liveProfiles(manager, [profile.id]));
      await record(t, 'valuesFor', () => traits.valuesFor(manager, [profile.id], ['orders_30d']));
      await record(t, 'replaceTraitDueTimes', () =>
        traits.replaceTraitDueTimes(manager, [profile.id], [{ traitId: id, profileId: profile.id, dueAt: NOW.getTime() }]),
      );
      await record(t, 'handOverDueTraits', () => traits.handOverDueTraits(manager, NOW, 10));
      await record(t, 'touchProfilesWithEvent', () => traits.touchProfilesWithEvent(manager, 'Order Completed'));
      await record(t, 'deleteTraitDueTimes', () => traits.deleteTraitDueTimes(manager, id));
      await record(t, 'softDeleteTrait', () => traits.softDeleteTrait(manager, id));

      const v = 'trait-values.repository';
      const source = { kind: 'computed' as const, id, version: 1 };
      await record(v, 'replaceSourceValues', () =>
        values.replaceSourceValues(manager, source, [{ profileId: profile.id, key: 'k', value: 1 }], NOW),
      );
      await record(v, 'writeProfileValues', () => values.writeProfileValues(manager, profile.id, [{ key: 'k', source, value: 2 }], NOW));
      await record(v, 'runRefreshStatement', () =>
        values.runRefreshStatement(
          manager,
          compileComputedTraitRefresh(definition, { traitId: id, version: 1, key: 'orders_30d', computedAt: NOW }, { now: NOW }),
        ),
      );
      await record(v, 'keyOwners', () => values.keyOwners(manager, ['k'], null));
      await record(v, 'profileValues', () => values.profileValues(manager, profile.id));
      await record(v, 'valuesOfKey', () => values.valuesOfKey(manager, 'k', 10));
      await record(v, 'deleteSourceValues', () => values.deleteSourceValues(manager, 'computed', id));
    });
    for (const [name, sections] of Object.entries(written))
      expectGolden(join(__dirname, '..', '..', '__golden__', `${name}.sql`), sqlSections(sections));
  });
});
