import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { migrationsUpToDate } from '@audiencekit/persistence';

export interface Readiness {
  ready: boolean;
  database: 'up' | 'down';
  migrations: 'up-to-date' | 'pending' | 'unknown';
  reason?: string;
}

const PROBE_TIMEOUT_MS = 2_000;

@Injectable()
export class DatabaseHealthService {
  private readonly logger = new Logger(DatabaseHealthService.name);

  constructor(private readonly dataSource: DataSource) {}

  /** Ready means: the database answers within the probe timeout and no migration is pending. */
  async readiness(): Promise<Readiness> {
    try {
      await withTimeout(this.dataSource.query('SELECT 1'), PROBE_TIMEOUT_MS);
    } catch (error) {
      // /ready is public: the driver's text (database name, host, server message) goes to the log only.
      this.logger.warn(`readiness probe: the database does not answer: ${describe(error)}`);
      return { ready: false, database: 'down', migrations: 'unknown', reason: 'the database does not answer' };
    }
    const upToDate = await withTimeout(migrationsUpToDate(this.dataSource), PROBE_TIMEOUT_MS).catch(() => false);
    return upToDate
      ? { ready: true, database: 'up', migrations: 'up-to-date' }
      : { ready: false, database: 'up', migrations: 'pending', reason: 'database migrations are pending' };
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
