import { Controller, Get, Res } from '@nestjs/common';
import type { Response } from 'express';
import { ApiRoute, Metrics, RequireRole } from '@audiencekit/server-core';

/**
 * Prometheus exposition of the API process. Behind the `viewer` role: the API port is the public
 * one, and the series name destinations and segments. Prometheus sends the key with
 * `authorization: { type: Bearer, credentials_file: ... }` (docs/operations.md). The worker's
 * /metrics is open, on its own WORKER_HEALTH_PORT, which is not exposed outside the cluster.
 */
@Controller()
export class MetricsController {
  constructor(private readonly metrics: Metrics) {}

  @Get('metrics')
  @RequireRole('viewer')
  @ApiRoute({ summary: 'Prometheus metrics of this API process (text exposition format)', tags: ['health'] })
  async scrape(@Res() response: Response): Promise<void> {
    const { contentType, body } = await this.metrics.render();
    response.status(200).type(contentType).send(body);
  }
}
