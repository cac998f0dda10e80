import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { z } from 'zod';
import { SyncService } from '@audiencekit/activation';
import { ApiRoute, AuthenticatedKey, CurrentKey, pageQuerySchema, parseInput, RequireRole } from '@audiencekit/server-core';

const syncBodySchema = z.object({ dryRun: z.boolean().default(false) });
const dryRunBodySchema = z.object({ sampleSize: z.number().int().min(0).max(100).optional() });
const runsQuerySchema = pageQuerySchema.extend({ limit: z.coerce.number().int().min(1).max(200).default(20) });

/** Sync runs: trigger one (queued for the worker), a dry run (the plan, nothing sent), and read them. */
@Controller()
export class SyncRunsController {
  constructor(private readonly sync: SyncService) {}

  @ApiRoute({ summary: 'Queue a sync now (dryRun: plan only, nothing sent)', body: syncBodySchema, status: 202 })
  @Post('activations/:id/sync')
  @HttpCode(202)
  @RequireRole('marketer')
  request(@Param('id') id: string, @Body() body: unknown, @CurrentKey() key?: AuthenticatedKey) {
    const input = parseInput(syncBodySchema, body ?? {});
    return this.sync.requestSync(id, { dryRun: input.dryRun, requestedBy: key?.id ?? null, trigger: 'api' });
  }

  @ApiRoute({ summary: 'Dry run now: the itemised plan (adds, removes, held out, suppressed, invalid) with samples', body: dryRunBodySchema, status: 200 })
  @Post('activations/:id/dry-run')
  @HttpCode(200)
  @RequireRole('marketer')
  dryRun(@Param('id') id: string, @Body() body: unknown, @CurrentKey() key?: AuthenticatedKey) {
    const input = parseInput(dryRunBodySchema, body ?? {});
    return this.sync.dryRun(id, { sampleSize: input.sampleSize, requestedBy: key?.id ?? null });
  }

  @ApiRoute({ summary: 'Sync runs of an activation, newest first', query: runsQuerySchema })
  @Get('activations/:id/sync-runs')
  @RequireRole('viewer')
  runs(@Param('id') id: string, @Query() query: unknown) {
    return this.sync.listRuns(id, parseInput(runsQuerySchema, query, 'query'));
  }

  @ApiRoute({ summary: 'One sync run: status, counts per stage, errors with samples, plan' })
  @Get('sync-runs/:id')
  @RequireRole('viewer')
  run(@Param('id') id: string) {
    return this.sync.getRun(id);
  }
}
