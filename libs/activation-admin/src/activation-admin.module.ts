import { DynamicModule, Module } from '@nestjs/common';
import { CONNECTORS } from '@audiencekit/activation-engine';
import { SegmentsModule } from '@audiencekit/segments-service';
import { JourneyReportService } from '@audiencekit/journey-engine';
import type { AnyConnectorDefinition } from '@audiencekit/connector-sdk';
import { ActivationsService } from './activations/activations.service';
import { ConnectorCatalog } from './connectors/connector-catalog.service';
import { DestinationSecrets } from './destinations/destination-secrets.service';
import { DestinationsService } from './destinations/destinations.service';
import { FrequencyCapsService } from './frequency-caps/frequency-caps.service';
import { GlobalHoldoutService } from './holdout/global-holdout.service';
import { PriorityListsService } from './priority-lists/priority-lists.service';
import { JourneysAdminService } from './journeys/journeys-admin.service';
import { PlaysService } from './plays/plays.service';
import { LiftDataRepository } from './lift/lift-data.repository';
import { LiftReportService } from './lift/lift-report.service';

const SERVICES = [
  ConnectorCatalog,
  DestinationSecrets,
  DestinationsService,
  ActivationsService,
  GlobalHoldoutService,
  FrequencyCapsService,
  PriorityListsService,
  JourneysAdminService,
  // The journey report's numbers come from libs/journey-engine (the worker side of journeys).
  JourneyReportService,
  PlaysService,
  LiftDataRepository,
  LiftReportService,
];

export interface ActivationAdminOptions {
  /** The registered connectors (the app passes its registry's `loadConnectors`). */
  connectors: () => AnyConnectorDefinition[] | Promise<AnyConnectorDefinition[]>;
}

/**
 * Destinations, activations, the global holdout and lift reports, for the admin API. Needs the
 * database and APP_CONFIG; the connectors come in through the CONNECTORS token, which tests override.
 */
@Module({})
export class ActivationAdminModule {
  static register(options: ActivationAdminOptions): DynamicModule {
    return {
      module: ActivationAdminModule,
      // The plays (issue #23) create their quadrant segments through SegmentsService.
      imports: [SegmentsModule],
      providers: [{ provide: CONNECTORS, useFactory: options.connectors }, ...SERVICES],
      exports: [CONNECTORS, ...SERVICES],
    };
  }
}
