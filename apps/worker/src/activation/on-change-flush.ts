import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { OnChangeFlusher } from '@audiencekit/activation-engine';
import { APP_CONFIG, AppConfig } from '@audiencekit/server-core';
import { PeriodicPass } from '../app/periodic-pass';

/**
 * Flushes the changes pending for `on_change` activations into sync runs every
 * `AK_REALTIME_FLUSH_MS` (one pass at a time in this process; every worker process runs one, and
 * they share the work through row locks with SKIP LOCKED). The runs then go through the
 * destinations' queues like every sync.
 */
@Injectable()
export class OnChangeFlush implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(OnChangeFlush.name);
  private readonly passes: PeriodicPass;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly flusher: OnChangeFlusher,
  ) {
    this.passes = new PeriodicPass('on-change flush', config.AK_REALTIME_FLUSH_MS, () => this.flush(), this.logger);
  }

  onApplicationBootstrap(): void {
    this.passes.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.passes.stop();
  }

  private async flush(): Promise<void> {
    const runs = await this.flusher.flushOnce();
    if (runs.length) this.logger.debug({ runs }, 'on-change changes flushed into sync runs');
  }
}
