import { Controller, HttpCode, Param, Post } from '@nestjs/common';
import { z } from 'zod';
import { SegmentRefreshService } from '@audiencekit/segments-service';
import { ApiRoute, parseInput, RequireRole } from '@audiencekit/server-core';

const paramsSchema = z.object({ runId: z.uuid() });

/** Run control of refreshes: cancel a queued or running one, retry a failed or cancelled one. */
@Controller('segments')
export class SegmentRunControlController {
  constructor(private readonly refresh: SegmentRefreshService) {}

  @ApiRoute({
    summary: 'Cancel a queued refresh (at once) or a running one (it rolls back at its commit: the membership stays as it was)',
    status: 202,
  })
  @Post(':id/runs/:runId/cancel')
  @HttpCode(202)
  @RequireRole('marketer')
  cancel(@Param('id') id: string, @Param('runId') runId: string) {
    return this.refresh.cancel(id, parseInput(paramsSchema, { runId }, 'params').runId);
  }

  @ApiRoute({ summary: "Retry a failed or cancelled refresh: a new run of the segment's current version (trigger retry)", status: 202 })
  @Post(':id/runs/:runId/retry')
  @HttpCode(202)
  @RequireRole('marketer')
  retry(@Param('id') id: string, @Param('runId') runId: string) {
    return this.refresh.retry(id, parseInput(paramsSchema, { runId }, 'params').runId);
  }
}
