import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { latestDueFireTime } from '@audiencekit/util';
import { cronCandidates, dueAfterRefresh } from './data/sync-schedule.repository';
import { SyncService } from './sync.service';

// `on_change` runs are recorded by the OnChangeFlusher from the changes' outbox, not by this scheduler.
const SPECIAL_SCHEDULES = new Set(['after_refresh', 'manual', 'on_change']);

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
    const due = await dueAfterRefresh(this.dataSource.manager, segmentRunId);
    return this.request(
      due.map((row) => ({ activationId: row.activation_id, trigger: 'after_refresh', triggerKey: `refresh:${row.segment_run_id}` })),
    );
  }

  private async enqueueCron(now: Date): Promise<string[]> {
    const candidates = await cronCandidates(this.dataSource.manager);
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
        this.logger.warn(
          `could not request the ${request.trigger} sync of ${request.activationId}: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
    return enqueued;
  }
}
