import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { OnChangeFlusher } from '@audiencekit/activation-engine';
import { APP_CONFIG, AppConfig } from '@audiencekit/server-core';

/**
 * Flushes the changes pending for `on_change` activations into sync runs every
 * `AK_REALTIME_FLUSH_MS` (one pass at a time in this process; every worker process runs one, and
 * they share the work through row locks with SKIP LOCKED). The runs then go through the
 * destinations' queues like every sync.
 */
@Injectable()
export class OnChangeFlush implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(OnChangeFlush.name);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly flusher: OnChangeFlusher,
  ) {}

  onApplicationBootstrap(): void {
    this.schedule();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    // A timeout after each pass, not an interval: a slow pass never overlaps the next one.
    this.timer = setTimeout(() => {
      this.running = this.pass().finally(() => this.schedule());
    }, this.config.AK_REALTIME_FLUSH_MS);
  }

  private async pass(): Promise<void> {
    try {
      const runs = await this.flusher.flushOnce();
      if (runs.length) this.logger.debug({ runs }, 'on-change changes flushed into sync runs');
    } catch (error) {
      this.logger.error(`on-change flush failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
