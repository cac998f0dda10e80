import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Page } from 'playwright-core';
import { SegmentDefinitionGate, SegmentsService } from '@audiencekit/segments-service';
import { ApiKeyService } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { ARTIFACTS, Browser, StartedProcess, eventually, launchBrowser, startApi, stopProcess, textOf, visible } from './browser-harness';

// Model fits on a cluster segment's page (#21), in Debian's Chromium against the real API (no
// worker: the test moves the fit job's row as a worker would). While a fit job runs the page shows
// its stage and progress, polled; when it ends the progress goes; the latest version's metrics sit
// beside the previous version's; "Refit now" queues a refit job (202) that shows as queued.
describe('model fits on the segment page', () => {
  let db: TestDatabase;
  let api: StartedProcess;
  let browser: Browser;
  let page: Page;
  let segmentId: string;
  let jobId: string;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    db = await createTestDatabase();
    const marketer = await new ApiKeyService(db.dataSource).create('console model fits e2e', 'marketer');
    await db.dataSource.query(
      `INSERT INTO profiles (traits, first_seen_at)
       SELECT jsonb_build_object('age', CASE WHEN g % 2 = 0 THEN 20 + g % 5 ELSE 60 + g % 7 END, 'visits', CASE WHEN g % 2 = 0 THEN 30 ELSE 2 + g % 3 END), now() - interval '1 day'
       FROM generate_series(1, 40) g`,
    );
    // Versions 1 and 2 fitted by the service (as the worker does), so the stored models are real.
    const segments = new SegmentsService(db.dataSource, new SegmentDefinitionGate());
    const definition = {
      type: 'cluster',
      population: 'all',
      k: 2,
      cluster: 0,
      seed: 1,
      features: [
        { source: 'trait', trait: 'age' },
        { source: 'trait', trait: 'visits' },
      ],
    };
    const segment = await segments.create(
      {
        key: 'groups',
        name: 'Visitor groups',
        description: '',
        owner: 'crm',
        refreshCadence: 'manual',
        refitCadence: '0 3 * * 1',
        kpi: null,
        status: 'active',
        qualityThresholds: { minSize: 1, maxChurn: 10 },
        definition,
      },
      null,
    );
    segmentId = segment.id;
    await db.dataSource.query(`INSERT INTO profiles (traits) SELECT '{"age": 40, "visits": 10}' FROM generate_series(1, 4)`);
    await segments.refit(segmentId, null);
    [{ id: jobId }] = await db.dataSource.query(
      `INSERT INTO model_fit_jobs (kind, segment_id, input, state, stage, progress, work, started_at)
       VALUES ('refit', $1, '{}', 'running', 'fitting k = 2 (10 restarts)', 0.4, 440, now()) RETURNING id`,
      [segmentId],
    );
    api = startApi(db.url);
    const apiUrl = await api.ready;
    browser = await launchBrowser();
    page = browser.page;
    await page.goto(`${apiUrl}/console/`);
    await page.getByLabel('API key').fill(marketer.secret);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await visible(page.getByRole('heading', { name: 'Segments', level: 1 }));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stopProcess(api?.child);
    await db?.drop();
  });

  it('shows the running fit with its stage and progress, then its end; metrics of v2 beside v1', async () => {
    await page.getByRole('link', { name: 'Visitor groups' }).click();
    const card = page.getByRole('region', { name: 'Model fits' });
    await visible(card.getByLabel('Fit progress'));
    expect(await card.getByLabel('Fit progress').getAttribute('value')).toBe('0.4');
    expect(await textOf(card.locator('.fit-progress'))).toBe('refit running: fitting k = 2 (10 restarts) (40%)');
    expect(await textOf(card)).toContain('Refit cadence: 0 3 * * 1');
    const metrics = card.getByRole('table', { name: 'Model metrics' });
    expect((await metrics.getByRole('columnheader').allInnerTexts()).map((text) => text.trim())).toEqual(['Metric', 'v2', 'v1']);
    expect(await textOf(metrics.getByRole('row').filter({ hasText: 'Profiles' }))).toBe('Profiles 44 40');
    await page.screenshot({ path: path.join(ARTIFACTS, 'model-fits-01-running.png'), fullPage: true });

    // The worker moves it on: the page follows by polling.
    await db.dataSource.query(`UPDATE model_fit_jobs SET stage = 'fitting k = 2 (10 restarts)', progress = 0.7 WHERE id = $1`, [jobId]);
    await eventually(async () => expect(await card.getByLabel('Fit progress').getAttribute('value')).toBe('0.7'));
    await db.dataSource.query(
      `UPDATE model_fit_jobs SET state = 'succeeded', stage = 'succeeded', progress = 1, finished_at = now() WHERE id = $1`,
      [jobId],
    );
    await visible(card.getByRole('table', { name: 'Fit jobs' }).locator('tr[data-state="succeeded"]'));
    await eventually(async () => expect(await card.getByLabel('Fit progress').count()).toBe(0));
  }, 60_000);

  it('queues a refit with "Refit now": 202 from the API, shown as queued for the worker', async () => {
    const card = page.getByRole('region', { name: 'Model fits' });
    await card.getByRole('button', { name: 'Refit now' }).click();
    await eventually(async () => expect(await textOf(card.getByRole('status'))).toBe('Refit queued: the worker fits it'));
    await visible(card.getByRole('table', { name: 'Fit jobs' }).locator('tr[data-state="queued"]'));
    expect(await textOf(card.locator('.fit-progress'))).toBe('refit queued: queued (0%)');
    const jobs = await db.dataSource.query(`SELECT kind, state FROM model_fit_jobs WHERE segment_id = $1 ORDER BY created_at`, [segmentId]);
    expect(jobs).toEqual([
      { kind: 'refit', state: 'succeeded' },
      { kind: 'refit', state: 'queued' },
    ]);
    await page.screenshot({ path: path.join(ARTIFACTS, 'model-fits-02-queued.png'), fullPage: true });
  }, 60_000);
});
