import { Module } from '@nestjs/common';
import { CatalogueModule } from '@audiencekit/catalogue';
import { CatalogueFoldJobs } from './catalogue-fold.jobs';

@Module({ imports: [CatalogueModule], providers: [CatalogueFoldJobs] })
export class CatalogueFoldJobsModule {}
