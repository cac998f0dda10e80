import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry, Summary } from 'prom-client';
import { JobQueue, QueueStats } from '../queue/job-queue.service';
import { clusterMetrics, inClusterWorker, shareRegistryWithCluster } from './cluster-metrics';

/** What a sync batch did, as the sync engine reports it (libs/activation-engine calls these). */
export interface SyncMetricLabels {
  destination: string;
  connector: string;
}

/**
 * The Prometheus series of a process (prom-client). One registry per application rather than
 * prom-client's global one: tests boot several apps in one process, and each must count alone.
 * Names follow Prometheus conventions: `_total` counters, `_seconds` histograms, base units.
 * Label values are bounded: routes, queue names, segment keys, destination ids — never profile ids.
 */
@Injectable()
export class Metrics {
  readonly registry = new Registry();

  readonly ingestEvents = new Counter({
    name: 'audiencekit_ingest_events_total',
    help: 'Tracking messages received, by route and outcome (accepted = stored or duplicate, rejected = invalid)',
    labelNames: ['route', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly trackingRequestDuration = new Histogram({
    name: 'audiencekit_tracking_request_duration_seconds',
    help: 'Duration of tracking API requests (/v1/*), by route and status code',
    labelNames: ['route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly segmentRefreshDuration = new Histogram({
    name: 'audiencekit_segment_refresh_duration_seconds',
    help: 'Duration of segment refresh jobs, by segment key and final status',
    labelNames: ['segment', 'status'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900],
    registers: [this.registry],
  });

  readonly syncMembers = new Counter({
    name: 'audiencekit_sync_members_total',
    help: 'Members a sync handled at a destination, by action (add, remove, send) and outcome (delivered, rejected, failed)',
    labelNames: ['destination', 'connector', 'action', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly syncErrors = new Counter({
    name: 'audiencekit_sync_errors_total',
    help: 'Sync errors by destination and kind (batch_failed, or the code that stopped a run: invalid_credentials, circuit_open, ...)',
    labelNames: ['destination', 'connector', 'kind'] as const,
    registers: [this.registry],
  });

  readonly vendorRateLimited = new Counter({
    name: 'audiencekit_vendor_rate_limited_total',
    help: 'Vendor calls answered with a rate limit (HTTP 429 or a vendor rate-limit code), each one retried by the core',
    labelNames: ['destination', 'connector'] as const,
    registers: [this.registry],
  });

  readonly vendorRetryable = new Counter({
    name: 'audiencekit_vendor_retryable_errors_total',
    help: 'Vendor calls that failed with a retryable error (429, 5xx, timeouts, network), by vendor code',
    labelNames: ['destination', 'connector', 'code'] as const,
    registers: [this.registry],
  });

  readonly realtimeLag = new Histogram({
    name: 'audiencekit_realtime_evaluation_lag_seconds',
    help: 'Real-time evaluation lag per profile: from the hand-off (event stored) or the due time to the committed evaluation, by cause (event, due)',
    labelNames: ['cause'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [this.registry],
  });

  /** The same lag as quantiles over the last minute (p50 / p99 at a glance, per process). */
  readonly realtimeLagQuantiles = new Summary({
    name: 'audiencekit_realtime_evaluation_lag_quantiles_seconds',
    help: 'Real-time evaluation lag, p50 / p90 / p99 over the last 60 s, by cause (event, due)',
    labelNames: ['cause'] as const,
    percentiles: [0.5, 0.9, 0.99],
    maxAgeSeconds: 60,
    ageBuckets: 6,
    registers: [this.registry],
  });

  readonly realtimeEvaluations = new Counter({
    name: 'audiencekit_realtime_evaluations_total',
    help: 'Profiles evaluated in real time (rate() gives evaluations per second)',
    registers: [this.registry],
  });

  readonly realtimeChanges = new Counter({
    name: 'audiencekit_realtime_membership_changes_total',
    help: 'Segment entries and exits made by real-time evaluation',
    registers: [this.registry],
  });

  readonly realtimePending = new Gauge({
    name: 'audiencekit_realtime_pending',
    help: 'Real-time work waiting: hand-offs not yet evaluated (handoffs), stored due transitions (due), due transitions whose time has come (overdue)',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  readonly reconciliationCorrections = new Counter({
    name: 'audiencekit_realtime_reconciliation_corrections_total',
    help: 'Memberships a reconciliation refresh of a real-time segment corrected on profiles real time had settled (expected 0: alert when it grows)',
    labelNames: ['segment'] as const,
    registers: [this.registry],
  });

  private queue?: JobQueue;
  private pendingStats?: Promise<QueueStats[] | undefined>;

  constructor() {
    // Standard names (process_*, nodejs_*), so stock Node.js dashboards work unchanged.
    collectDefaultMetrics({ register: this.registry });
    if (inClusterWorker()) shareRegistryWithCluster(this.registry);
    this.queueGauge(
      'audiencekit_queue_depth',
      'Jobs waiting (created or retry, due now) per queue; read from pg-boss at scrape time',
      (stat) => stat.waiting,
    );
    this.queueGauge('audiencekit_queue_active_jobs', 'Jobs being worked on per queue', (stat) => stat.active);
    this.queueGauge(
      'audiencekit_queue_oldest_job_age_seconds',
      'Age of the oldest waiting job per queue (0 when none waits); a growing value means workers are not keeping up',
      (stat) => stat.oldestWaitingSeconds,
    );
  }

  /**
   * prom-client collects the metrics of a scrape concurrently, so each queue gauge reads the same
   * shared query (queueStats) and sets its own values from it.
   */
  private queueGauge(name: string, help: string, value: (stat: QueueStats) => number): void {
    const stats = () => this.queueStats();
    new Gauge({
      name,
      help,
      labelNames: ['queue'] as const,
      registers: [this.registry],
      // Every API process reads the same queue: across a cluster the value is one reading, not a sum.
      aggregator: 'max',
      async collect() {
        const current = await stats();
        if (!current) return; // database down: keep the last values rather than fail the scrape
        this.reset();
        for (const stat of current) this.set({ queue: stat.queue }, value(stat));
      },
    });
  }

  /** Lets the queue gauges read pg-boss (the API and the worker both have a JobQueue). */
  attachQueue(queue: JobQueue): void {
    this.queue = queue;
  }

  /** A batch's answer: delivered and rejected members (and members given up on as failed). */
  recordSyncMembers(labels: SyncMetricLabels, action: string, counts: { delivered?: number; rejected?: number; failed?: number }): void {
    for (const outcome of ['delivered', 'rejected', 'failed'] as const) {
      const value = counts[outcome] ?? 0;
      if (value > 0) this.syncMembers.inc({ ...labels, action, outcome }, value);
    }
  }

  recordSyncError(labels: SyncMetricLabels, kind: string): void {
    this.syncErrors.inc({ ...labels, kind });
  }

  /** A retryable vendor error; `rateLimited` when it was a 429 or the vendor's rate-limit code. */
  recordVendorRetryable(labels: SyncMetricLabels, code: string, rateLimited: boolean): void {
    this.vendorRetryable.inc({ ...labels, code });
    if (rateLimited) this.vendorRateLimited.inc(labels);
  }

  /** The exposition text: of this process, or of every API process when several share the port. */
  async render(): Promise<{ contentType: string; body: string }> {
    const body = inClusterWorker() ? await clusterMetrics() : await this.registry.metrics();
    return { contentType: this.registry.contentType, body };
  }

  /** One pg-boss query shared by the gauges of a scrape; undefined without a queue or a database. */
  private queueStats(): Promise<QueueStats[] | undefined> {
    if (!this.queue) return Promise.resolve(undefined);
    this.pendingStats ??= this.queue
      .stats()
      .catch(() => undefined)
      .finally(() => (this.pendingStats = undefined)); // the gauges of one scrape start together, before it settles
    return this.pendingStats;
  }
}
