import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { ApiException } from '../errors/api-exception';
import { AnalyticsDatabase } from './analytics-database.service';

async function refusal(promise: Promise<unknown>): Promise<{ status: number; code: string }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ApiException) return { status: error.getStatus(), code: (error.getResponse() as { code: string }).code };
    throw error;
  }
  throw new Error('expected a refusal');
}

/** The analytics pool against a real Postgres: its size, its statement timeout, and what each limit answers. */
describe('AnalyticsDatabase', () => {
  let db: TestDatabase;
  let analytics: AnalyticsDatabase;

  beforeAll(async () => {
    db = await createTestDatabase({ migrated: false });
    analytics = new AnalyticsDatabase({
      DATABASE_URL: db.url,
      DB_POOL_SIZE: 10,
      DB_ANALYTICS_POOL_SIZE: 1,
      ANALYTICS_STATEMENT_TIMEOUT_MS: 1_000,
    });
  });

  afterAll(async () => {
    await analytics.onApplicationShutdown();
    await db.drop();
  });

  it('runs work on its own connections, with the statement timeout set on them', async () => {
    const [row] = await analytics.run((manager) =>
      manager.query(`SELECT current_setting('statement_timeout') AS timeout, current_setting('application_name') AS name`),
    );
    expect(row).toEqual({ timeout: '1s', name: 'audiencekit-analytics' });
  });

  it('cancels a statement over the timeout: 422 analytics_timeout', async () => {
    expect(await refusal(analytics.run((manager) => manager.query('SELECT pg_sleep(3)')))).toEqual({
      status: 422,
      code: 'analytics_timeout',
    });
  });

  it('answers 503 analytics_busy when no connection frees up within the timeout (pool of 1)', async () => {
    const outcomes = await Promise.allSettled([0, 1, 2].map(() => analytics.run((manager) => manager.query('SELECT pg_sleep(0.8)'))));
    const codes = await Promise.all(
      outcomes.map(async (outcome) => (outcome.status === 'fulfilled' ? 'ok' : (await refusal(Promise.reject(outcome.reason))).code)),
    );
    expect(codes.filter((code) => code === 'ok').length).toBeGreaterThanOrEqual(1);
    expect(codes).toContain('analytics_busy');
    const [{ n }] = await db.dataSource.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'audiencekit-analytics' AND datname = current_database()`,
    );
    expect(n).toBe(1);
  });
});
