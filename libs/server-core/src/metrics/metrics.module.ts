import { Global, Module, OnModuleInit, Optional } from '@nestjs/common';
import { JobQueue } from '../queue/job-queue.service';
import { Metrics } from './metrics.service';

/**
 * Provides `Metrics` (the process's Prometheus registry) to every module. The API serves it at
 * `/metrics`; the worker on its health port (see apps/worker/src/health).
 */
@Global()
@Module({ providers: [Metrics], exports: [Metrics] })
export class MetricsModule implements OnModuleInit {
  constructor(
    private readonly metrics: Metrics,
    @Optional() private readonly queue?: JobQueue,
  ) {}

  onModuleInit(): void {
    if (this.queue) this.metrics.attachQueue(this.queue);
  }
}
