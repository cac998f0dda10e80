import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { latestDueFireTime } from '@audiencekit/util';
import { SyncService } from './sync.service';

const SPECIAL_SCHEDULES = new Set(['after_refresh', 'manual']);

/**
 * Turns activation schedules into queued sync runs; every worker may call `enqueueDue` on its tick.
 * - `after_refresh`: a sync after each successful refresh of the segment, requested right away by
 *   the refresh job (`enqueueAfterRefreshOf`) and found by polling too (the latest succeeded segment
 *   run not yet synced), so a refresh finished by any worker, or by one that died right after, is
 *   never missed;
 * - a cron expression: one sync per due fire time (the latest one, after downtime);
 * - `manual`: never.
 * The unique (activation_id, trigger_key) index makes concurrent ticks enqueue each sync once.
 */
@Injectable()
export class SyncSchedulerService {
  private readonly logger = new Logger(SyncSchedulerService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly syncs: SyncService,
  ) {}

  async enqueueDue(now: Date = new Date()): Promise<string[]> {
    return [...(await this.enqueueAfterRefresh()), ...(await this.enqueueCron(now))];
  }

  /**
   * The after-refresh hook: called by the refresh job right after segment run `segmentRunId`
   * succeeded, so its `after_refresh` activations sync without waiting for a tick. Same query and
   * trigger key as the poll (`refresh:<segment run id>`), so the hook and the poll never request
   * the same sync twice; the poll stays as the safety net (a worker that died in between).
   */
  async enqueueAfterRefreshOf(segmentRunId: string): Promise<string[]> {
    return this.enqueueAfterRefresh(segmentRunId);
  }

  private async enqueueAfterRefresh(segmentRunId: string | null = null): Promise<string[]> {
    const due: { activation_id: string; segment_run_id: string }[] = await this.dataSource.query(
      `SELECT a.id AS activation_id, r.id AS segment_run_id
       FROM activations a
       JOIN destinations d ON d.id = a.destination_id AND d.deleted_at IS NULL
       JOIN LATERAL (SELECT id, finished_at FROM segment_runs WHERE segment_id = a.segment_id AND status = 'succeeded'
                     ORDER BY finished_at DESC NULLS LAST LIMIT 1) r ON true
       WHERE a.schedule = 'after_refresh' AND a.status = 'active'
         AND ($1::uuid IS NULL OR a.segment_id = (SELECT segment_id FROM segment_runs WHERE id = $1::uuid))
         AND NOT EXISTS (SELECT 1 FROM sync_runs s WHERE s.activation_id = a.id AND s.trigger_key = 'refresh:' || r.id)`,
      [segmentRunId],
    );
    return this.request(due.map((row) => ({ activationId: row.activation_id, trigger: 'after_refresh', triggerKey: `refresh:${row.segment_run_id}` })));
  }

  private async enqueueCron(now: Date): Promise<string[]> {
    const candidates: { id: string; schedule: string; since: Date }[] = await this.dataSource.query(
      `SELECT a.id, a.schedule,
              greatest(a.created_at, coalesce((SELECT max(s.queued_at) FROM sync_runs s WHERE s.activation_id = a.id AND s.trigger = 'schedule'), a.created_at)) AS since
       FROM activations a JOIN destinations d ON d.id = a.destination_id AND d.deleted_at IS NULL
       WHERE a.status = 'active' AND a.schedule NOT IN ('after_refresh', 'manual')`,
    );
    const requests = [];
    for (const candidate of candidates) {
      if (SPECIAL_SCHEDULES.has(candidate.schedule)) continue;
      let due: Date | undefined;
      try {
        due = latestDueFireTime(candidate.schedule, new Date(candidate.since), now);
      } catch {
        continue; // an invalid cron is refused on save by the API; never let one row stop the others
      }
      if (due) requests.push({ activationId: candidate.id, trigger: 'schedule', triggerKey: `cron:${due.toISOString()}` });
    }
    return this.request(requests);
  }

  private async request(requests: { activationId: string; trigger: string; triggerKey: string }[]): Promise<string[]> {
    const enqueued: string[] = [];
    for (const request of requests) {
      try {
        const run = await this.syncs.requestScheduled(request.activationId, request);
        if (run) enqueued.push(run.id);
      } catch (error) {
        this.logger.warn(`could not request the ${request.trigger} sync of ${request.activationId}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    return enqueued;
  }
}
