import { createTestDatabase, spawnTs, TestDatabase } from '@audiencekit/testing';

describe('worker process', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ migrated: false });
  });
  afterAll(async () => {
    await db.drop();
  });

  it('boots, says so, and exits cleanly within a few seconds of SIGTERM', async () => {
    const worker = spawnTs('apps/worker/src/main.ts', { DATABASE_URL: db.url, LOG_LEVEL: 'info' });
    await worker.waitFor(/audiencekit-worker up/, 30_000);
    const signalledAt = Date.now();
    worker.child.kill('SIGTERM');
    const { code } = await worker.exited();
    expect(code).toBe(0);
    expect(Date.now() - signalledAt).toBeLessThan(5_000);
    // It migrated the empty database on the way up.
    const [{ count }] = await db.dataSource.query('SELECT count(*)::int AS count FROM typeorm_migrations');
    expect(count).toBeGreaterThan(0);
  }, 40_000);

  it('refuses to start with a clear message naming a bad variable', async () => {
    const worker = spawnTs('apps/worker/src/main.ts', { DATABASE_URL: 'mysql://nope', LOG_LEVEL: 'info' });
    const { code } = await worker.exited();
    expect(code).toBe(1);
    expect(worker.output()).toMatch(/Invalid configuration: DATABASE_URL must be a postgres:\/\/ URL/);
  }, 30_000);
});
