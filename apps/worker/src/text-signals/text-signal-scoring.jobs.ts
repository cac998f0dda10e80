import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { TextSignalsService } from '@audiencekit/segments-service';
import { PeriodicPass } from '../app/periodic-pass';

// How often new events' text is scored: signals (and the computed traits over them) lag ingestion by about this.
export const TEXT_SIGNALS_SCORE_MS = 2_000;

/**
 * Scores the text of configured events (libs/segments-service TextSignalsService, issue #24): every
 * TEXT_SIGNALS_SCORE_MS a pass scores the events received since each configuration's watermark and
 * stores their sentiment and tags in `events.signals`. Scoring (~0.4 ms per event) stays off the
 * ingestion request path. With several workers, one scores at a time (an advisory try-lock per
 * batch); a pass that fails rolls back its batch and the next pass resumes from the watermark.
 */
@Injectable()
export class TextSignalScoringJobs implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(TextSignalScoringJobs.name);
  private readonly passes: PeriodicPass;

  constructor(private readonly textSignals: TextSignalsService) {
    this.passes = new PeriodicPass('text-signal scoring', TEXT_SIGNALS_SCORE_MS, () => this.score(), this.logger);
  }

  onApplicationBootstrap(): void {
    this.passes.start({ now: true });
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.passes.stop();
  }

  private async score(): Promise<void> {
    await this.textSignals.scorePending();
  }
}
