import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { OpenApiController } from './openapi.controller';
import { RouteCatalog } from './route-catalog.service';

@Module({ imports: [DiscoveryModule], providers: [RouteCatalog], controllers: [OpenApiController], exports: [RouteCatalog] })
export class OpenApiModule {}
