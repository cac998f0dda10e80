import { randomUUID } from 'node:crypto';
import { captureSql, createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { buildEngine, recordingConnector, seedActivation, seedSegment, syncNow } from './sync-fixtures';

/**
 * Computed and SQL trait values (issue #20) reach connectors as `member.computed`: only the keys the
 * activation uses (the connector's `computedTraitRefs(settings)`, `{{computed.<key>}}` in the
 * message), read with one query per page of candidates, never one per member.
 */
describe('computed trait values in activation payloads', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  async function storeValues(profileIds: string[], key: string, valueOf: (index: number) => unknown): Promise<void> {
    const source = randomUUID();
    await db.dataSource.query(
      `INSERT INTO computed_trait_values (profile_id, key, value, source_kind, source_id, source_version, computed_at)
       SELECT p, $2, v, 'computed', $3, 1, now() FROM unnest($1::uuid[], $4::jsonb[]) AS t(p, v)`,
      [profileIds, key, source, profileIds.map((_, index) => JSON.stringify(valueOf(index)))],
    );
  }

  it('list sync: members carry the mapped keys only; a member without a value carries none; one read per page', async () => {
    const recording = recordingConnector({ slug: 'computed-list', maxBatchSize: 5 });
    const definition = {
      ...recording.definition,
      computedTraitRefs: (settings: { fields?: string[] }) => (settings.fields ?? []).map((key) => ({ key, path: `fields.${key}` })),
    };
    const engine = buildEngine(db.dataSource, [definition]);
    const { segmentId, profileIds } = await seedSegment(db.dataSource, 12);
    await storeValues(profileIds.slice(0, 10), 'spend_90d', (index) => index * 10);
    await storeValues(profileIds, 'not_used', () => 'secret-ish');
    const { activationId } = await seedActivation(db.dataSource, {
      segmentId,
      connector: 'computed-list',
      mode: 'mirror',
      settings: { fields: ['spend_90d'] },
    });
    const captured = await captureSql(db.dataSource, () => syncNow(engine, activationId));
    const members = recording.calls.flatMap((call) => call.members);
    expect(members).toHaveLength(12);
    const byId = new Map(members.map((member) => [member.profileId, member.computed]));
    profileIds.slice(0, 10).forEach((id, index) => expect(byId.get(id)).toEqual({ spend_90d: index * 10 }));
    expect(byId.get(profileIds[10])).toEqual({});
    expect(byId.get(profileIds[11])).toEqual({});
    const reads = captured.statements.filter((sql) => sql.includes('FROM computed_trait_values'));
    // 12 members in batches of 5: pages are read whole, so far fewer reads than members or batches.
    expect(reads.length).toBeGreaterThanOrEqual(1);
    expect(reads.length).toBeLessThan(3);
  });

  it('send mode: {{computed.<key>}} placeholders of the message decide the keys', async () => {
    const recording = recordingConnector({ slug: 'computed-send', deliveryModel: 'send', maxBatchSize: 50 });
    const engine = buildEngine(db.dataSource, [recording.definition]);
    const { segmentId, profileIds } = await seedSegment(db.dataSource, 3);
    await storeValues(profileIds, 'favourite', (index) => ['shoes', 'hats', 'bags'][index]);
    await storeValues(profileIds, 'other', () => 1);
    const { activationId } = await seedActivation(db.dataSource, {
      segmentId,
      connector: 'computed-send',
      mode: 'send',
      message: { text: 'New {{computed.favourite}} for you, {{first_name}}' },
    });
    const { run } = await syncNow(engine, activationId);
    expect(run.status).toBe('succeeded');
    const members = recording.calls.flatMap((call) => call.members);
    const byId = new Map(members.map((member) => [member.profileId, member.computed]));
    expect(profileIds.map((id) => byId.get(id))).toEqual([{ favourite: 'shoes' }, { favourite: 'hats' }, { favourite: 'bags' }]);
  });

  it('an activation that uses no computed trait reads none and its members carry no computed field', async () => {
    const recording = recordingConnector({ slug: 'computed-none', maxBatchSize: 50 });
    const engine = buildEngine(db.dataSource, [recording.definition]);
    const { segmentId, profileIds } = await seedSegment(db.dataSource, 3);
    await storeValues(profileIds, 'spend_90d', () => 5);
    const { activationId } = await seedActivation(db.dataSource, { segmentId, connector: 'computed-none', mode: 'mirror' });
    const captured = await captureSql(db.dataSource, () => syncNow(engine, activationId));
    expect(captured.statements.filter((sql) => sql.includes('FROM computed_trait_values'))).toEqual([]);
    expect(recording.calls.flatMap((call) => call.members).every((member) => member.computed === undefined)).toBe(true);
  });
});
