import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { z } from 'zod';
import { SyncRequestsService, SyncRunControlService, SyncService } from '@audiencekit/activation-engine';
import { forRole, syncRunPageSchema, syncRunViewSchema } from '@audiencekit/activation-admin';
import { ApiRoute, AuthenticatedKey, CurrentKey, pageQuerySchema, parseInput, RequireRole } from '@audiencekit/server-core';

const syncBodySchema = z.object({
  dryRun: z.boolean().default(false),
  confirm: z.uuid().optional().describe('releases a send run held by the mass-send guard: the confirmationToken of its 409'),
  fullResync: z
    .boolean()
    .default(false)
    .describe('list connectors with a full replace (Meta): send every eligible member as a replace, not a diff'),
});
const dryRunBodySchema = z.object({ sampleSize: z.number().int().min(0).max(100).optional() });
const runsQuerySchema = pageQuerySchema.extend({
  limit: z.coerce.number().int().min(1).max(200).default(20),
  status: z.enum(['queued', 'running', 'succeeded', 'failed', 'partial', 'awaiting_confirmation', 'cancelled']).optional(),
});
const rejectionsQuerySchema = pageQuerySchema.extend({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  kind: z.enum(['rejected', 'failed']).optional().describe('rejected: the vendor said no; failed: out of retries or the batch failed'),
});
const rejectionsResponseSchema = z.object({
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
  items: z.array(
    z.object({ profileId: z.uuid(), kind: z.string(), reason: z.string(), code: z.string().nullable(), at: z.iso.datetime() }),
  ),
});

/**
 * Sync runs: trigger one (queued for the worker), a dry run (the plan, nothing sent), and read them.
 * Runs carry vendor messages and samples: identifiers in them are masked unless the key is admin.
 */
@Controller()
export class SyncRunsController {
  constructor(
    private readonly sync: SyncService,
    private readonly requests: SyncRequestsService,
    private readonly control: SyncRunControlService,
  ) {}

  @ApiRoute({
    summary: 'Queue a sync now (dryRun: plan only, nothing sent); a send over the mass-send guard answers 409 confirmation_required',
    body: syncBodySchema,
    response: syncRunViewSchema,
    status: 202,
  })
  @Post('activations/:id/sync')
  @HttpCode(202)
  @RequireRole('marketer')
  async request(@Param('id') id: string, @Body() body: unknown, @CurrentKey() key?: AuthenticatedKey) {
    const input = parseInput(syncBodySchema, body ?? {});
    return forRole(
      await this.requests.requestSync(id, {
        dryRun: input.dryRun,
        confirm: input.confirm,
        fullResync: input.fullResync,
        requestedBy: key?.id ?? null,
      }),
      key?.role,
    );
  }

  @ApiRoute({
    summary:
      'Confirm a sync run held for confirmation (awaiting_confirmation: the mass-send guard, the mass-removal gate or a suspect refresh; `plan.guard.reasons` says why): it is queued',
    response: syncRunViewSchema,
    status: 202,
  })
  @Post('sync-runs/:id/confirm')
  @HttpCode(202)
  @RequireRole('marketer')
  async confirm(@Param('id') id: string, @CurrentKey() key?: AuthenticatedKey) {
    return forRole(await this.requests.confirm(id, key?.id ?? null), key?.role);
  }

  @ApiRoute({
    summary: 'Dry run now: the itemised plan (adds, removes, held out, suppressed, invalid) with samples',
    body: dryRunBodySchema,
    response: syncRunViewSchema,
    status: 200,
  })
  @Post('activations/:id/dry-run')
  @HttpCode(200)
  @RequireRole('marketer')
  async dryRun(@Param('id') id: string, @Body() body: unknown, @CurrentKey() key?: AuthenticatedKey) {
    const input = parseInput(dryRunBodySchema, body ?? {});
    return forRole(await this.requests.dryRun(id, { sampleSize: input.sampleSize, requestedBy: key?.id ?? null }), key?.role);
  }

  @ApiRoute({ summary: 'Sync runs of an activation, newest first (filter by status)', query: runsQuerySchema, response: syncRunPageSchema })
  @Get('activations/:id/sync-runs')
  @RequireRole('viewer')
  async runs(@Param('id') id: string, @Query() query: unknown, @CurrentKey() key?: AuthenticatedKey) {
    return forRole(await this.sync.listRuns(id, parseInput(runsQuerySchema, query, 'query')), key?.role);
  }

  @ApiRoute({ summary: 'One sync run: status, counts per stage, errors with samples, plan', response: syncRunViewSchema })
  @Get('sync-runs/:id')
  @RequireRole('viewer')
  async run(@Param('id') id: string, @CurrentKey() key?: AuthenticatedKey) {
    return forRole(await this.sync.getRun(id), key?.role);
  }

  @ApiRoute({
    summary: "A run's records the vendor rejected or that ran out of retries, with the reason, oldest first (paged)",
    query: rejectionsQuerySchema,
    response: rejectionsResponseSchema,
  })
  @Get('sync-runs/:id/rejections')
  @RequireRole('viewer')
  async rejections(@Param('id') id: string, @Query() query: unknown, @CurrentKey() key?: AuthenticatedKey) {
    return forRole(await this.control.rejections(id, parseInput(rejectionsQuerySchema, query, 'query')), key?.role);
  }

  @ApiRoute({
    summary: 'Cancel a sync: a queued or held run at once; a running one stops before its next batch (batches already sent stay recorded)',
    response: syncRunViewSchema,
    status: 202,
  })
  @Post('sync-runs/:id/cancel')
  @HttpCode(202)
  @RequireRole('marketer')
  async cancel(@Param('id') id: string, @CurrentKey() key?: AuthenticatedKey) {
    return forRole(await this.control.cancel(id), key?.role);
  }

  @ApiRoute({
    summary: 'Retry a failed, partial or cancelled sync: a new run of the activation (the mass-send guard decides it again)',
    response: syncRunViewSchema,
    status: 202,
  })
  @Post('sync-runs/:id/retry')
  @HttpCode(202)
  @RequireRole('marketer')
  async retry(@Param('id') id: string, @CurrentKey() key?: AuthenticatedKey) {
    return forRole(await this.control.retry(id, key?.id ?? null), key?.role);
  }
}
