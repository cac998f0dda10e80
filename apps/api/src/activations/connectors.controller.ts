import { Controller, Get } from '@nestjs/common';
import { ConnectorCatalog } from '@audiencekit/activation-admin';
import { ApiRoute, RequireRole } from '@audiencekit/server-core';

/** The registered connectors, with settings and secrets as JSON Schema for a client's forms. */
@Controller('connectors')
export class ConnectorsController {
  constructor(private readonly catalog: ConnectorCatalog) {}

  @ApiRoute({ summary: 'Registered connectors: channel, delivery model, identifiers, limits, settings and secrets as JSON Schema' })
  @Get()
  @RequireRole('viewer')
  list() {
    return { items: this.catalog.list() };
  }
}
