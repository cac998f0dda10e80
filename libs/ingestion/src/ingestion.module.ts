import { DynamicModule, Module, Provider } from '@nestjs/common';
import { INGESTION_OPTIONS, IngestionOptions, IngestionService } from './ingestion.service';

/** The ingestion service (stitching + durable event writes). Needs the TypeORM DataSource. */
@Module({ providers: [IngestionService], exports: [IngestionService] })
export class IngestionModule {
  /** With options (merge caps, default phone country) instead of the defaults. */
  static register(options: IngestionOptions): DynamicModule {
    return IngestionModule.registerWith({ provide: INGESTION_OPTIONS, useValue: options });
  }

  /** With options computed from other providers (e.g. the app's configuration). */
  static registerAsync(options: { useFactory: (...args: never[]) => IngestionOptions; inject: (string | symbol)[] }): DynamicModule {
    return IngestionModule.registerWith({ provide: INGESTION_OPTIONS, ...options });
  }

  private static registerWith(provider: Provider): DynamicModule {
    return {
      module: IngestionModule,
      providers: [provider, IngestionService],
      exports: [IngestionService],
    };
  }
}
