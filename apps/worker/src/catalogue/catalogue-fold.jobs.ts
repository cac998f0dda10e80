import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { CatalogueService } from '@audiencekit/catalogue';
import { PeriodicPass } from '../app/periodic-pass';

// How often the catalogue takes in new events: the builder's autocomplete lags data by about this.
export const CATALOGUE_FOLD_MS = 5_000;

/**
 * Keeps the catalogue (libs/catalogue) up to date: every CATALOGUE_FOLD_MS one worker folds the
 * events received since the last fold (an advisory try-lock: with several workers one folds, the
 * others skip that pass). A fold that fails rolls back and leaves the watermark where it was.
 */
@Injectable()
export class CatalogueFoldJobs implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(CatalogueFoldJobs.name);
  private readonly passes: PeriodicPass;

  constructor(private readonly catalogue: CatalogueService) {
    this.passes = new PeriodicPass('catalogue fold', CATALOGUE_FOLD_MS, () => this.fold(), this.logger);
  }

  onApplicationBootstrap(): void {
    this.passes.start({ now: true });
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.passes.stop();
  }

  private async fold(): Promise<void> {
    await this.catalogue.fold();
  }
}
