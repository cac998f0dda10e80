import { Body, Controller, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import {
  createJourneySchema,
  journeyListSchema,
  journeyReportViewSchema,
  JourneysAdminService,
  journeyViewSchema,
  updateJourneyDefinitionSchema,
} from '@audiencekit/activation-admin';
import { ApiRoute, AuthenticatedKey, CurrentKey, parseInput, RequireRole } from '@audiencekit/server-core';

/**
 * Journeys (issue #23): an entry segment, a goal, a control group and steps, versioned; the worker
 * runs live ones. `:ref` is the journey's id or key. Thin: libs/activation-admin's JourneysAdminService.
 */
@Controller('journeys')
export class JourneysController {
  constructor(private readonly journeys: JourneysAdminService) {}

  @ApiRoute({ summary: 'List journeys with their entry segment and entry counts', response: journeyListSchema })
  @Get()
  @RequireRole('viewer')
  list() {
    return this.journeys.list();
  }

  @ApiRoute({ summary: 'One journey (by id or key): its current definition and versions', response: journeyViewSchema })
  @Get(':ref')
  @RequireRole('viewer')
  get(@Param('ref') ref: string) {
    return this.journeys.get(ref);
  }

  @ApiRoute({
    summary:
      "The journey's report: totals, per-step counts (entered, sent, waiting, branched, exited, goal reached before the step, capped, skipped) and the goal's lift, treated vs control (or why not yet)",
    response: journeyReportViewSchema,
  })
  @Get(':ref/report')
  @RequireRole('viewer')
  report(@Param('ref') ref: string) {
    return this.journeys.report(ref);
  }

  @ApiRoute({
    summary: 'Create a journey as a draft, version 1 (400 naming definition.<path>; 409 journey_key_taken)',
    body: createJourneySchema,
    response: journeyViewSchema,
  })
  @Post()
  @RequireRole('marketer')
  create(@Body() body: unknown, @CurrentKey() key?: AuthenticatedKey) {
    return this.journeys.create(parseInput(createJourneySchema, body), key?.id ?? null);
  }

  @ApiRoute({
    summary: 'A new version of the definition: new entries run it, entries in flight keep theirs',
    body: updateJourneyDefinitionSchema,
    response: journeyViewSchema,
  })
  @Put(':ref/definition')
  @RequireRole('marketer')
  updateDefinition(@Param('ref') ref: string, @Body() body: unknown, @CurrentKey() key?: AuthenticatedKey) {
    return this.journeys.updateDefinition(ref, parseInput(updateJourneyDefinitionSchema, body).definition, key?.id ?? null);
  }

  @ApiRoute({
    summary: "Publish (draft or paused → live): entries start from the entry segment's changes from then on; 409 otherwise",
    response: journeyViewSchema,
  })
  @Post(':ref/publish')
  @HttpCode(200)
  @RequireRole('marketer')
  publish(@Param('ref') ref: string) {
    return this.journeys.transition(ref, 'publish');
  }

  @ApiRoute({ summary: 'Pause (live → paused): timers keep, nothing advances; 409 otherwise', response: journeyViewSchema })
  @Post(':ref/pause')
  @HttpCode(200)
  @RequireRole('marketer')
  pause(@Param('ref') ref: string) {
    return this.journeys.transition(ref, 'pause');
  }
}
