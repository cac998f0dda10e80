import { DynamicModule, Global, Module } from '@nestjs/common';
import { JOB_QUEUE_OPTIONS, JobQueue, JobQueueOptions } from './job-queue.service';

/** Names of every durable queue. */
export const QUEUES = {
  segmentRefresh: 'segment-refresh',
  /** Model fits, refits and k choices (libs/segments-service ModelFitJobsService): never on the API's event loop. */
  modelFit: 'model-fit',
} as const;

@Global()
@Module({})
export class QueueModule {
  static forRoot(options: JobQueueOptions): DynamicModule {
    return {
      module: QueueModule,
      providers: [{ provide: JOB_QUEUE_OPTIONS, useValue: options }, JobQueue],
      exports: [JobQueue],
    };
  }
}
