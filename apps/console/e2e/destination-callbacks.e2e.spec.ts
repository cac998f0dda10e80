import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Page } from 'playwright-core';
import { ApiKeyService } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { ARTIFACTS, Browser, StartedProcess, launchBrowser, signIn, startApi, stopProcess, textOf, visible } from './browser-harness';

// The destinations table shows the URLs to paste at the vendor (issue #22): SendGrid's Event
// Webhook and Twilio's incoming-message webhook, built from the API's AK_PUBLIC_BASE_URL, in
// Debian's Chromium against the real API process and a real Postgres.
describe('vendor callback URLs on the destinations table', () => {
  let db: TestDatabase;
  let api: StartedProcess;
  let browser: Browser;
  let page: Page;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    db = await createTestDatabase();
    const adminKey = (await new ApiKeyService(db.dataSource).create('console callbacks e2e', 'admin')).secret;
    for (const [name, connector] of [
      ['Mail', 'sendgrid-email'],
      ['Texts', 'twilio'],
      ['Hook', 'webhook'],
    ]) {
      const [row] = await db.dataSource.query(`INSERT INTO destinations (name, connector) VALUES ($1, $2) RETURNING id`, [name, connector]);
      ids[name] = row.id;
    }
    api = startApi(db.url, { AK_PUBLIC_BASE_URL: 'https://ak.example.com/' });
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

  it('shows the SendGrid and Twilio URLs with where they go, and nothing for other connectors', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Activations' }).click();
    const row = (name: string) => page.getByRole('row').filter({ has: page.getByRole('cell', { name, exact: true }) });
    await visible(row('Mail').getByText('Event Webhook'));
    expect(await textOf(row('Mail'))).toContain(`https://ak.example.com/v1/vendor-events/sendgrid-email/${ids['Mail']}`);
    await visible(row('Texts').getByText('Incoming messages'));
    const texts = await textOf(row('Texts'));
    expect(texts).toContain(`https://ak.example.com/v1/vendor-events/twilio/${ids['Texts']}/inbound`);
    expect(texts).toContain(`https://ak.example.com/v1/vendor-events/twilio/${ids['Texts']}/status`);
    expect(await textOf(row('Hook'))).not.toContain('vendor-events');
    await page.screenshot({ path: path.join(ARTIFACTS, 'destination-callback-urls.png'), fullPage: true });
  });
});
