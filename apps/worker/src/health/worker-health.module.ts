import { Global, Module } from '@nestjs/common';
import { DatabaseHealthService } from '@audiencekit/server-core';
import { SegmentRefreshMetrics } from './segment-refresh-metrics.service';
import { WorkerHealthServer } from './worker-health.server';

/**
 * /health, /ready and /metrics of the worker on WORKER_HEALTH_PORT, and the refresh timer the job
 * modules use (global so they need not import this module).
 */
@Global()
// DatabaseHealthService: the same readiness check as the API's /ready (the DataSource is global).
@Module({
  providers: [WorkerHealthServer, SegmentRefreshMetrics, DatabaseHealthService],
  exports: [WorkerHealthServer, SegmentRefreshMetrics],
})
export class WorkerHealthModule {}
