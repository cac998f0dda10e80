import { DynamicModule, Module } from '@nestjs/common';
import type { AnyConnectorDefinition } from '@audiencekit/connector-sdk';
import { CONNECTORS } from './connectors.token';
import { DestinationGates } from './delivery/destination-gates';
import { resolveSyncEngineOptions, SYNC_ENGINE_OPTIONS, SyncEngineOptions } from './sync-engine.options';
import { SyncQueueWorker } from './sync-queue-worker.service';
import { SyncRunner } from './sync-runner';
import { SyncSchedulerService } from './sync-scheduler.service';
import { SyncService } from './sync.service';
import { SyncRequestsService } from './sync-requests.service';
import { OnChangeFlusher } from './on-change/on-change-flusher';
import { SyncRunControlService } from './run-control/sync-run-control.service';
import { DirectDelivery } from './direct/direct-delivery';
import { VendorRequestChecks } from './vendor-requests/vendor-request-checks.service';

export interface ActivationModuleOptions {
  /** The connectors this process can sync to (provided as the CONNECTORS token). */
  connectors: readonly AnyConnectorDefinition[];
  /** Engine tuning (timeouts, retries, page size); production keeps the defaults. */
  engine?: Partial<SyncEngineOptions>;
}

/**
 * The sync engine. Needs the database (DatabaseModule), APP_CONFIG (ConfigModule) and the job
 * queue (QueueModule), all global. `forRoot({ connectors })` provides the CONNECTORS token; the API
 * imports it to request syncs and dry runs, the worker to execute them.
 */
@Module({})
export class ActivationModule {
  static forRoot(options: ActivationModuleOptions): DynamicModule {
    const services = [
      SyncService,
      SyncRequestsService,
      SyncRunner,
      SyncSchedulerService,
      SyncQueueWorker,
      DestinationGates,
      OnChangeFlusher,
      SyncRunControlService,
      DirectDelivery,
      VendorRequestChecks,
    ];
    return {
      module: ActivationModule,
      providers: [
        { provide: CONNECTORS, useValue: options.connectors },
        { provide: SYNC_ENGINE_OPTIONS, useValue: resolveSyncEngineOptions(options.engine) },
        ...services,
      ],
      exports: [CONNECTORS, SYNC_ENGINE_OPTIONS, ...services],
    };
  }
}
