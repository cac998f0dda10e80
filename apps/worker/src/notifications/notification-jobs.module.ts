import { Module } from '@nestjs/common';
import { NotificationSender } from '@audiencekit/server-core';
import { NotificationJobs } from './notification-jobs';

/** Operator notifications: the sender of the outbox (libs/server-core) on the worker's clock. */
@Module({ providers: [NotificationSender, NotificationJobs] })
export class NotificationJobsModule {}
