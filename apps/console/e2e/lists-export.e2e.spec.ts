import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Page } from 'playwright-core';
import { ApiKeyService } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { ARTIFACTS, Browser, StartedProcess, eventually, launchBrowser, startApi, stopProcess, textOf, visible } from './browser-harness';

// A static list segment in Debian's Chromium against the real API (no worker): an admin uploads a
// CSV file on the segment's page and reads the report by line number; the refresh it queued shows
// in the runs; the member export downloads a CSV and is audited.
describe('list upload and member export in the console', () => {
  let db: TestDatabase;
  let api: StartedProcess;
  let browser: Browser;
  let page: Page;
  let segmentId: string;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    db = await createTestDatabase();
    const admin = await new ApiKeyService(db.dataSource).create('console lists e2e', 'admin');
    [{ id: segmentId }] = await db.dataSource.query(
      `INSERT INTO segments (key, name, owner, current_version) VALUES ('vip-list', 'VIP list', 'crm', 1) RETURNING id`,
    );
    await db.dataSource.query(`INSERT INTO segment_versions (segment_id, version, definition) VALUES ($1, 1, $2)`, [
      segmentId,
      { type: 'list', identifierType: 'email' },
    ]);
    const [profile] = await db.dataSource.query(`INSERT INTO profiles (traits) VALUES ('{}') RETURNING id`);
    await db.dataSource.query(`INSERT INTO identities (type, value, profile_id) VALUES ('email', 'ann@example.com', $1)`, [profile.id]);
    api = startApi(db.url);
    const apiUrl = await api.ready;
    browser = await launchBrowser();
    page = browser.page;
    await page.goto(`${apiUrl}/console/`);
    await page.getByLabel('API key').fill(admin.secret);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await visible(page.getByRole('heading', { name: 'Segments', level: 1 }));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stopProcess(api?.child);
    await db?.drop();
  });

  it('uploads a list and shows the report by line number; the queued refresh appears in the runs', async () => {
    await page.getByRole('link', { name: 'VIP list' }).click();
    await visible(page.getByRole('heading', { name: 'Upload the list' }));
    await page
      .getByLabel(/CSV file/)
      .setInputFiles({ name: 'vips.csv', mimeType: 'text/csv', buffer: Buffer.from('email\nAnn@Example.com\nnope\nbob@example.com\n') });
    await page.getByRole('button', { name: 'Upload' }).click();
    const report = page.getByRole('group', { name: 'Upload report' });
    await visible(report);
    expect(await textOf(report.getByRole('status'))).toBe('Version v2: 3 lines, 2 identifiers, 1 matched, 1 unmatched, 1 invalid');
    expect(await report.getByRole('list', { name: 'Lines not taken' }).getByRole('listitem').allInnerTexts()).toEqual([
      'line 3: invalid (not an email address): nope',
      'line 4: no profile has bob@example.com',
    ]);
    await visible(page.getByRole('table', { name: 'Refresh runs' }).locator('tr[data-status="queued"]'));
    await page.screenshot({ path: path.join(ARTIFACTS, 'lists-01-upload.png'), fullPage: true });
  }, 60_000);

  it('exports the members as a CSV download, audited', async () => {
    await db.dataSource.query(
      `INSERT INTO segment_memberships (segment_id, profile_id, entered_at, run_id) SELECT $1, profile_id, now(), NULL FROM identities WHERE value = 'ann@example.com'`,
      [segmentId],
    );
    const exportCard = page.getByRole('region', { name: 'Export members' });
    await exportCard.getByLabel('phone').check();
    await exportCard.getByRole('button', { name: 'Export CSV (admin)' }).click();
    await eventually(async () =>
      expect(await textOf(exportCard.getByRole('status'))).toMatch(/^Downloaded vip-list-members\.csv \(\d+ bytes\)$/),
    );
    const audit = await db.dataSource.query(`SELECT details FROM audit_log WHERE action = 'segment_members.exported' AND object_id = $1`, [
      segmentId,
    ]);
    expect(audit).toEqual([{ details: { identifiers: ['email', 'phone'], via: 'api' } }]);
  }, 60_000);
});
