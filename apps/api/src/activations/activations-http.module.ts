import { Module } from '@nestjs/common';
import { ActivationModule } from '@audiencekit/activation-engine';
import { ActivationAdminModule } from '@audiencekit/activation-admin';
import { ActivationsController } from './activations.controller';
import { ConnectorsController } from './connectors.controller';
import { DestinationsController } from './destinations.controller';
import { FrequencyCapsController } from './frequency-caps.controller';
import { HoldoutController } from './holdout.controller';
import { JourneysController } from './journeys.controller';
import { PlaysController } from './plays.controller';
import { PriorityListsController } from './priority-lists.controller';
import { registeredConnectors } from './registered-connectors';
import { SyncRunsController } from './sync-runs.controller';

/**
 * Destinations, connectors, activations, the global holdout, lift reports and sync runs. The API
 * only requests syncs (queued jobs) and computes dry runs; the worker executes them.
 */
@Module({
  imports: [
    ActivationAdminModule.register({ connectors: registeredConnectors }),
    ActivationModule.forRoot({ connectors: registeredConnectors() }),
  ],
  controllers: [
    ConnectorsController,
    DestinationsController,
    ActivationsController,
    HoldoutController,
    SyncRunsController,
    FrequencyCapsController,
    PriorityListsController,
    JourneysController,
    PlaysController,
  ],
})
export class ActivationsHttpModule {}
