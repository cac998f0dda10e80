import type { RecordOutcome } from '@audiencekit/connector-sdk';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { SyncRunControlService } from '../run-control/sync-run-control.service';
import { SyncRequestsService } from '../sync-requests.service';
import { Behaviour, buildEngine, Engine, recordingConnector, seedActivation, seedSegment } from './sync-fixtures';

/**
 * Run control with the real runner: a cancel that arrives while a batch is at the vendor lets that
 * batch finish and be recorded, and no batch is called after it; a queued run is cancelled before
 * any call; a retry is a new run that delivers what the cancelled one did not. And the rejected
 * records of a run, paged, with their reasons.
 */
describe('sync run control', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  function controlOf(engine: Engine): SyncRunControlService {
    return new SyncRunControlService(db.dataSource, engine.service, new SyncRequestsService(db.dataSource, engine.service, {}));
  }

  async function setup(slug: string, behaviour: Behaviour | undefined, members: number) {
    const connector = recordingConnector({ slug, behaviour, maxBatchSize: 10 });
    // One page holds every batch, so only the check between batches can stop the run early.
    const engine = buildEngine(db.dataSource, [connector.definition], { pageSize: 1_000 });
    const { segmentId, profileIds } = await seedSegment(db.dataSource, members);
    const { activationId } = await seedActivation(db.dataSource, { segmentId, connector: slug, mode: 'mirror' });
    return { connector, engine, control: controlOf(engine), activationId, profileIds };
  }

  const presentMembers = async (activationId: string): Promise<string[]> =>
    (
      await db.dataSource.query(`SELECT profile_id FROM activation_members WHERE activation_id = $1 AND state = 'present' ORDER BY 1`, [
        activationId,
      ])
    ).map((row: { profile_id: string }) => row.profile_id);

  it('a cancel during a batch stops the run after it: what was called is recorded, nothing after it is called', async () => {
    const hooks: { cancel?: () => Promise<unknown> } = {};
    const behaviour: Behaviour = async (members, call) => {
      if (call === 2) await hooks.cancel?.();
      return members.map((member): RecordOutcome => ({ profileId: member.profileId, status: 'delivered' }));
    };
    const { connector, engine, control, activationId, profileIds } = await setup('cancel-running', behaviour, 100);
    const run = await engine.service.requestSync(activationId);
    hooks.cancel = () => control.cancel(run.id);
    const outcome = await engine.service.execute(run.id);

    expect(outcome.status).toBe('cancelled');
    const after = await engine.service.getRun(run.id);
    expect(after.status).toBe('cancelled');
    expect(after.finishedAt).not.toBeNull();
    // Two lanes: the batch at the vendor when the cancel came, and at most the one whose call was already under way.
    expect(connector.calls.length).toBeGreaterThanOrEqual(2);
    expect(connector.calls.length).toBeLessThanOrEqual(3);
    const received = connector.received().sort();
    expect(await presentMembers(activationId)).toEqual(received);
    expect(after.counts['added']).toBe(received.length);
    const inFlight = await db.dataSource.query(
      `SELECT count(*)::int AS n FROM sync_batches WHERE sync_run_id = $1 AND status = 'in_flight'`,
      [run.id],
    );
    expect(inFlight[0].n).toBe(0);

    // Executing the job again (a redelivered job) does nothing more.
    expect(await engine.service.execute(run.id)).toEqual({ status: 'skipped' });
    expect(connector.calls.length).toBeLessThanOrEqual(3);

    // A retry is a new run: it delivers the rest, and nobody twice.
    const retried = await control.retry(run.id, 'tester');
    expect(retried).toMatchObject({ status: 'queued', trigger: 'retry' });
    expect(retried.id).not.toBe(run.id);
    expect((await engine.service.execute(retried.id)).status).toBe('succeeded');
    expect(connector.received().sort()).toEqual([...profileIds].sort());
    expect(await presentMembers(activationId)).toEqual([...profileIds].sort());
  });

  it('a queued run is cancelled at once and never calls the vendor; finished runs refuse cancel, unfailed ones refuse retry', async () => {
    const { connector, engine, control, activationId } = await setup('cancel-queued', undefined, 20);
    const run = await engine.service.requestSync(activationId);
    expect(await control.cancel(run.id)).toMatchObject({ status: 'cancelled' });
    expect(await engine.service.execute(run.id)).toEqual({ status: 'skipped' });
    expect(connector.calls).toHaveLength(0);
    await expect(control.cancel(run.id)).rejects.toMatchObject({ code: 'sync_run_not_cancellable' });

    const next = await engine.service.requestSync(activationId);
    expect((await engine.service.execute(next.id)).status).toBe('succeeded');
    await expect(control.retry(next.id, null)).rejects.toMatchObject({ code: 'sync_run_not_retryable' });
    await expect(control.cancel(next.id)).rejects.toMatchObject({ code: 'sync_run_not_cancellable' });
    await expect(control.cancel('00000000-0000-4000-8000-000000000000')).rejects.toMatchObject({ code: 'sync_run_not_found' });
  });

  it("lists a run's rejected records with their reasons, paged and filtered by kind", async () => {
    const behaviour: Behaviour = (members) =>
      members.map((member, index): RecordOutcome =>
        index % 4 === 0
          ? { profileId: member.profileId, status: 'rejected', reason: `bad address ${index}`, code: 'invalid_email' }
          : { profileId: member.profileId, status: 'delivered' },
      );
    const { engine, control, activationId } = await setup('rejections', behaviour, 40);
    const run = await engine.service.requestSync(activationId);
    await engine.service.execute(run.id);
    const first = await control.rejections(run.id, { limit: 6, offset: 0 });
    expect(first.total).toBe(12); // indices 0, 4 and 8 of each batch of 10
    expect(first.items).toHaveLength(6);
    expect(first.items[0]).toEqual({
      profileId: expect.any(String),
      kind: 'rejected',
      reason: expect.stringMatching(/^bad address/),
      code: 'invalid_email',
      at: expect.any(String),
    });
    const second = await control.rejections(run.id, { limit: 10, offset: 6 });
    expect(second.items).toHaveLength(6);
    const ids = new Set([...first.items, ...second.items].map((item) => item.profileId));
    expect(ids.size).toBe(12);
    expect((await control.rejections(run.id, { limit: 50, offset: 0, kind: 'failed' })).total).toBe(0);
  });
});
