import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { z } from 'zod';
import { DEFAULT_RFM_TIERS, INTENT_VALUE_PLAYS } from '@audiencekit/segments-domain';
import {
  createSegmentSchema,
  ModelFitJobsService,
  SegmentMembershipService,
  SegmentRefreshService,
  SegmentsService,
  updateSegmentSchema,
} from '@audiencekit/segments-service';
import { ApiException, ApiRoute, AuthenticatedKey, CurrentKey, pageQuerySchema, parseInput, RequireRole } from '@audiencekit/server-core';

const listQuerySchema = pageQuerySchema.extend({
  owner: z.string().optional(),
  status: z.enum(['active', 'paused', 'archived']).optional(),
});
const previewSchema = z.object({ definition: z.unknown(), sampleSize: z.number().int().min(0).max(100).default(10) });
const asOfQuerySchema = pageQuerySchema.extend({ asOf: z.iso.datetime({ offset: true }).optional() });
const overlapQuerySchema = z.object({ with: z.uuid() });
const changesQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  /** A change id: the changes after it (oldest first in the page, the page newest first), for polling. */
  after: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
});
const changesResponseSchema = z.object({
  size: z.number().int().describe('current members (segment_memberships)'),
  items: z.array(
    z.object({
      id: z.number().int().describe('change id, increasing; pass the highest as `after` to poll'),
      profileId: z.uuid(),
      change: z.enum(['added', 'removed']),
      cause: z.enum(['realtime', 'refresh']),
      runId: z.uuid().nullable().describe('the refresh run; null for a real-time change'),
      version: z.number().int(),
      changedAt: z.iso.datetime(),
    }),
  ),
});
const chooseKSchema = z
  .object({ definition: z.unknown(), kMin: z.number().int().min(2).max(20).default(2), kMax: z.number().int().min(2).max(20).default(10) })
  .refine((input) => input.kMax >= input.kMin, { path: ['kMax'], message: 'must be at least kMin' });

const fitsQuerySchema = z.object({ limit: z.coerce.number().int().min(1).max(100).default(10) });

/** Segments: documentation, versions, preview, refresh, runs and membership. */
@Controller('segments')
export class SegmentsController {
  constructor(
    private readonly segments: SegmentsService,
    private readonly refresh: SegmentRefreshService,
    private readonly membership: SegmentMembershipService,
    private readonly fits: ModelFitJobsService,
  ) {}

  @ApiRoute({
    summary:
      'Create a segment (version 1). A cluster or propensity definition is fitted by the worker: 202 with `{ job }` to poll at job.url (GET /segments/fits/:jobId); other types: 201 with the segment',
    body: createSegmentSchema,
  })
  @Post()
  @RequireRole('marketer')
  async create(@Body() body: unknown, @Res({ passthrough: true }) response: Response, @CurrentKey() key?: AuthenticatedKey) {
    const input = parseInput(createSegmentSchema, body);
    const job = await this.fits.requestCreate(input, key?.id ?? null);
    if (job) return accepted(response, job);
    return this.segments.create(input, key?.id ?? null);
  }

  @ApiRoute({
    summary:
      "A model fit job (create / update / refit of a cluster, propensity or clv segment, a k choice): state queued | running | succeeded | failed, stage, progress 0..1; on success the result (the new version with its and the previous version's metrics, or the k curves), on failure the refusal (code, message, details)",
  })
  @Get('fits/:jobId')
  @RequireRole('viewer')
  fit(@Param('jobId') jobId: string) {
    return this.fits.get(jobId);
  }

  @ApiRoute({ summary: 'List segments', query: listQuerySchema })
  @Get()
  @RequireRole('viewer')
  list(@Query() query: unknown) {
    return this.segments.list(parseInput(listQuerySchema, query, 'query'));
  }

  @ApiRoute({ summary: 'Size and sample of a definition, saved nowhere', body: previewSchema, status: 200 })
  @Post('preview')
  @HttpCode(200)
  @RequireRole('marketer')
  preview(@Body() body: unknown) {
    const input = parseInput(previewSchema, body);
    return this.membership.preview(input.definition, input.sampleSize);
  }

  @ApiRoute({ summary: 'The default RFM tier table and the intent × value plays (data, overridable per segment)' })
  @Get('value-tiers')
  @RequireRole('viewer')
  valueTiers() {
    return { rfmTiers: DEFAULT_RFM_TIERS, intentValuePlays: Object.values(INTENT_VALUE_PLAYS) };
  }

  @ApiRoute({
    summary:
      "Silhouette and elbow (inertia) curves of a cluster definition for k = kMin..kMax, saved nowhere: fitted by the worker, 202 with `{ job }`; the curves are the job's result (GET /segments/fits/:jobId). Work (restarts × k tried × rows) above AK_FIT_WORK_CAP: 400 fit_work_over_cap naming kMax. A population of ≤ kMax profiles: 400 saying why (too_few_rows at kMax with the count; none: no_profiles, no_profiles_seen_by_cutoff or no_purchases_in_window)",
    body: chooseKSchema,
    status: 202,
  })
  @Post('choose-k')
  @HttpCode(202)
  @RequireRole('marketer')
  async chooseK(@Body() body: unknown) {
    const input = parseInput(chooseKSchema, body);
    return { job: await this.fits.requestChooseK(input.definition, { kMin: input.kMin, kMax: input.kMax }) };
  }

  @ApiRoute({ summary: 'A segment with its current definition' })
  @Get(':id')
  @RequireRole('viewer')
  get(@Param('id') id: string) {
    return this.segments.get(id);
  }

