import { Controller, Get, Param, Query } from '@nestjs/common';
import { z } from 'zod';
import { CatalogueService } from '@audiencekit/catalogue';
import { ApiRoute, AuthenticatedKey, CurrentKey, parseInput, RequireRole } from '@audiencekit/server-core';

const catalogueQuerySchema = z.object({
  prefix: z.string().max(200).default('').describe('case-insensitive prefix (autocomplete)'),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});
const eventParamsSchema = z.object({ name: z.string().min(1).max(200) });

const freshnessSchema = z
  .object({ foldedUntil: z.string().nullable(), foldedAt: z.string().nullable(), eventsFolded: z.number().int() })
  .describe('events received before foldedUntil are in the catalogue; the worker folds new ones every few seconds');
const eventsPageSchema = z.object({
  items: z.array(z.object({ name: z.string(), count: z.number().int(), firstSeenAt: z.string(), lastSeenAt: z.string() })),
  freshness: freshnessSchema,
});
const keysPageSchema = z.object({
  items: z.array(
    z.object({
      key: z.string().describe('dot path (address.city), as conditions address it'),
      types: z.array(z.string()),
      count: z.number().int(),
      lastSeenAt: z.string(),
      examples: z.array(z.unknown()).describe('values sent by at least three profiles; identifiers masked below admin'),
    }),
  ),
  freshness: freshnessSchema,
});

/** The catalogue of event names, property keys and trait keys (libs/catalogue), for the builder. */
@Controller('catalogue')
export class CatalogueController {
  constructor(private readonly catalogue: CatalogueService) {}

  @Get('events')
  @RequireRole('viewer')
  @ApiRoute({
    summary: 'Event names with counts and first/last seen, by prefix',
    query: catalogueQuerySchema,
    response: eventsPageSchema,
    tags: ['catalogue'],
  })
  events(@Query() query: unknown) {
    return this.catalogue.events(parseInput(catalogueQuerySchema, query, 'query'));
  }

  @Get('events/:name/properties')
  @RequireRole('viewer')
  @ApiRoute({
    summary: "An event's property keys with observed types and example values, by prefix",
    query: catalogueQuerySchema,
    response: keysPageSchema,
    tags: ['catalogue'],
  })
  properties(@Param() params: unknown, @Query() query: unknown, @CurrentKey() key?: AuthenticatedKey) {
    const { name } = parseInput(eventParamsSchema, params, 'params');
    return this.catalogue.eventProperties(name, parseInput(catalogueQuerySchema, query, 'query'), key?.role);
  }

  @Get('traits')
  @RequireRole('viewer')
  @ApiRoute({
    summary: 'Trait keys with observed types and example values, by prefix',
    query: catalogueQuerySchema,
    response: keysPageSchema,
    tags: ['catalogue'],
  })
  traits(@Query() query: unknown, @CurrentKey() key?: AuthenticatedKey) {
    return this.catalogue.traits(parseInput(catalogueQuerySchema, query, 'query'), key?.role);
  }
}
