import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Page } from 'playwright-core';
import { ApiKeyService } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { ARTIFACTS, Browser, StartedProcess, eventually, launchBrowser, startApi, stopProcess, textOf, visible } from './browser-harness';

// Run control in Debian's Chromium against the real API (no worker: runs stay as the API leaves
// them). A failed sync run shows its rejected records with their reasons and is retried as a new
// run; on a segment's page a failed refresh is retried and the new queued run is cancelled.
describe('run controls and rejections in the console', () => {
  let db: TestDatabase;
  let api: StartedProcess;
  let browser: Browser;
  let page: Page;
  let segmentId: string;
  let activationId: string;
  let syncRunId: string;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    db = await createTestDatabase();
    const marketer = await new ApiKeyService(db.dataSource).create('console run controls e2e', 'marketer');
    [{ id: segmentId }] = await db.dataSource.query(
      `INSERT INTO segments (key, name, owner, current_version) VALUES ('carts', 'Cart abandoners', 'crm', 1) RETURNING id`,
    );
    await db.dataSource.query(`INSERT INTO segment_versions (segment_id, version, definition) VALUES ($1, 1, $2)`, [
      segmentId,
      { type: 'rules', match: { type: 'trait', trait: 'country', operator: 'equals', value: 'DE' } },
    ]);
    await db.dataSource.query(
      `INSERT INTO segment_runs (segment_id, version, status, trigger, started_at, finished_at, error) VALUES ($1, 1, 'failed', 'api', now(), now(), 'statement timeout')`,
      [segmentId],
    );
    const [destination] = await db.dataSource.query(
      `INSERT INTO destinations (name, connector, settings) VALUES ('Hook', 'webhook', '{"url": "https://hooks.example.com/a"}') RETURNING id`,
    );
    [{ id: activationId }] = await db.dataSource.query(
      `INSERT INTO activations (name, segment_id, destination_id, mode, holdout_share, holdout_salt, schedule)
       VALUES ('Carts to the hook', $1, $2, 'mirror', 0, 'salt', 'manual') RETURNING id`,
      [segmentId, destination.id],
    );
    [{ id: syncRunId }] = await db.dataSource.query(
      `INSERT INTO sync_runs (activation_id, segment_version, status, trigger, finished_at, counts) VALUES ($1, 1, 'failed', 'api', now(), '{"considered": 2, "failed": 2}') RETURNING id`,
      [activationId],
    );
    for (const reason of ['HTTP 400: invalid payload', 'out of retries after 3 attempt(s): HTTP 503']) {
      const [profile] = await db.dataSource.query(`INSERT INTO profiles (traits) VALUES ('{}') RETURNING id`);
      await db.dataSource.query(
        `INSERT INTO sync_rejections (sync_run_id, profile_id, kind, reason, code) VALUES ($1, $2, 'failed', $3, NULL)`,
        [syncRunId, profile.id, reason],
      );
    }
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

  it("shows a failed sync run's rejected records and retries it as a new run", async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Activations' }).click();
    await page.getByRole('link', { name: 'Carts to the hook' }).click();
    await visible(page.getByRole('heading', { name: 'Carts to the hook', level: 1 }));
    await page.getByRole('table').filter({ hasText: 'failed' }).getByRole('button', { name: 'Details' }).first().click();
    const run = page.getByRole('region', { name: `Sync run ${syncRunId}` });
    const rejections = run.getByRole('table', { name: 'Rejections' });
    await visible(rejections);
    expect((await rejections.getByRole('row').allInnerTexts()).slice(1).map((row) => row.split('\t')[2])).toEqual([
      'HTTP 400: invalid payload',
      'out of retries after 3 attempt(s): HTTP 503',
    ]);
    await page.screenshot({ path: path.join(ARTIFACTS, 'run-controls-01-rejections.png'), fullPage: true });
    await run.getByRole('button', { name: 'Retry' }).click();
    await eventually(async () =>
      expect(await textOf(run.getByRole('group', { name: 'Run controls' }).getByRole('status'))).toMatch(/^Retried as run/),
    );
    const runs = await db.dataSource.query(`SELECT status, trigger FROM sync_runs WHERE activation_id = $1 AND id <> $2`, [
      activationId,
      syncRunId,
    ]);
    expect(runs).toEqual([{ status: 'queued', trigger: 'retry' }]);
  }, 60_000);

  it('retries a failed refresh on the segment page, then cancels the queued retry', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Segments' }).click();
    await page.getByRole('link', { name: 'Cart abandoners' }).click();
    const table = page.getByRole('table', { name: 'Refresh runs' });
    await visible(table.locator('tr[data-status="failed"]'));
    await table.locator('tr[data-status="failed"]').getByRole('button', { name: 'Retry' }).click();
    await visible(table.locator('tr[data-status="queued"]'));
    await table.locator('tr[data-status="queued"]').getByRole('button', { name: 'Cancel run' }).click();
    await visible(table.locator('tr[data-status="cancelled"]'));
    await page.screenshot({ path: path.join(ARTIFACTS, 'run-controls-02-refresh.png'), fullPage: true });
    const statuses = await db.dataSource.query(`SELECT status, trigger FROM segment_runs WHERE segment_id = $1 ORDER BY queued_at`, [
      segmentId,
    ]);
    expect(statuses).toEqual([
      { status: 'failed', trigger: 'api' },
      { status: 'cancelled', trigger: 'retry' },
    ]);
  }, 60_000);
});
