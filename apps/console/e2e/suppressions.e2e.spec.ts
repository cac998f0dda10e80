import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Page } from 'playwright-core';
import { ApiKeyService } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import {
  ARTIFACTS,
  Browser,
  StartedProcess,
  eventually,
  launchBrowser,
  signIn,
  startApi,
  stopProcess,
  textOf,
  visible,
} from './browser-harness';

// The suppressions page and the consent settings in Debian's Chromium against the real API
// process and a real Postgres (issue #19): the API's 400s shown with the field they name, a CSV
// import's invalid lines by number, filters, lifting with a reason, the export download, and a
// destination made to require a consent category.
describe('suppressions and consent in the console', () => {
  let db: TestDatabase;
  let api: StartedProcess;
  let browser: Browser;
  let page: Page;
  let destinationId: string;
  const shot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
  const query = <T = any>(sql: string, params: unknown[] = []): Promise<T[]> => db.dataSource.query(sql, params);

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    db = await createTestDatabase();
    const adminKey = (await new ApiKeyService(db.dataSource).create('console privacy e2e', 'admin')).secret;
    [{ id: destinationId }] = await query(`INSERT INTO destinations (name, connector) VALUES ('Newsletter list', 'webhook') RETURNING id`);
    api = startApi(db.url);
    const apiUrl = await api.ready;
    browser = await launchBrowser();
    page = browser.page;
    await signIn(page, apiUrl, adminKey);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stopProcess(api?.child);
    await db?.drop();
  });

  it('defines a consent category (a bad key refused with its field) and makes a destination require it', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Consent' }).click();
    await visible(page.getByRole('heading', { name: 'Consent', level: 1 }));
    await page.getByLabel('Category key').fill('Email Marketing');
    await page.getByLabel('Category label').fill('Email marketing');
    await page.getByRole('button', { name: 'Save category' }).click();
    await visible(page.getByRole('alert'));
    expect(await textOf(page.getByRole('alert'))).toMatch(/^params\.key: must be 2 to 63 lower-case letters/);
    await page.getByLabel('Category key').fill('email_marketing');
    await page.getByRole('button', { name: 'Save category' }).click();
    await eventually(async () =>
      expect(await textOf(page.getByRole('table', { name: 'Consent categories' }))).toContain('email_marketing'),
    );

    const destination = page.getByRole('group', { name: 'Consent for Newsletter list' });
    await destination.getByLabel('Email marketing').check();
    await destination.getByRole('button', { name: 'Save' }).click();
    await eventually(async () => expect(await textOf(destination.getByRole('status'))).toBe('Requires email_marketing'));
    expect(await query(`SELECT category_key FROM destination_consent_categories WHERE destination_id = $1`, [destinationId])).toEqual([
      { category_key: 'email_marketing' },
    ]);
    // Required by a destination: deleting it is refused, with the API's reason.
    await page.getByRole('button', { name: 'Delete email_marketing' }).click();
    await eventually(async () => expect(await textOf(page.getByRole('alert'))).toContain('key: is required by a destination'));
    await shot('consent-01-settings');
  }, 60_000);

  it('adds a suppression (a bad address refused with its field), imports a CSV with its invalid lines, filters, lifts and exports', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Suppressions' }).click();
    await visible(page.getByRole('heading', { name: 'Suppressions', level: 1 }));
    const add = page.getByRole('form', { name: 'Add a suppression' });
    await add.getByLabel('Identifier').fill('not-an-email');
    await add.getByLabel('Reason').fill('asked at the till');
    await add.getByRole('button', { name: 'Suppress' }).click();
    await eventually(async () => expect(await textOf(add.getByRole('alert'))).toBe('value: must be an email address'));
    await add.getByLabel('Identifier').fill(' Ann@Example.com ');
    await add.getByRole('button', { name: 'Suppress' }).click();
    await eventually(async () => expect(await textOf(add.getByRole('status'))).toBe('Suppressed: ann@example.com on all'));

    const importForm = page.getByRole('form', { name: 'Import a CSV' });
    await importForm.getByLabel('CSV file').setInputFiles({
      name: 'stop-list.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(
        'identifier_type,identifier_value,channel,reason\nphone,+44 7911 123456,sms,STOP\nemail,broken,all,x\nemail,bob@example.com,,\n',
      ),
    });
    await importForm.getByRole('button', { name: 'Import' }).click();
    const report = importForm.getByRole('status', { name: 'Import report' });
    await eventually(async () => expect(await textOf(report)).toContain('3 lines: 2 added, 0 already suppressed, 1 invalid'));
    expect(await textOf(report.getByRole('list', { name: 'Invalid lines' }))).toBe('line 3: identifier_value must be an email address');

    const table = page.getByRole('table', { name: 'Suppressions' });
    const values = async () => (await table.locator('tbody tr td:first-child').allInnerTexts()).map((text) => text.trim());
    await eventually(async () => expect(await values()).toEqual(['bob@example.com', '+447911123456', 'ann@example.com']));
    await page.getByLabel('Channel', { exact: true }).selectOption('sms');
    await eventually(async () => expect(await values()).toEqual(['+447911123456']));
    await page.getByLabel('Channel', { exact: true }).selectOption('');
    await page.getByLabel('Reason contains').fill('till');
    await eventually(async () => expect(await values()).toEqual(['ann@example.com']));
    await page.getByLabel('Reason contains').fill('');
    await eventually(async () => expect(await values()).toHaveLength(3));
    await shot('suppressions-01-list');

    await page.getByLabel('Reason to lift bob@example.com on all').fill('re-subscribed');
    await table
      .getByRole('row', { name: /bob@example\.com/ })
      .getByRole('button', { name: 'Lift' })
      .click();
    await eventually(async () => expect(await values()).toEqual(['+447911123456', 'ann@example.com']));
    const [lifted] = await query(`SELECT details FROM audit_log WHERE action = 'suppression.removed'`);
    expect(lifted.details).toMatchObject({ value: 'bob@example.com', reason: 're-subscribed' });

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
    const lines = readFileSync(await download.path(), 'utf8')
      .trim()
      .split('\n');
    expect(lines[0]).toBe('identifier_type,identifier_value,channel,reason,created_at');
    expect(lines.slice(1).map((line) => line.split(',').slice(0, 2).join(','))).toEqual(['email,ann@example.com', 'phone,+447911123456']);
  }, 60_000);
});
