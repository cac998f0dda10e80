import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { z } from 'zod';
import {
  textSignalConfigCreateSchema,
  textSignalConfigUpdateSchema,
  textSignalEventParamsSchema,
  TextSignalsService,
} from '@audiencekit/segments-service';
import { ApiRoute, parseInput, RequireRole } from '@audiencekit/server-core';

const configSchema = z.object({
  event: z.string(),
  property: z.string(),
  vocabularies: z.record(z.string(), z.array(z.string())),
  scoredUntil: z.string().nullable().describe('events of this name received before this instant are scored; null: none yet'),
  eventsScored: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

const ERRORS =
  'A mistake is a 400 invalid_request naming the field (event, property, vocabularies.<tag>.<n>); 409 text_signal_config_exists.';

/**
 * Which event property the worker scores for sentiment and tags, with the operator's vocabularies
 * (libs/segments-service text-signals). Viewers read, marketers write; writes are audited.
 */
@Controller('text-signals')
export class TextSignalsController {
  constructor(private readonly textSignals: TextSignalsService) {}

  @Get()
  @RequireRole('viewer')
  @ApiRoute({
    summary: 'Every scored event property with its vocabularies and scoring progress',
    response: z.array(configSchema),
    tags: ['text-signals'],
  })
  list() {
    return this.textSignals.list();
  }

  @Post()
  @HttpCode(201)
  @RequireRole('marketer')
  @ApiRoute({
    summary: `Score an event's text property (e.g. Review Submitted.text): the worker stores sentiment and vocabulary tags in the event's signals, from the events already received on. ${ERRORS}`,
    body: textSignalConfigCreateSchema,
    response: configSchema,
    status: 201,
    tags: ['text-signals'],
  })
  create(@Body() body: unknown) {
    return this.textSignals.create(parseInput(textSignalConfigCreateSchema, body));
  }

  @Get(':event')
  @RequireRole('viewer')
  @ApiRoute({ summary: "One event's text-signal configuration", response: configSchema, tags: ['text-signals'] })
  get(@Param() params: unknown) {
    return this.textSignals.get(parseInput(textSignalEventParamsSchema, params, 'params').event);
  }

  @Put(':event')
  @RequireRole('marketer')
  @ApiRoute({
    summary: `Change the property or the vocabularies; events scored before keep their signals. ${ERRORS}`,
    body: textSignalConfigUpdateSchema,
    response: configSchema,
    tags: ['text-signals'],
  })
  update(@Param() params: unknown, @Body() body: unknown) {
    return this.textSignals.update(
      parseInput(textSignalEventParamsSchema, params, 'params').event,
      parseInput(textSignalConfigUpdateSchema, body),
    );
  }

  @Delete(':event')
  @HttpCode(204)
  @RequireRole('marketer')
  @ApiRoute({ summary: 'Stop scoring the event (signals already stored stay with their events)', status: 204, tags: ['text-signals'] })
  async remove(@Param() params: unknown) {
    await this.textSignals.remove(parseInput(textSignalEventParamsSchema, params, 'params').event);
  }
}
