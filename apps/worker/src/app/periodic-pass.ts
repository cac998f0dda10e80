import { Logger } from '@nestjs/common';

/**
 * Runs `pass` every `intervalMs`, one pass at a time: the next pass is scheduled when the previous
 * one has finished (a timeout after each pass, not an interval), so a slow pass never overlaps the
 * next. A failed pass is logged and the next one retries. `stop` cancels the timer and waits for a
 * pass in flight, so the worker shuts down only after it (the worker's jobs call it before shutdown).
 */
export class PeriodicPass {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly what: string,
    private readonly intervalMs: number,
    private readonly pass: () => Promise<void>,
    private readonly logger: Logger,
  ) {}

  /** Schedules the first pass after one interval, or at once with `{ now: true }`. */
  start(options: { now?: boolean } = {}): void {
    if (options.now) this.running = this.runOnce().finally(() => this.schedule());
    else this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.runOnce().finally(() => this.schedule());
    }, this.intervalMs);
  }

  private async runOnce(): Promise<void> {
    try {
      await this.pass();
    } catch (error) {
      this.logger.error(`${this.what} failed (the next pass retries): ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
