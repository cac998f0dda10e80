import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { z } from 'zod';
import {
  connectionTestResultSchema,
  createDestinationSchema,
  DestinationsService,
  destinationViewFor,
  destinationViewSchema,
  updateDestinationSchema,
} from '@audiencekit/activation-admin';
import { ApiRoute, AuthenticatedKey, CurrentKey, pageQuerySchema, parseInput, RequireRole } from '@audiencekit/server-core';

const listQuerySchema = pageQuerySchema.extend({ connector: z.string().optional() });

/** Destinations: connector instances. Writes are admin-only because they carry vendor secrets. */
@Controller('destinations')
export class DestinationsController {
  constructor(private readonly destinations: DestinationsService) {}

  @ApiRoute({
    summary: 'Create a destination; secrets are sealed (AES-256-GCM) and never returned',
    body: createDestinationSchema,
    response: destinationViewSchema,
  })
  @Post()
  @RequireRole('admin')
  create(@Body() body: unknown) {
    return this.destinations.create(parseInput(createDestinationSchema, body));
  }

  @ApiRoute({ summary: 'List destinations (below admin, URLs in settings without credentials or query)', query: listQuerySchema })
  @Get()
  @RequireRole('viewer')
  async list(@Query() query: unknown, @CurrentKey() key?: AuthenticatedKey) {
    const page = await this.destinations.list(parseInput(listQuerySchema, query, 'query'));
    return { ...page, items: page.items.map((item) => destinationViewFor(key?.role ?? 'viewer', item)) };
  }

  @ApiRoute({
    summary: 'One destination (secrets never shown: `secretsSet`; below admin, URLs without credentials or query)',
    response: destinationViewSchema,
  })
  @Get(':id')
  @RequireRole('viewer')
  async get(@Param('id') id: string, @CurrentKey() key?: AuthenticatedKey) {
    return destinationViewFor(key?.role ?? 'viewer', await this.destinations.get(id));
  }

  @ApiRoute({ summary: 'Change a destination; new secrets are re-sealed', body: updateDestinationSchema, response: destinationViewSchema })
  @Patch(':id')
  @RequireRole('admin')
  update(@Param('id') id: string, @Body() body: unknown) {
    return this.destinations.update(id, parseInput(updateDestinationSchema, body));
  }

  @ApiRoute({ summary: 'Delete a destination (soft: kept for its runs’ history)', status: 204 })
  @Delete(':id')
  @HttpCode(204)
  @RequireRole('admin')
  async remove(@Param('id') id: string): Promise<void> {
    await this.destinations.remove(id);
  }

  @ApiRoute({ summary: 'Test the connection with the stored settings and secrets', response: connectionTestResultSchema, status: 200 })
  @Post(':id/test')
  @HttpCode(200)
  @RequireRole('marketer')
  test(@Param('id') id: string) {
    return this.destinations.testConnection(id);
  }
}
