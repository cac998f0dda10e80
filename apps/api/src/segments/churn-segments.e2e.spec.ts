import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import * as segmentsService from '@audiencekit/segments-service';
import { ApiKeyService } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { RunningApi, startTestApi } from '../../test/api-test-app';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../../../..');
const DAY_MS = 86_400_000;
// The sample's last invoice is on 2011-12-09: the data is moved forward by whole days so that its
// end is yesterday, as if it were live (churn scores the customers active before now).
const DATA_END = Date.parse('2011-12-10T00:00:00Z');

/**
 * Churn (#21) through the HTTP API, on the UCI Online Retail sample imported with the real CLI:
 * a propensity definition with a churn outcome ("ordered in the year before the cutoff, and not in
 * the 90 days after it") is fitted on create, its held-out AUC stored with the version, and a
 * refresh puts the top tier of churn risk among the customers active now in the segment.
 */
describe('churn segments through the API (online_retail_sample.csv)', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let marketerKey: string;
  let viewerKey: string;
  let shiftMs: number;

  async function call(method: string, route: string, body?: unknown, key = marketerKey): Promise<{ status: number; body: any }> {
    const response = await fetch(`${api.baseUrl}${route}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  }
  /** The created segment: 201 with it, or (fits as worker jobs) 202 with a job this test runs as the worker would. */
  async function created(response: { status: number; body: any }): Promise<{ status: number; body: any }> {
    if (response.status !== 202) return response;
    const jobs = (segmentsService as Record<string, unknown>)['ModelFitJobsService'] as new (...args: never[]) => {
      execute(id: string): Promise<unknown>;
    };
    await api.app.get(jobs).execute(response.body.job.id);
    const job = await call('GET', response.body.job.url, undefined, viewerKey);
    return job.body.state === 'succeeded'
      ? { status: 201, body: job.body.result.segment }
      : { status: job.body.error?.status ?? 400, body: job.body.error };
  }
  const churn = (outcome: Record<string, unknown>) => ({
    type: 'propensity',
    population: 'all',
    tier: 'top',
    seed: 11,
    cutoff: new Date(Date.parse('2011-09-01T00:00:00Z') + shiftMs).toISOString(),
    outcome,
    features: [
      { source: 'recency_days' },
      { source: 'frequency', log1p: true },
      { source: 'monetary', clip: { min: 0 }, log1p: true },
      { source: 'tenure_days' },
    ],
  });
  const create = (key: string, definition: unknown) =>
    call('POST', '/segments', { key, name: key, owner: 'crm-team', definition, qualityThresholds: { minSize: 1, maxChurn: 10 } });

  beforeAll(async () => {
    db = await createTestDatabase();
    const { DATABASE_URL: _inherited, ...env } = process.env;
    const { stdout } = await run(
      process.execPath,
      [
        '-r',
        '@swc-node/register',
        path.join(ROOT, 'apps/cli/src/main.ts'),
        'import',
        'orders',
        path.join(ROOT, 'data/online_retail_sample.csv'),
      ],
      { cwd: ROOT, env: { ...env, DATABASE_URL: db.url, LOG_LEVEL: 'warn' }, maxBuffer: 10 * 1024 * 1024 },
    );
    expect(stdout).toMatch(/Order Completed 27,384, Order Refunded 616/);
    shiftMs = Math.floor((Date.now() - DATA_END) / DAY_MS) * DAY_MS;
    const shift = `${shiftMs / DAY_MS} days`;
    await db.dataSource.query(`UPDATE events SET timestamp = timestamp + $1::interval`, [shift]);
    await db.dataSource.query(
      `UPDATE profiles SET first_seen_at = first_seen_at + $1::interval, last_seen_at = last_seen_at + $1::interval`,
      [shift],
    );
    await db.dataSource.query('ANALYZE');
    api = await startTestApi(db.url);
    marketerKey = (await api.app.get(ApiKeyService).create('marketer', 'marketer')).secret;
    viewerKey = (await api.app.get(ApiKeyService).create('viewer', 'viewer')).secret;
  }, 240_000);
  afterAll(async () => {
    await api?.close();
    await db?.drop();
  });

  it('fits a churn model on create (AUC stored with the version) and refreshes to the riskiest active customers', async () => {
    const response = await created(
      await create(
        'churn-risk',
        churn({ kind: 'churn', event: 'Order Completed', withinDays: 90, active: { lookbackDays: 365, events: 'outcome_event' } }),
      ),
    );
    expect(response.status).toBe(201);
    const version = (await call('GET', `/segments/${response.body.id}/versions/1`, undefined, viewerKey)).body;
    // 2,613 customers ordered in the year before the cutoff; 1,300 of them did not order in the 90
    // days after it (the pandas fixture of libs/segments-domain/fixtures/churn gives the same).
    expect(version.model).toMatchObject({ kind: 'propensity', profiles: 2613, positives: 1300, split: { method: 'stratified', seed: 11 } });
    expect(version.model.heldOutAuc).toBeGreaterThan(0.6);
    process.stdout.write(`churn e2e: held-out AUC ${version.model.heldOutAuc}, tiers ${JSON.stringify(version.model.tierCounts)}\n`);

    const queued = await call('POST', `/segments/${response.body.id}/refresh`);
    expect(queued.status).toBe(202);
    expect(await api.app.get(segmentsService.SegmentRefreshService).execute(queued.body.runId)).toMatchObject({
      status: 'succeeded',
      size: version.model.tierCounts.top,
    });
    // Only customers active in the year before now are scored: every member ordered then.
    const inactive = await db.dataSource.query(
      `SELECT count(*)::int AS n FROM segment_memberships m WHERE m.segment_id = $1 AND NOT EXISTS (
         SELECT 1 FROM events e WHERE e.profile_id = m.profile_id AND e.name = 'Order Completed' AND e.timestamp > now() - interval '365 days')`,
      [response.body.id],
    );
    expect(inactive).toEqual([{ n: 0 }]);
  });

  it('refuses a churn outcome without its definition of active, and active on a performed outcome (400 naming the path, nothing published)', async () => {
    const missing = await create('churn-no-active', churn({ kind: 'churn', event: 'Order Completed', withinDays: 90 }));
    expect(missing).toMatchObject({ status: 400, body: { details: [expect.objectContaining({ path: 'definition.outcome.active' })] } });
    const misplaced = await create(
      'performed-with-active',
      churn({ event: 'Order Completed', withinDays: 90, active: { lookbackDays: 30, events: 'any_event' } }),
    );
    expect(misplaced).toMatchObject({ status: 400, body: { details: [expect.objectContaining({ path: 'definition.outcome.active' })] } });
    const listed = await call('GET', '/segments', undefined, viewerKey);
    const keys = (listed.body.items ?? listed.body).map((segment: { key: string }) => segment.key);
    expect(keys).not.toContain('churn-no-active');
    expect(keys).not.toContain('performed-with-active');
  });
});
