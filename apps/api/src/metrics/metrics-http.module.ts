import { Module } from '@nestjs/common';
import { MetricsController } from './metrics.controller';

/** GET /metrics (the Metrics registry itself comes from server-core's global MetricsModule). */
@Module({ controllers: [MetricsController] })
export class MetricsHttpModule {}
