import { createTestDatabase, onAdmin, TestDatabase } from '@audiencekit/testing';
import { startTestApi } from '../../test/api-test-app';

describe('API boot against a real Postgres server', () => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await createTestDatabase({ migrated: false });
  });
  afterEach(async () => {
    await db.drop();
  });

  it('migrates an empty database on start and reports ready', async () => {
    const api = await startTestApi(db.url);
    try {
      const health = await fetch(`${api.baseUrl}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok', pid: process.pid });
      const ready = await fetch(`${api.baseUrl}/ready`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ ready: true, database: 'up', migrations: 'up-to-date' });
    } finally {
      await api.close();
    }
  });

  it('reports not ready, with the reason, while migrations are pending', async () => {
    const api = await startTestApi(db.url, { MIGRATE_ON_START: 'false' });
    try {
      const ready = await fetch(`${api.baseUrl}/ready`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ ready: false, database: 'up', migrations: 'pending' });
    } finally {
      await api.close();
    }
  });

  it('keeps liveness green but readiness red when the database goes away', async () => {
    const api = await startTestApi(db.url);
    try {
      // Terminating every backend of this database is what a server restart looks like to the pool.
      await onAdmin(async (admin) => {
        await admin.query(`ALTER DATABASE ${db.name} ALLOW_CONNECTIONS false`);
        await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, [db.name]);
      });
      const ready = await fetch(`${api.baseUrl}/ready`);
      expect(ready.status).toBe(503);
      const body = await ready.json();
      expect(body).toMatchObject({ ready: false, database: 'down', reason: 'the database does not answer' });
      // The public probe never carries the driver's text (database names, hosts, server messages).
      expect(JSON.stringify(body)).not.toMatch(new RegExp(`${db.name}|terminat|accepting|ECONN|postgres`, 'i'));
      expect((await fetch(`${api.baseUrl}/health`)).status).toBe(200);
    } finally {
      await api.close();
      await onAdmin((admin) => admin.query(`ALTER DATABASE ${db.name} ALLOW_CONNECTIONS true`));
    }
  });
});
