import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { z } from 'zod';
import {
  ActivationsService,
  activationViewSchema,
  createActivationSchema,
  LiftReportService,
  liftQuerySchema,
  updateActivationSchema,
} from '@audiencekit/activation-admin';
import { ApiRoute, pageQuerySchema, parseInput, RequireRole } from '@audiencekit/server-core';

const listQuerySchema = pageQuerySchema.extend({
  segmentId: z.uuid().optional(),
  destinationId: z.uuid().optional(),
  status: z.enum(['active', 'paused']).optional(),
  mode: z.enum(['mirror', 'add_only', 'send']).optional(),
});

/** Activations: a segment synced to a destination with a control group, and its lift report. */
@Controller('activations')
export class ActivationsController {
  constructor(
    private readonly activations: ActivationsService,
    private readonly lift: LiftReportService,
  ) {}

  @ApiRoute({
    summary: 'Create an activation (its holdout salt is drawn now and never changes)',
    body: createActivationSchema,
    response: activationViewSchema,
  })
  @Post()
  @RequireRole('marketer')
  create(@Body() body: unknown) {
    return this.activations.create(parseInput(createActivationSchema, body));
  }

  @ApiRoute({ summary: 'List activations', query: listQuerySchema })
  @Get()
  @RequireRole('viewer')
  list(@Query() query: unknown) {
    return this.activations.list(parseInput(listQuerySchema, query, 'query'));
  }

  @ApiRoute({ summary: 'One activation', response: activationViewSchema })
  @Get(':id')
  @RequireRole('viewer')
  get(@Param('id') id: string) {
    return this.activations.get(id);
  }

  @ApiRoute({
    summary: 'Change an activation; holdoutShare may only grow once it has synced',
    body: updateActivationSchema,
    response: activationViewSchema,
  })
  @Patch(':id')
  @RequireRole('marketer')
  update(@Param('id') id: string, @Body() body: unknown) {
    return this.activations.update(id, parseInput(updateActivationSchema, body));
  }

  @ApiRoute({ summary: 'Delete an activation (soft: its runs and exposures stay)', status: 204 })
  @Delete(':id')
  @HttpCode(204)
  @RequireRole('marketer')
  async remove(@Param('id') id: string): Promise<void> {
    await this.activations.remove(id);
  }

  @ApiRoute({
    summary: 'Lift report: treatment vs control on the segment KPI, with SRM, CUPED, always-valid intervals, power and baseline',
    query: liftQuerySchema,
  })
  @Get(':id/lift')
  @RequireRole('viewer')
  liftReport(@Param('id') id: string, @Query() query: unknown) {
    return this.lift.report(id, parseInput(liftQuerySchema, query, 'query'));
  }
}
