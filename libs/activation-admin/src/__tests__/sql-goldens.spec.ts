import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { captureSql, createTestDatabase, expectGolden, sqlSections, TestDatabase } from '@audiencekit/testing';
import { hasExposures } from '../activations/activations.repository';
import { lockSealedSecrets, saveSealedSecrets } from '../destinations/destination-secrets.repository';
import { readGlobalHoldout, upsertGlobalHoldout } from '../holdout/global-holdout.repository';
import { LiftDataRepository } from '../lift/lift-data.repository';
import { detachDeletedActivations, entryMemberCounts, liveActivationsOfList } from '../priority-lists/priority-lists.repository';
import { journeyEntryCounts } from '../journeys/journeys-admin.repository';

/**
 * Golden SQL of this library's repositories (`__golden__/`): a query change shows up in review.
 * `UPDATE_GOLDENS=1 npx jest libs/activation-admin/src/__tests__/sql-goldens.spec.ts` rewrites them.
 */
describe('golden SQL of the admin repositories', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  async function section(name: string, work: () => Promise<unknown>): Promise<[string, string[]]> {
    return [name, (await captureSql(db.dataSource, work)).statements];
  }

  it('activations, global holdout, lift and sealed-secrets queries', async () => {
    const m = db.dataSource.manager;
    const lift = new LiftDataRepository(db.dataSource);
    const kpi = { event: 'purchase', windowDays: 14, valueProperties: ['revenue', 'value'] as [string, string] };
    const asOf = new Date('2026-01-01T00:00:00Z');
    const sections = [
      await section('hasExposures', () => hasExposures(m, randomUUID())),
      await section('readGlobalHoldout', () => readGlobalHoldout(m)),
      await section('upsertGlobalHoldout', () => upsertGlobalHoldout(m, 0.1, 'salt', 1)),
      await section('LiftDataRepository.arm', () => lift.arm(randomUUID(), 'treatment', kpi, asOf)),
      await section('LiftDataRepository.baseline', () => lift.baseline(kpi, { start: new Date('2025-12-01T00:00:00Z'), end: asOf })),
      await section('LiftDataRepository.launchSize', () => lift.launchSize(randomUUID(), asOf)),
      await section('lockSealedSecrets', () => db.dataSource.transaction((tx) => lockSealedSecrets(tx))),
      await section('saveSealedSecrets', () => saveSealedSecrets(m, randomUUID(), { ciphertext: 'c', keyId: 'k' })),
    ];
    expectGolden(join(__dirname, '__golden__', 'admin.repositories.sql'), sqlSections(sections));
  });

  it('priority-lists.repository (issue #23)', async () => {
    const m = db.dataSource.manager;
    const sections = [
      await section('entryMemberCounts', () => entryMemberCounts(m, randomUUID())),
      await section('liveActivationsOfList', () => liveActivationsOfList(m, randomUUID())),
      await section('detachDeletedActivations', () => detachDeletedActivations(m, randomUUID())),
    ];
    expectGolden(join(__dirname, '__golden__', 'priority-lists.repository.sql'), sqlSections(sections));
  });

  it('journeys-admin.repository (issue #23)', async () => {
    const sections = [await section('journeyEntryCounts', () => journeyEntryCounts(db.dataSource.manager, [randomUUID()]))];
    expectGolden(join(__dirname, '__golden__', 'journeys-admin.repository.sql'), sqlSections(sections));
  });
});
