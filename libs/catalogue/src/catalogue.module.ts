import { Module } from '@nestjs/common';
import { CatalogueService } from './catalogue.service';

/** The catalogue (needs the global DatabaseModule): the API reads it, the worker folds it. */
@Module({ providers: [CatalogueService], exports: [CatalogueService] })
export class CatalogueModule {}
