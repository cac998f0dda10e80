import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { ExponentialBackoff, handleWhen, retry } from 'cockatiel';
import PgBoss from 'pg-boss';
import { EntityManager } from 'typeorm';
import { APP_CONFIG } from '../config/config.module';
import { AppConfig } from '../config/config.schema';

export const JOB_QUEUE_OPTIONS = Symbol('JOB_QUEUE_OPTIONS');

export interface JobQueueOptions {
  /** Queues this process sends to or works on; created at start-up if missing. */
  queues: string[];
  /** Only the worker runs pg-boss maintenance (expiry, retention); the API just sends. */
  role: 'producer' | 'worker';
}

/**
 * Processes starting together (several workers, or a worker and the API) race to create the same
 * queue; pg-boss then fails one of them with a deadlock or a duplicate key. Both are safe to retry:
 * the retry finds the queue the winner created.
 */
const QUEUE_CREATION_RACE_CODES = new Set(['40P01', '23505', '42P07']);
const queueCreationRetry = retry(
  handleWhen((error) => QUEUE_CREATION_RACE_CODES.has((error as { code?: string }).code ?? '')),
  { maxAttempts: 5, backoff: new ExponentialBackoff({ initialDelay: 50, maxDelay: 1_000 }) },
);

export type JobHandler<T> = (data: T, job: { id: string; retryCount?: number; retryLimit?: number }) => Promise<void>;

/**
 * The durable job queue: pg-boss on the same Postgres (jobs claimed with FOR UPDATE SKIP LOCKED,
 * so N workers share one queue with no coordinator of ours). Chosen over graphile-worker because
 * it is plain CommonJS, needs no separate schema migration tool, and supports enqueuing inside a
 * caller's transaction (`sendInTransaction`), which makes "create run + enqueue it" atomic.
 */
@Injectable()
export class JobQueue implements OnModuleInit, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger(JobQueue.name);
  private readonly boss: PgBoss;
  private readonly knownQueues = new Set<string>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(JOB_QUEUE_OPTIONS) private readonly options: JobQueueOptions,
  ) {
    this.boss = new PgBoss({
      connectionString: config.DATABASE_URL,
      application_name: `audiencekit-queue-${options.role}`,
      max: 4,
      supervise: options.role === 'worker',
      schedule: false,
      migrate: true,
    });
    this.boss.on('error', (error) => this.logger.error(`queue error: ${error.message}`));
  }

  async onModuleInit(): Promise<void> {
    await this.boss.start();
    for (const name of this.options.queues) await this.ensureQueue(name);
  }

  /** Creates `name` if it does not exist yet: for queues made on demand (one per destination). */
  async ensureQueue(name: string): Promise<void> {
    if (this.knownQueues.has(name)) return;
    await queueCreationRetry.execute(async () => {
      if (!(await this.boss.getQueue(name))) await this.boss.createQueue(name, { name, policy: 'standard' });
    });
    this.knownQueues.add(name);
  }

  /**
   * Graceful: stop fetching, let the running handler finish. Before (not on) application shutdown,
   * so it runs while the database pool is still open: every beforeApplicationShutdown hook runs
   * before any onApplicationShutdown one, and TypeORM closes its pool in the latter. A handler
   * still running 2 s before SHUTDOWN_GRACE_MS ends is failed back to the queue ("pg-boss shut
   * down while active"), so another worker retries it at once rather than after its expiry.
   */
  async beforeApplicationShutdown(): Promise<void> {
    await this.boss.stop({ graceful: true, wait: true, timeout: Math.max(1_000, this.config.SHUTDOWN_GRACE_MS - 2_000) });
  }

  /** Also a shutdown hook for callers that own a JobQueue directly (tests); a no-op once stopped. */
  async onApplicationShutdown(): Promise<void> {
    await this.beforeApplicationShutdown();
  }

  /** Enqueues inside the caller's transaction: the job exists if and only if the transaction commits. */
  async sendInTransaction(manager: EntityManager, queue: string, data: object, options: PgBoss.SendOptions = {}): Promise<string | null> {
    const db = { executeSql: async (text: string, values: unknown[]) => ({ rows: await manager.query(text, values) }) };
    return this.boss.send(queue, data, { ...options, db });
  }

  async send(queue: string, data: object, options: PgBoss.SendOptions = {}): Promise<string | null> {
    return this.boss.send(queue, data, options);
  }

  /** Runs `handler` for each job of `queue`, one at a time per call of `work`. */
  async work<T extends object>(queue: string, handler: JobHandler<T>, pollingIntervalSeconds = 1): Promise<string> {
    return this.boss.work<T>(queue, { batchSize: 1, pollingIntervalSeconds, includeMetadata: true }, async ([job]) => {
      await handler(job.data, { id: job.id, retryCount: job.retryCount, retryLimit: job.retryLimit });
    });
  }

  /** Wakes this process's worker `workerId` (from `work`) to fetch now rather than at its next poll: a job was just sent. */
  notifyWorker(workerId: string): void {
    this.boss.notifyWorker(workerId);
  }

  async queueSize(queue: string): Promise<number> {
    return this.boss.getQueueSize(queue);
  }

  /**
   * Per queue: jobs waiting (created or retry, due now), jobs active, and the age of the oldest
   * waiting job, in one query over pg-boss's tables (for the metrics gauges, read at scrape time).
   */
  async stats(): Promise<QueueStats[]> {
    const waiting = `j.state IN ('created', 'retry') AND j.start_after <= now()`;
    const result = await this.boss.getDb().executeSql(
      `SELECT q.name AS queue,
              count(j.id) FILTER (WHERE ${waiting})::int AS waiting,
              count(j.id) FILTER (WHERE j.state = 'active')::int AS active,
              coalesce(extract(epoch FROM now() - min(j.created_on) FILTER (WHERE ${waiting})), 0)::float8 AS oldest
         FROM pgboss.queue q LEFT JOIN pgboss.job j ON j.name = q.name
        GROUP BY q.name ORDER BY q.name`,
      [],
    );
    return (result.rows as { queue: string; waiting: number; active: number; oldest: number }[]).map((row) => ({
      queue: row.queue,
      waiting: row.waiting,
      active: row.active,
      oldestWaitingSeconds: Number(row.oldest),
    }));
  }
}

export interface QueueStats {
  queue: string;
  waiting: number;
  active: number;
  oldestWaitingSeconds: number;
}
