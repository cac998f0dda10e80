import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { computedTraitCreateSchema } from '../computed-traits/computed-trait-input.schema';
import { ComputedTraitsService } from '../computed-traits/computed-traits.service';
import { SegmentDefinitionGate } from '../segment-definition.gate';
import { createSegmentSchema } from '../segment-input.schema';
import { SegmentsService } from '../segments.service';

/**
 * A save makes a new version only when the definition changes. Postgres' jsonb stores object keys in
 * its own order (shorter keys first), so the stored definition comes back reordered: comparing the
 * two by their JSON text saw every re-save of the same definition as a change (a new version, and
 * for a model segment a refit).
 */
describe('segment and computed-trait versions on save', () => {
  let database: TestDatabase;
  let segments: SegmentsService;
  // Keys in an order jsonb does not keep: it stores type, trait, value, operator.
  const definition = { type: 'rules', match: { type: 'trait', trait: 'plan', operator: 'equals', value: 'pro' } };

  beforeAll(async () => {
    database = await createTestDatabase();
    segments = new SegmentsService(database.dataSource, new SegmentDefinitionGate());
  });

  afterAll(async () => {
    await database?.drop();
  });

  it('keeps the version when the same definition is saved again, whatever its key order', async () => {
    const created = await segments.create(createSegmentSchema.parse({ key: 'pro', name: 'Pro', owner: 'test', definition }), null);
    expect(created.version).toBe(1);
    const resaved = await segments.update(created.id, { definition: structuredClone(definition), name: 'Pro plan' }, null);
    expect(resaved.version).toBe(1);
    expect(resaved.name).toBe('Pro plan');
    const reordered = { match: { value: 'pro', operator: 'equals', trait: 'plan', type: 'trait' }, type: 'rules' };
    expect((await segments.update(created.id, { definition: reordered }, null)).version).toBe(1);
    const versions = await database.dataSource.query(`SELECT version FROM segment_versions WHERE segment_id = $1`, [created.id]);
    expect(versions).toEqual([{ version: 1 }]);
  });

  it('makes a new version when the definition changes', async () => {
    const created = await segments.create(createSegmentSchema.parse({ key: 'pro-2', name: 'Pro', owner: 'test', definition }), null);
    const changed = { type: 'rules', match: { ...definition.match, value: 'enterprise' } };
    expect((await segments.update(created.id, { definition: changed }, null)).version).toBe(2);
  });

  it("keeps a computed trait's version when its definition is saved again, and makes one when it changes", async () => {
    const traits = new ComputedTraitsService(database.dataSource);
    // jsonb stores event, window, function, property (shorter keys first).
    const spend = { function: 'sum', event: 'Order Completed', property: 'revenue', window: 'last 90 days' };
    await traits.create(computedTraitCreateSchema.parse({ key: 'spend_90d', owner: 'crm', definition: spend }), null);
    expect((await traits.update('spend_90d', { definition: { ...spend }, owner: 'growth' }, null)).version).toBe(1);
    expect((await traits.update('spend_90d', { definition: { ...spend, window: 'last 30 days' } }, null)).version).toBe(2);
  });
});