  @ApiRoute({
    summary:
      'Change a segment; a new definition creates a new version. A cluster / propensity definition that needs a new fit: 202 with `{ job }`, the change (card and version) is written by the worker when the fit succeeds',
    body: updateSegmentSchema,
  })
  @Patch(':id')
  @RequireRole('marketer')
  async update(
    @Param('id') id: string,
    @Body() body: unknown,
    @Res({ passthrough: true }) response: Response,
    @CurrentKey() key?: AuthenticatedKey,
  ) {
    const input = parseInput(updateSegmentSchema, body);
    const job = await this.fits.requestUpdate(id, input, key?.id ?? null);
    if (job) return accepted(response, job);
    return this.segments.update(id, input, key?.id ?? null);
  }

  @ApiRoute({ summary: 'Delete (archive) a segment', status: 204 })
  @Delete(':id')
  @HttpCode(204)
  @RequireRole('marketer')
  async remove(@Param('id') id: string): Promise<void> {
    await this.segments.remove(id);
  }

  @ApiRoute({
    summary: 'The latest model fit jobs of a segment (refits and changes; newest first), with state, stage and progress',
    query: fitsQuerySchema,
  })
  @Get(':id/fits')
  @RequireRole('viewer')
  fitsOf(@Param('id') id: string, @Query() query: unknown) {
    return this.fits.ofSegment(id, parseInput(fitsQuerySchema, query, 'query').limit);
  }

  @ApiRoute({ summary: "Every version of a segment, each with its model metrics and the previous version's beside them" })
  @Get(':id/versions')
  @RequireRole('viewer')
  versions(@Param('id') id: string) {
    return this.segments.versions(id);
  }

  @ApiRoute({
    summary:
      "Drift of a propensity (or churn) segment's current model: PSI of each feature and of the score between the training rows and the population now (flagged above definition.drift.psiThreshold, default 0.2), and the AUC of the stored model on outcomes observed since the fit (flagged below definition.drift.aucFloor, default the definition's aucFloor); a measure that cannot be computed yet has available: false and the reason. Other segment types: 400 not_a_model_segment",
  })
  @Get(':id/drift')
  @RequireRole('viewer')
  drift(@Param('id') id: string) {
    return this.segments.drift(id);
  }

  @ApiRoute({ summary: 'One version of a segment' })
  @Get(':id/versions/:version')
  @RequireRole('viewer')
  version(@Param('id') id: string, @Param('version') version: string) {
    const parsed = parseInput(z.object({ version: z.coerce.number().int().min(1) }), { version }, 'params');
    return this.segments.version(id, parsed.version);
  }

  @ApiRoute({
    summary:
      'Refit the model of a cluster, propensity or clv segment into a new version: fitted by the worker, 202 with `{ job }` (the result has the new version and the metrics of the one before); other types 400 not_a_model_segment',
    status: 202,
  })
  @Post(':id/refit')
  @HttpCode(202)
  @RequireRole('marketer')
  async refit(@Param('id') id: string, @CurrentKey() key?: AuthenticatedKey) {
    return { job: await this.fits.requestRefit(id, key?.id ?? null) };
  }

  @ApiRoute({ summary: 'Queue a refresh now', status: 202 })
  @Post(':id/refresh')
  @HttpCode(202)
  @RequireRole('marketer')
  async triggerRefresh(@Param('id') id: string) {
    const run = await this.refresh.requestRefresh(id, 'api');
    return { runId: run?.id, status: run?.status };
  }

  @ApiRoute({ summary: 'Refresh runs: size, adds, removes, duration, version, quality', query: pageQuerySchema })
  @Get(':id/runs')
  @RequireRole('viewer')
  runs(@Param('id') id: string, @Query() query: unknown) {
    return this.membership.runs(id, parseInput(pageQuerySchema, query, 'query'));
  }

  @ApiRoute({ summary: 'One refresh run' })
  @Get(':id/runs/:runId')
  @RequireRole('viewer')
  async run(@Param('id') id: string, @Param('runId') runId: string) {
    const parsed = parseInput(z.object({ runId: z.uuid() }), { runId }, 'params');
    const run = await this.membership.run(id, parsed.runId);
    if (!run) throw new ApiException(404, 'run_not_found', `segment ${id} has no run ${runId}`);
    return run;
  }

  @ApiRoute({ summary: 'Members as of a date, with the run and version that added each', query: asOfQuerySchema })
  @Get(':id/members')
  @RequireRole('viewer')
  members(@Param('id') id: string, @Query() query: unknown) {
    const input = parseInput(asOfQuerySchema, query, 'query');
    return this.membership.membersAsOf(id, input.asOf ? new Date(input.asOf) : new Date(), input);
  }

  @ApiRoute({
    summary:
      'Live feed: the latest membership changes newest first (or the first `limit` after change id `after`), each with its cause (realtime | refresh), and the current size',
    query: changesQuerySchema,
    response: changesResponseSchema,
  })
  @Get(':id/changes')
  @RequireRole('viewer')
  changes(@Param('id') id: string, @Query() query: unknown) {
    return this.membership.changes(id, parseInput(changesQuerySchema, query, 'query'));
  }

  @ApiRoute({ summary: 'Sizes of two segments and of their intersection', query: overlapQuerySchema })
  @Get(':id/overlap')
  @RequireRole('viewer')
  overlap(@Param('id') id: string, @Query() query: unknown) {
    return this.membership.overlap(id, parseInput(overlapQuerySchema, query, 'query').with);
  }
}

/** 202 Accepted with the fit job to poll (Location: its URL). */
function accepted(response: Response, job: { url: string }): { job: typeof job } {
  response.status(202).location(job.url);
  return { job };
}
