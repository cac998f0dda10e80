import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { SegmentDefinitionGate } from '../segment-definition.gate';
import { createSegmentSchema } from '../segment-input.schema';
import { SegmentsException } from '../segments.exception';
import { SegmentsService } from '../segments.service';

/**
 * Segment references never form a cycle, even when two saves race: each save checks the reference
 * graph (the current versions of every live segment) under one transaction-level advisory lock.
 */
describe('segment reference cycles under concurrent saves', () => {
  let database: TestDatabase;
  let segments: SegmentsService;
  const rules = (match: unknown) => ({ type: 'rules', match });

  beforeAll(async () => {
    database = await createTestDatabase();
    segments = new SegmentsService(database.dataSource, new SegmentDefinitionGate());
  });

  afterAll(async () => {
    await database?.drop();
  });

  it('of two saves closing a cycle at the same moment, exactly one succeeds', async () => {
    for (let round = 0; round < 10; round += 1) {
      const create = (key: string) =>
        segments.create(
          createSegmentSchema.parse({
            key,
            name: key,
            owner: 'test',
            definition: rules({ type: 'trait', trait: 'email', operator: 'exists' }),
          }),
          null,
        );
      const [a, b] = [await create(`a-${round}`), await create(`b-${round}`)];
      const outcomes = await Promise.allSettled([
        segments.update(a.id, { definition: rules({ type: 'segment', segment: b.key }) }, null),
        segments.update(b.id, { definition: rules({ type: 'segment', segment: a.key }) }, null),
      ]);
      expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
      const [refused] = outcomes.filter((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
      expect(refused.reason).toBeInstanceOf(SegmentsException);
      expect(refused.reason).toMatchObject({ code: 'segment_reference_cycle' });
    }
  });
});
