import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Metrics } from '@audiencekit/server-core';
import { segmentKeyOfRun } from '@audiencekit/segments-service';

/**
 * Times segment refresh jobs into `audiencekit_segment_refresh_duration_seconds{segment,status}`.
 * The label is the segment's key (bounded and readable), looked up from the run once per job.
 */
@Injectable()
export class SegmentRefreshMetrics {
  constructor(
    private readonly metrics: Metrics,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  async time<T extends { status: string }>(runId: string, refresh: () => Promise<T>): Promise<T> {
    const stop = this.metrics.segmentRefreshDuration.startTimer();
    let status = 'error'; // thrown: a busy segment (retried later) or a crash of the refresh
    try {
      const outcome = await refresh();
      status = outcome.status;
      return outcome;
    } finally {
      // A skipped run (already finished) did no work: observing it would skew the histogram.
      if (status !== 'skipped') stop({ segment: await this.segmentKey(runId), status });
    }
  }

  /** A reconciliation that had to correct real-time membership (expected never: the metric alerts). */
  async countCorrections(runId: string, corrections: number): Promise<void> {
    this.metrics.reconciliationCorrections.inc({ segment: await this.segmentKey(runId) }, corrections);
  }

  private async segmentKey(runId: string): Promise<string> {
    const key = await segmentKeyOfRun(this.dataSource.manager, runId).catch(() => undefined);
    return key ?? 'unknown';
  }
}
