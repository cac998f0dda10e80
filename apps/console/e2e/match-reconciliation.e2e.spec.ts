import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Page } from 'playwright-core';
import { ApiKeyService } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { ARTIFACTS, Browser, StartedProcess, launchBrowser, startApi, stopProcess, visible } from './browser-harness';

// Match reconciliation (issue #22) in Debian's Chromium against the real API: an ads sync run
// shows what was sent beside what the vendor reported (received, invalid, audience size), the
// members held and the match rate, flagged when it dropped (warning match_rate_dropped).
describe('match reconciliation in the console run view', () => {
  let db: TestDatabase;
  let api: StartedProcess;
  let browser: Browser;
  let page: Page;
  let syncRunId: string;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    db = await createTestDatabase();
    const marketer = await new ApiKeyService(db.dataSource).create('console match e2e', 'marketer');
    const [{ id: segmentId }] = await db.dataSource.query(
      `INSERT INTO segments (key, name, owner, current_version) VALUES ('buyers', 'Buyers', 'crm', 1) RETURNING id`,
    );
    await db.dataSource.query(`INSERT INTO segment_versions (segment_id, version, definition) VALUES ($1, 1, $2)`, [
      segmentId,
      { type: 'rules', match: { type: 'trait', trait: 'country', operator: 'equals', value: 'DE' } },
    ]);
    const [destination] = await db.dataSource.query(
      `INSERT INTO destinations (name, connector, settings) VALUES ('Meta', 'meta-ads', '{"adAccountId": "1234567890"}') RETURNING id`,
    );
    const [{ id: activationId }] = await db.dataSource.query(
      `INSERT INTO activations (name, segment_id, destination_id, mode, holdout_share, holdout_salt, schedule)
       VALUES ('Buyers to Meta', $1, $2, 'mirror', 0, 'salt', 'manual') RETURNING id`,
      [segmentId, destination.id],
    );
    [{ id: syncRunId }] = await db.dataSource.query(
      `INSERT INTO sync_runs (activation_id, segment_version, status, trigger, finished_at, counts, match_rate, errors)
       VALUES ($1, 1, 'succeeded', 'api', now(), $2, 0.7368, $3) RETURNING id`,
      [
        activationId,
        { considered: 12, added: 10, rejected: 2, vendorReceived: 12, vendorInvalid: 2, audienceSize: 28, heldAtVendor: 38 },
        JSON.stringify([{ kind: 'warning', code: 'match_rate_dropped', message: 'match rate dropped to 73.7% from 100%' }]),
      ],
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

  it('shows sent, vendor received, invalid, audience size, held and the dropped match rate', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Activations' }).click();
    await page.getByRole('link', { name: 'Buyers to Meta' }).click();
    await visible(page.getByRole('heading', { name: 'Buyers to Meta', level: 1 }));
    await page.getByRole('table').filter({ hasText: 'succeeded' }).getByRole('button', { name: 'Details' }).first().click();
    const run = page.getByRole('region', { name: `Sync run ${syncRunId}` });
    const table = run.getByRole('table', { name: 'Match reconciliation' });
    await visible(table);
    expect((await table.getByRole('row').allInnerTexts()).map((row) => row.replace(/\s+/g, ' ').trim())).toEqual([
      'Sent 10',
      'Received by the vendor 12',
      'Invalid (vendor) 2',
      'Audience size (vendor) 28',
      'Held at the vendor 38',
      'Match rate 73.7% dropped',
    ]);
    // The reconciled counts are not listed again among the other counts.
    expect(await run.getByRole('table', { name: 'Counts per stage' }).innerText()).not.toContain('vendorReceived');
    await page.screenshot({ path: path.join(ARTIFACTS, 'match-reconciliation-01-run.png'), fullPage: true });
  }, 60_000);
});
