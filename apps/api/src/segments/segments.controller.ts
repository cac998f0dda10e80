import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { z } from 'zod';
import { DEFAULT_RFM_TIERS, INTENT_VALUE_PLAYS } from '@audiencekit/segments-domain';
import {
  createSegmentSchema,
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

/** Segments: documentation, versions, preview, refresh, runs and membership. */
@Controller('segments')
export class SegmentsController {
  constructor(
    private readonly segments: SegmentsService,
    private readonly refresh: SegmentRefreshService,
    private readonly membership: SegmentMembershipService,
  ) {}

  @ApiRoute({ summary: 'Create a segment (version 1)', body: createSegmentSchema })
  @Post()
  @RequireRole('marketer')
  create(@Body() body: unknown, @CurrentKey() key?: AuthenticatedKey) {
    return this.segments.create(parseInput(createSegmentSchema, body), key?.id ?? null);
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
    summary: 'Silhouette and elbow (inertia) curves of a cluster definition for k = kMin..kMax, saved nowhere',
    body: chooseKSchema,
    status: 200,
  })
  @Post('choose-k')
  @HttpCode(200)
  @RequireRole('marketer')
  chooseK(@Body() body: unknown) {
    const input = parseInput(chooseKSchema, body);
    return this.segments.chooseK(input.definition, { kMin: input.kMin, kMax: input.kMax });
  }

  @ApiRoute({ summary: 'A segment with its current definition' })
  @Get(':id')
  @RequireRole('viewer')
  get(@Param('id') id: string) {
    return this.segments.get(id);
  }

  @ApiRoute({ summary: 'Change a segment; a new definition creates a new version', body: updateSegmentSchema })
  @Patch(':id')
  @RequireRole('marketer')
  update(@Param('id') id: string, @Body() body: unknown, @CurrentKey() key?: AuthenticatedKey) {
    return this.segments.update(id, parseInput(updateSegmentSchema, body), key?.id ?? null);
  }

  @ApiRoute({ summary: 'Delete (archive) a segment', status: 204 })
  @Delete(':id')
  @HttpCode(204)
  @RequireRole('marketer')
  async remove(@Param('id') id: string): Promise<void> {
    await this.segments.remove(id);
  }

  @ApiRoute({ summary: 'Every version of a segment' })
  @Get(':id/versions')
  @RequireRole('viewer')
  versions(@Param('id') id: string) {
    return this.segments.versions(id);
  }

  @ApiRoute({ summary: 'One version of a segment' })
  @Get(':id/versions/:version')
  @RequireRole('viewer')
  version(@Param('id') id: string, @Param('version') version: string) {
    const parsed = parseInput(z.object({ version: z.coerce.number().int().min(1) }), { version }, 'params');
    return this.segments.version(id, parsed.version);
  }

  @ApiRoute({ summary: 'Refit the model of a cluster or propensity segment into a new version', status: 201 })
  @Post(':id/refit')
  @RequireRole('marketer')
  refit(@Param('id') id: string, @CurrentKey() key?: AuthenticatedKey) {
    return this.segments.refit(id, key?.id ?? null);
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
