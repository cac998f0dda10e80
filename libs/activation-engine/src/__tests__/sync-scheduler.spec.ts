import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { SyncSchedulerService } from '../sync-scheduler.service';
import { buildEngine, recordingConnector, seedActivation, seedSegment } from './sync-fixtures';

/**
 * Schedules become sync runs exactly once: after each successful refresh of the segment
 * (`after_refresh`), or at each due cron fire time; however many workers tick.
 */
describe('sync scheduling', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('after_refresh: one sync per succeeded refresh, none for a failed one, once across concurrent ticks', async () => {
    const engine = buildEngine(db.dataSource, [recordingConnector({ slug: 'scheduled' }).definition]);
    const schedulers = [new SyncSchedulerService(db.dataSource, engine.service), new SyncSchedulerService(db.dataSource, engine.service)];
    const { segmentId } = await seedSegment(db.dataSource, 5);
    const { activationId } = await seedActivation(db.dataSource, { segmentId, connector: 'scheduled', mode: 'mirror' });
    await db.dataSource.query(`UPDATE activations SET schedule = 'after_refresh' WHERE id = $1`, [activationId]);

    const first = (await Promise.all(schedulers.map((scheduler) => scheduler.enqueueDue()))).flat();
    expect(first).toHaveLength(1);
    expect(await schedulers[0].enqueueDue()).toEqual([]);

    await db.dataSource.query(
      `INSERT INTO segment_runs (segment_id, version, status, trigger, finished_at) VALUES ($1, 1, 'failed', 'manual', now() + interval '1 second')`,
      [segmentId],
    );
    expect(await schedulers[0].enqueueDue()).toEqual([]);
    const [refreshed] = await db.dataSource.query(
      `INSERT INTO segment_runs (segment_id, version, status, trigger, finished_at) VALUES ($1, 1, 'succeeded', 'manual', now() + interval '2 seconds') RETURNING id`,
      [segmentId],
    );
    const second = await schedulers[1].enqueueDue();
    expect(second).toHaveLength(1);
    const run = await engine.service.getRun(second[0]);
    expect(run).toMatchObject({ trigger: 'after_refresh', segmentRunId: refreshed.id, status: 'queued' });
  });

  it('cron: one sync for the latest due fire time, none before it is due, none for manual', async () => {
    const engine = buildEngine(db.dataSource, [recordingConnector({ slug: 'cron' }).definition]);
    const scheduler = new SyncSchedulerService(db.dataSource, engine.service);
    const { segmentId } = await seedSegment(db.dataSource, 5);
    const cron = await seedActivation(db.dataSource, { segmentId, connector: 'cron', mode: 'mirror' });
    await seedActivation(db.dataSource, { segmentId, connector: 'cron', mode: 'mirror' }); // schedule 'manual'
    await db.dataSource.query(`UPDATE activations SET schedule = '0 * * * *', created_at = '2026-01-01T09:30:00Z' WHERE id = $1`, [
      cron.activationId,
    ]);

    expect(await scheduler.enqueueDue(new Date('2026-01-01T09:59:00Z'))).toEqual([]);
    const due = await scheduler.enqueueDue(new Date('2026-01-01T12:10:00Z'));
    expect(due).toHaveLength(1);
    const rows = await db.dataSource.query(`SELECT trigger, trigger_key FROM sync_runs WHERE id = $1`, [due[0]]);
    expect(rows).toEqual([{ trigger: 'schedule', trigger_key: 'cron:2026-01-01T12:00:00.000Z' }]);
    expect(await scheduler.enqueueDue(new Date('2026-01-01T12:20:00Z'))).toEqual([]);
  });
});
