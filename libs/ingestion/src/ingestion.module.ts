import { DynamicModule, Module } from '@nestjs/common';
import { INGESTION_OPTIONS, IngestionOptions, IngestionService } from './ingestion.service';

/** The ingestion service (stitching + durable event writes). Needs the TypeORM DataSource. */
@Module({ providers: [IngestionService], exports: [IngestionService] })
export class IngestionModule {
  /** With options (merge caps, default phone country) instead of the defaults. */
  static register(options: IngestionOptions): DynamicModule {
    return {
      module: IngestionModule,
      providers: [{ provide: INGESTION_OPTIONS, useValue: options }, IngestionService],
      exports: [IngestionService],
    };
  }
}
