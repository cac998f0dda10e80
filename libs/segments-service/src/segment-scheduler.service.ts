import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { latestDueFireTime } from '@audiencekit/util';
import { SegmentRefreshService } from './segment-refresh.service';
import { scheduledSegments } from './segments.repository';

/**
 * Turns cadences into queued runs. Every worker may call `enqueueDue` on its own clock tick: the
 * unique (segment_id, scheduled_for) index makes the second insert for the same fire time a no-op,
 * so N workers ticking together enqueue each due refresh exactly once.
 */
@Injectable()
export class SegmentSchedulerService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly refresh: SegmentRefreshService,
  ) {}

  async enqueueDue(now: Date = new Date()): Promise<string[]> {
    const candidates = await scheduledSegments(this.dataSource.manager);
    const enqueued: string[] = [];
    for (const candidate of candidates) {
      const due = latestDueFireTime(candidate.refresh_cadence, new Date(candidate.since), now);
      if (!due) continue;
      const run = await this.refresh.requestRefresh(candidate.id, 'schedule', due);
      if (run) enqueued.push(run.id);
    }
    return enqueued;
  }
}
