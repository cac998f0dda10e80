import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { RealtimeBatchOutcome, RealtimeEvaluator, realtimeBacklog } from '@audiencekit/segments-service';
import { APP_CONFIG, AppConfig, Metrics } from '@audiencekit/server-core';

// An idle loop looks for work this often: a hand-off waits at most this long before its batch starts.
const IDLE_POLL_MS = 20;
// How often a worker looks for new real-time segment versions to start and samples the backlog.
const HOUSEKEEPING_MS = 1_000;

/**
 * The worker's side of real-time audiences: AK_REALTIME_CONCURRENCY evaluation loops, each taking
 * one batch of profiles at a time (RealtimeEvaluator), and a housekeeping tick that starts new
 * real-time segment versions and samples the backlog for the metrics. Every worker process runs
 * them; profiles are shared out by advisory try-locks, so adding workers adds throughput.
 */
@Injectable()
export class RealtimeEvaluationJobs implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(RealtimeEvaluationJobs.name);
  private running = false;
  private loops: Promise<void>[] = [];
  private housekeeping?: NodeJS.Timeout;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly evaluator: RealtimeEvaluator,
    private readonly metrics: Metrics,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.AK_REALTIME) return;
    this.running = true;
    this.loops = Array.from({ length: this.config.AK_REALTIME_CONCURRENCY }, () => this.loop());
    this.housekeeping = setInterval(() => void this.tick(), HOUSEKEEPING_MS);
    void this.tick();
  }

  async onApplicationShutdown(): Promise<void> {
    this.running = false;
    if (this.housekeeping) clearInterval(this.housekeeping);
    // A batch in flight commits or rolls back; its hand-offs stay for the next worker either way.
    await Promise.allSettled(this.loops);
  }

  private async loop(): Promise<void> {
    while (this.running) {
      try {
        const outcome = await this.evaluator.runBatch();
        this.observe(outcome);
        if (outcome.profiles === 0) await sleep(IDLE_POLL_MS);
      } catch (error) {
        // A deadlock or a lost connection: the batch rolled back and its work waits; try again soon.
        if (this.running) this.logger.warn(`real-time batch failed (it will be retried): ${errorText(error)}`);
        await sleep(250);
      }
    }
  }

  private observe(outcome: RealtimeBatchOutcome): void {
    if (outcome.profiles === 0) return;
    this.metrics.realtimeEvaluations.inc(outcome.profiles);
    if (outcome.changes) this.metrics.realtimeChanges.inc(outcome.changes);
    for (const lag of outcome.handOffLagsMs) this.observeLag('event', lag);
    for (const lag of outcome.dueLagsMs) this.observeLag('due', lag);
  }

  private observeLag(cause: 'event' | 'due', milliseconds: number): void {
    const seconds = Math.max(0, milliseconds) / 1000;
    this.metrics.realtimeLag.observe({ cause }, seconds);
    this.metrics.realtimeLagQuantiles.observe({ cause }, seconds);
  }

  private async tick(): Promise<void> {
    try {
      await this.evaluator.startNewVersions();
      const backlog = await realtimeBacklog(this.dataSource.manager, new Date());
      this.metrics.realtimePending.set({ kind: 'handoffs' }, backlog.touches);
      this.metrics.realtimePending.set({ kind: 'due' }, backlog.due);
      this.metrics.realtimePending.set({ kind: 'overdue' }, backlog.overdue);
    } catch (error) {
      if (this.running) this.logger.warn(`real-time housekeeping failed: ${errorText(error)}`);
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
