import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { z } from 'zod';
import {
  computedTraitCreateSchema,
  computedTraitKeyParamsSchema,
  computedTraitPreviewSchema,
  ComputedTraitsService,
  computedTraitUpdateSchema,
  computedTraitValuesQuerySchema,
} from '@audiencekit/segments-service';
import { ApiRoute, AuthenticatedKey, CurrentKey, parseInput, RequireRole } from '@audiencekit/server-core';

const traitSchema = z.object({
  id: z.string(),
  key: z.string(),
  description: z.string(),
  owner: z.string(),
  cadence: z.string(),
  version: z.number().int(),
  definition: z.record(z.string(), z.unknown()),
  versionCreatedAt: z.string(),
  versionCreatedBy: z.string().nullable(),
  lastRunAt: z.string().nullable(),
  lastRun: z.record(z.string(), z.unknown()).nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
const previewSchema = z.object({
  profiles: z.number().int().describe('live profiles'),
  withValue: z.number().int(),
  withoutValue: z.number().int().describe('live profiles the trait gives no value'),
  numeric: z.object({ count: z.number().int(), min: z.number(), max: z.number(), mean: z.number() }).nullable(),
  histogram: z.array(z.object({ from: z.number(), to: z.number(), count: z.number().int() })).nullable(),
  topValues: z.array(z.object({ value: z.unknown(), count: z.number().int() })),
});
const runSchema = z.object({
  key: z.string(),
  version: z.number().int(),
  trigger: z.enum(['manual', 'schedule', 'save']),
  withValue: z.number().int(),
  upserted: z.number().int(),
  deleted: z.number().int(),
  startedAt: z.string(),
  finishedAt: z.string(),
});
const valuesSchema = z.object({
  key: z.string(),
  values: z.array(z.object({ profileId: z.string(), value: z.unknown(), version: z.number().int(), computedAt: z.string() })),
});

const ERRORS =
  'A mistake is a 400 naming the field: invalid_computed_trait (definition.<path>, cadence), computed_trait_key_collision (a SQL trait or other source owns the key); 409 computed_trait_key_taken.';

/**
 * Computed traits (libs/segments-service computed-traits): per-profile values derived from events,
 * stored in computed_trait_values and read by `computed_trait` rule conditions. Roles as the segment
 * routes: viewers read, marketers write; every write is audited by the global interceptor.
 */
@Controller('computed-traits')
export class ComputedTraitsController {
  constructor(private readonly traits: ComputedTraitsService) {}

  @Get()
  @RequireRole('viewer')
  @ApiRoute({
    summary: 'Every computed trait with its current version and last run',
    response: z.array(traitSchema),
    tags: ['computed-traits'],
  })
  list() {
    return this.traits.list();
  }

  @Post('preview')
  @HttpCode(200)
  @RequireRole('marketer')
  @ApiRoute({
    summary: `The distribution a definition would give every live profile now (count with a value, without, numeric min/max/mean, a 10-bucket histogram, the top 10 values); nothing is written. ${ERRORS}`,
    body: computedTraitPreviewSchema,
    response: previewSchema,
    tags: ['computed-traits'],
  })
  preview(@Body() body: unknown) {
    return this.traits.preview(parseInput(computedTraitPreviewSchema, body).definition);
  }

  @Post()
  @HttpCode(201)
  @RequireRole('marketer')
  @ApiRoute({
    summary: `Create a computed trait (version 1). A real-time one is computed for everyone at once and then kept fresh per event. ${ERRORS}`,
    body: computedTraitCreateSchema,
    response: traitSchema,
    status: 201,
    tags: ['computed-traits'],
  })
  create(@Body() body: unknown, @CurrentKey() key?: AuthenticatedKey) {
    return this.traits.create(parseInput(computedTraitCreateSchema, body), key?.id ?? null);
  }

  @Get(':key')
  @RequireRole('viewer')
  @ApiRoute({ summary: 'One computed trait with its current version and last run', response: traitSchema, tags: ['computed-traits'] })
  get(@Param() params: unknown) {
    return this.traits.get(parseInput(computedTraitKeyParamsSchema, params, 'params').key);
  }

  @Put(':key')
  @RequireRole('marketer')
  @ApiRoute({
    summary: `Change a computed trait; a changed definition makes a new immutable version (values keep the version that computed them until the next run). ${ERRORS} 409 computed_trait_in_use when real-time segments read it and the cadence leaves realtime.`,
    body: computedTraitUpdateSchema,
    response: traitSchema,
    tags: ['computed-traits'],
  })
  update(@Param() params: unknown, @Body() body: unknown, @CurrentKey() key?: AuthenticatedKey) {
    return this.traits.update(
      parseInput(computedTraitKeyParamsSchema, params, 'params').key,
      parseInput(computedTraitUpdateSchema, body),
      key?.id ?? null,
    );
  }

  @Delete(':key')
  @RequireRole('marketer')
  @ApiRoute({
    summary: 'Delete a computed trait and its values; 409 computed_trait_in_use naming the live segments that read it',
    response: z.object({ id: z.string(), key: z.string(), valuesDeleted: z.number().int() }),
    tags: ['computed-traits'],
  })
  remove(@Param() params: unknown) {
    return this.traits.remove(parseInput(computedTraitKeyParamsSchema, params, 'params').key);
  }

  @Post(':key/runs')
  @HttpCode(200)
  @RequireRole('marketer')
  @ApiRoute({
    summary: 'Compute the trait for every profile now (one set-wise statement); values that changed are stored, lost ones removed',
    response: runSchema,
    tags: ['computed-traits'],
  })
  run(@Param() params: unknown) {
    return this.traits.run(parseInput(computedTraitKeyParamsSchema, params, 'params').key, 'manual');
  }

  @Get(':key/values')
  @RequireRole('viewer')
  @ApiRoute({
    summary: 'Stored values of the trait, most recently computed first (limit 1-1000, default 100)',
    query: computedTraitValuesQuerySchema,
    response: valuesSchema,
    tags: ['computed-traits'],
  })
  values(@Param() params: unknown, @Query() query: unknown) {
    return this.traits.values(
      parseInput(computedTraitKeyParamsSchema, params, 'params').key,
      parseInput(computedTraitValuesQuerySchema, query, 'query').limit,
    );
  }
}
