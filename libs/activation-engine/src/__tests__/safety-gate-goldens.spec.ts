import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { captureSql, createTestDatabase, expectGolden, sqlSections, TestDatabase } from '@audiencekit/testing';
import * as gates from '../guard/safety-gate.repository';
import { seedActivation, seedSegment } from './sync-fixtures';

/**
 * Golden SQL of `guard/safety-gate.repository.ts` (`__golden__/safety-gate.repository.sql`), kept
 * beside sql-goldens.spec.ts. `UPDATE_GOLDENS=1 CI=true npx jest libs/activation-engine/src/__tests__/safety-gate-goldens.spec.ts`
 * rewrites it; sync-safety-gates.spec.ts proves the queries right.
 */
describe('golden SQL of the safety-gate repository', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('pins the text of every query', async () => {
    const m = db.dataSource.manager;
    const { segmentId } = await seedSegment(db.dataSource, 2);
    const { activationId } = await seedActivation(db.dataSource, { segmentId, connector: 'golden', mode: 'mirror' });
    const section = async (name: string, work: () => Promise<unknown>): Promise<[string, string[]]> => [
      name,
      (await captureSql(db.dataSource, work)).statements,
    ];
    const sections = [
      await section('heldMemberCount', () => gates.heldMemberCount(m, activationId)),
      await section('onChangeRemovedThisHour', () => gates.onChangeRemovedThisHour(m, activationId)),
      await section('refreshQualityOf', () => gates.refreshQualityOf(m, randomUUID())),
    ];
    expectGolden(join(__dirname, '__golden__', 'safety-gate.repository.sql'), sqlSections(sections));
  });
});
