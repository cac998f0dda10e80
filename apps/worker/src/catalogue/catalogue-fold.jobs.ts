import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { CatalogueService } from '@audiencekit/catalogue';

// How often the catalogue takes in new events: the builder's autocomplete lags data by about this.
export const CATALOGUE_FOLD_MS = 5_000;

/**
 * Keeps the catalogue (libs/catalogue) up to date: every CATALOGUE_FOLD_MS one worker folds the
 * events received since the last fold (an advisory try-lock: with several workers one folds, the
 * others skip that tick). A fold that fails rolls back and leaves the watermark where it was.
 */
@Injectable()
export class CatalogueFoldJobs implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(CatalogueFoldJobs.name);
  private timer?: NodeJS.Timeout;
  private inFlight?: Promise<void>;

  constructor(private readonly catalogue: CatalogueService) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.tick(), CATALOGUE_FOLD_MS);
    this.tick();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.inFlight;
  }

  private tick(): void {
    if (this.inFlight) return;
    this.inFlight = this.catalogue
      .fold()
      .then(() => undefined)
      .catch((error: unknown) =>
        this.logger.warn(`catalogue fold failed (the next tick retries): ${error instanceof Error ? error.message : String(error)}`),
      )
      .finally(() => {
        this.inFlight = undefined;
      });
  }
}
