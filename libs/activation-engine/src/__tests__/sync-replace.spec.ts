import type { AnyConnectorDefinition, EligibleMember, RecordOutcome, ReplaceBatch } from '@audiencekit/connector-sdk';
import { createHoldoutAssigner } from '@audiencekit/experimentation';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { buildEngine, recordingConnector, removeMembers, seedActivation, seedSegment, syncNow } from './sync-fixtures';

/**
 * Full resync (`requestSync(..., { fullResync: true })`): the vendor's list is replaced with every
 * eligible segment member through `connector.replace`, in sequenced batches with the last one
 * marked; members the destination held that are not sent (left, suppressed) become `removed`.
 */
describe('sync full resync (replace)', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  const replacing = (slug: string, maxBatchSize: number) => {
    const list = recordingConnector({ slug, maxBatchSize });
    const replaced: { batch: Omit<ReplaceBatch, 'members'>; members: EligibleMember[] }[] = [];
    const definition: AnyConnectorDefinition = {
      ...list.definition,
      replace: async (_ctx: unknown, batch: ReplaceBatch) => {
        const { members, ...rest } = batch;
        replaced.push({ batch: rest, members: [...members] });
        return members.map((member): RecordOutcome => ({ profileId: member.profileId, status: 'delivered' }));
      },
    };
    return { list, replaced, definition };
  };

  it('replaces with every eligible member in sequenced batches, the last marked, and drops what it did not send', async () => {
    const { list, replaced, definition } = replacing('replace-list', 7);
    const engine = buildEngine(db.dataSource, [definition], { pageSize: 10 });
    const { segmentId, profileIds } = await seedSegment(db.dataSource, 40);
    const { activationId } = await seedActivation(db.dataSource, {
      segmentId,
      connector: 'replace-list',
      mode: 'mirror',
      holdoutShare: 0.25,
      salt: 'replace-salt',
    });
    const control = createHoldoutAssigner('replace-salt', 0.25);
    const treated = profileIds.filter((id) => !control.isControl(id));
    await syncNow(engine, activationId);
    expect(list.received('upsert').sort()).toEqual([...treated].sort());

    // Some leave the segment, one is suppressed: the replace must not send them, and drops them.
    const leaving = treated.slice(0, 3);
    await removeMembers(db.dataSource, segmentId, leaving);
    const [email] = await db.dataSource.query(`SELECT value FROM identities WHERE profile_id = $1 AND type = 'email'`, [treated[3]]);
    await db.dataSource.query(
      `INSERT INTO suppressions (identifier_type, identifier_value, channel, reason) VALUES ('email', $1, 'all', 'test')`,
      [email.value],
    );
    const staying = treated.slice(4);
    list.calls.length = 0;

    const requested = await engine.service.requestSync(activationId, { fullResync: true });
    await engine.service.execute(requested.id);
    const run = await engine.service.getRun(requested.id);
    expect(run.status).toBe('succeeded');
    expect(list.calls).toEqual([]);
    expect(replaced.flatMap((call) => call.members.map((member) => member.profileId)).sort()).toEqual([...staying].sort());
    expect(replaced.map((call) => call.batch.sequence)).toEqual(replaced.map((_call, index) => index + 1));
    expect(replaced.map((call) => call.batch.last)).toEqual(replaced.map((_call, index) => index === replaced.length - 1));
    expect(new Set(replaced.map((call) => call.batch.replaceKey))).toEqual(new Set([run.id]));
    expect(replaced.every((call) => call.members.length <= 7 && call.batch.estimatedTotal === 37)).toBe(true);
    expect(run.counts).toMatchObject({ replaced: staying.length, removed: 4 });
    // Members the replace dropped keep no identifiers: the vendor no longer holds them (issue #16).
    const states = await db.dataSource.query(
      `SELECT state, count(*)::int AS n, count(identifiers)::int AS with_identifiers FROM activation_members WHERE activation_id = $1 GROUP BY state ORDER BY state`,
      [activationId],
    );
    expect(states).toEqual([
      { state: 'present', n: staying.length, with_identifiers: staying.length },
      { state: 'removed', n: 4, with_identifiers: 0 },
    ]);

    // Back to diffs: nothing changed, nothing is sent.
    const after = await syncNow(engine, activationId);
    expect(list.calls).toEqual([]);
    expect(after.run.counts.added ?? 0).toBe(0);
  });

  it('fails naming the reason for a connector without replace, or an activation that is not a mirror', async () => {
    const plain = recordingConnector({ slug: 'replace-none' });
    const { definition } = replacing('replace-add-only', 10);
    const engine = buildEngine(db.dataSource, [plain.definition, definition]);
    const { segmentId } = await seedSegment(db.dataSource, 5);
    const noReplace = await seedActivation(db.dataSource, { segmentId, connector: 'replace-none', mode: 'mirror' });
    const addOnly = await seedActivation(db.dataSource, { segmentId, connector: 'replace-add-only', mode: 'add_only' });
    for (const [activationId, reason] of [
      [noReplace.activationId, /cannot replace/],
      [addOnly.activationId, /replaces a mirrored list/],
    ] as const) {
      const requested = await engine.service.requestSync(activationId, { fullResync: true });
      await engine.service.execute(requested.id);
      const run = await engine.service.getRun(requested.id);
      expect(run.status).toBe('failed');
      expect(JSON.stringify(run.errors)).toMatch(reason);
    }
    expect(plain.calls).toEqual([]);
  });
});
