import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { dataSourceOptions } from '@audiencekit/persistence';
import { analyticsPoolSize, AppConfig } from '../config/config.schema';
import { ApiException } from '../errors/api-exception';

/** Postgres' code for a statement cancelled by statement_timeout. */
const QUERY_CANCELED = '57014';

/**
 * The connection pool of interactive analytics (segment preview, overlap, choose-k, the lift
 * report, the feature reads of a model fit): separate
 * from the main pool and small (DB_ANALYTICS_POOL_SIZE, default a third of DB_POOL_SIZE), with a
 * statement timeout on every connection (ANALYTICS_STATEMENT_TIMEOUT_MS). However many heavy
 * previews a marketer starts, tracking and the worker keep every connection of the main pool.
 * Opened on first use, so a process that serves no analytics (the worker) opens none; the CLI opens
 * it only when it fits a model.
 */
@Injectable()
export class AnalyticsDatabase implements OnApplicationShutdown {
  private readonly logger = new Logger(AnalyticsDatabase.name);
  private opening?: Promise<DataSource>;

  constructor(
    private readonly config: Pick<AppConfig, 'DATABASE_URL' | 'DB_POOL_SIZE' | 'DB_ANALYTICS_POOL_SIZE' | 'ANALYTICS_STATEMENT_TIMEOUT_MS'>,
  ) {}

  /**
   * Runs `work` with a manager of the analytics pool. A statement over the timeout is a 422
   * `analytics_timeout` (the same request would time out again: narrow the definition); no free
   * connection within the timeout is a 503 `analytics_busy` (others are running: retry later).
   */
  async run<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const dataSource = await this.open();
    try {
      return await work(dataSource.manager);
    } catch (error) {
      throw this.translate(error);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    const opening = this.opening;
    this.opening = undefined;
    const dataSource = await opening?.catch(() => undefined);
    if (dataSource?.isInitialized) await dataSource.destroy();
  }

  private open(): Promise<DataSource> {
    this.opening ??= this.initialize().catch((error: unknown) => {
      this.opening = undefined; // a database that was down at the first preview may be up at the next
      throw this.translate(error);
    });
    return this.opening;
  }

  private async initialize(): Promise<DataSource> {
    const timeoutMs = this.config.ANALYTICS_STATEMENT_TIMEOUT_MS;
    const base = dataSourceOptions({
      url: this.config.DATABASE_URL,
      poolSize: analyticsPoolSize(this.config),
      applicationName: 'audiencekit-analytics',
    });
    const dataSource = new DataSource({
      ...base,
      extra: { ...(base.extra as object), statement_timeout: timeoutMs, connectionTimeoutMillis: timeoutMs },
    } as typeof base);
    return dataSource.initialize();
  }

  private translate(error: unknown): unknown {
    if (error instanceof ApiException) return error;
    const timeoutMs = this.config.ANALYTICS_STATEMENT_TIMEOUT_MS;
    if (isQueryCanceled(error)) {
      return new ApiException(
        422,
        'analytics_timeout',
        `the query ran longer than ${timeoutMs} ms (ANALYTICS_STATEMENT_TIMEOUT_MS) and was cancelled; narrow the definition (shorter windows, fewer event and aggregate conditions)`,
      );
    }
    if (isPoolWaitTimeout(error)) {
      this.logger.warn(`analytics pool busy: no connection within ${timeoutMs} ms`);
      return new ApiException(
        503,
        'analytics_busy',
        `every analytics connection is in use (${analyticsPoolSize(this.config)}, DB_ANALYTICS_POOL_SIZE); retry in a few seconds`,
      );
    }
    return error;
  }
}

function isQueryCanceled(error: unknown): boolean {
  const candidate = error as { code?: unknown; driverError?: { code?: unknown } } | null;
  return candidate?.code === QUERY_CANCELED || candidate?.driverError?.code === QUERY_CANCELED;
}

/** pg-pool's error when no client is released within connectionTimeoutMillis. */
function isPoolWaitTimeout(error: unknown): boolean {
  return error instanceof Error && /timeout exceeded when trying to connect/i.test(error.message);
}
