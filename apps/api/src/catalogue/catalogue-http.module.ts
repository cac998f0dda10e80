import { Module } from '@nestjs/common';
import { CatalogueModule } from '@audiencekit/catalogue';
import { CatalogueController } from './catalogue.controller';

/** GET /catalogue/events, /catalogue/events/:name/properties, /catalogue/traits (libs/catalogue reads). */
@Module({ imports: [CatalogueModule], controllers: [CatalogueController] })
export class CatalogueHttpModule {}
