import { mkdirSync } from 'node:fs';
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

// The profile page in Debian's Chromium against the real API: data arrives through the tracking
// API, a viewer finds the person by email (typed in another case), sees identities (masked below
// admin), traits with their source, the segment she is in, explains it condition by condition,
// explains a segment she is not in, and filters her events. A bad identifier shows the API's
// field and reason.
describe('the profile page in the console', () => {
  let db: TestDatabase;
  let api: StartedProcess;
  let browser: Browser;
  let page: Page;
  let apiUrl: string;
  let profileId: string;

  const shot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });

  async function post(route: string, authorization: string, body: unknown): Promise<Response> {
    const response = await fetch(`${apiUrl}${route}`, {
      method: 'POST',
      headers: { authorization, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (response.status >= 300) throw new Error(`${route}: ${response.status} ${await response.text()}`);
    return response;
  }

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    db = await createTestDatabase();
    const keys = new ApiKeyService(db.dataSource);
    const viewerKey = (await keys.create('console profiles e2e', 'viewer')).secret;
    const marketer = `Bearer ${(await keys.create('console profiles e2e', 'marketer')).secret}`;
    const source = `Basic ${Buffer.from(`${(await keys.create('source', 'write', 'server')).secret}:`).toString('base64')}`;
    api = startApi(db.url, { AK_REALTIME: 'false' });
    apiUrl = await api.ready;
    const hoursAgo = (hours: number) => new Date(Date.now() - hours * 3_600_000).toISOString();
    await post('/v1/identify', source, {
      messageId: 'id-1',
      userId: 'u-ann',
      traits: { email: 'ann@example.com', plan: 'pro' },
      timestamp: hoursAgo(5),
    });
    for (const hours of [3, 2])
      await post('/v1/track', source, {
        messageId: `add-${hours}`,
        userId: 'u-ann',
        event: 'Product Added',
        properties: { sku: `sku-${hours}` },
        timestamp: hoursAgo(hours),
      });
    await post('/v1/track', source, { messageId: 'view-1', userId: 'u-ann', event: 'Page Viewed', timestamp: hoursAgo(1) });
    [{ profile_id: profileId }] = await db.dataSource.query(`SELECT profile_id FROM identities WHERE type = 'user_id' AND value = 'u-ann'`);
    const carts = (await (
      await post('/segments', marketer, {
        key: 'carts',
        name: 'Carts',
        owner: 'crm',
        definition: {
          type: 'rules',
          match: { type: 'event', event: 'Product Added', window: 'last 1 days', count: { operator: 'at_least', value: 2 } },
        },
      })
    ).json()) as { id: string };
    await post('/segments', marketer, {
      key: 'germany',
      name: 'Germany',
      owner: 'crm',
      definition: { type: 'rules', match: { type: 'trait', trait: 'country', operator: 'equals', value: 'DE' } },
    });
    // The entry as the real-time evaluator commits it (no worker runs here).
    await db.dataSource.query(
      `INSERT INTO segment_membership_changes (segment_id, profile_id, change, cause, run_id, version, changed_at) VALUES ($1, $2, 'added', 'realtime', NULL, 1, now())`,
      [carts.id, profileId],
    );
    await db.dataSource.query(`INSERT INTO segment_memberships (segment_id, profile_id, entered_at, run_id) VALUES ($1, $2, now(), NULL)`, [
      carts.id,
      profileId,
    ]);

    browser = await launchBrowser();
    page = browser.page;
    await signIn(page, apiUrl, viewerKey);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stopProcess(api?.child);
    await db?.drop();
  });

  it('refuses an identifier that is not one, with the field and the reason', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Profiles' }).click();
    await visible(page.getByRole('heading', { name: 'Profiles', level: 1 }));
    await page.getByLabel('Value', { exact: true }).fill('not-an-email');
    await page.getByRole('button', { name: 'Find profile' }).click();
    const alert = page.getByRole('alert');
    await visible(alert);
    expect(await textOf(alert)).toBe('query.email: is not an email address');
  }, 60_000);

  it('finds the person by email and shows identities (masked for a viewer), traits with their source and memberships', async () => {
    await page.getByLabel('Value', { exact: true }).fill(' ANN@Example.com ');
    await page.getByRole('button', { name: 'Find profile' }).click();
    await visible(page.getByRole('heading', { name: `Profile ${profileId}` }));
    const identities = await textOf(page.getByRole('table', { name: 'Identities' }));
    expect(identities).toContain('email a***@example.com');
    expect(identities).toContain('user_id u-ann');
    expect(identities).not.toContain('ann@example.com');
    const traits = await textOf(page.getByRole('table', { name: 'Traits' }));
    expect(traits).toMatch(/plan "pro" .+ identify id-1/);
    const segments = await textOf(page.getByRole('heading', { name: 'Segments', level: 3 }).locator('..'));
    expect(segments).toMatch(/Carts carts .+ real time v1/);
    await shot('profiles-01-profile');
  }, 60_000);

  it('explains the segment she is in, condition by condition, and one she is not in', async () => {
    await page.getByRole('button', { name: 'Explain carts' }).click();
    const carts = page.getByRole('region', { name: 'Explanation for carts' });
    await visible(carts);
    expect(await textOf(carts.getByRole('status'))).toMatch(/^Matches carts v1 now · in the stored membership · changes on its own at /);
    expect(await textOf(carts.locator('li').first())).toMatch(
      /^✓ did at least 2× “Product Added” in the last 1 days — 2 in window, last .+ · flips at /,
    );
    await shot('profiles-02-explain');

    await page.getByLabel('Segment to explain').selectOption('germany');
    const germany = page.getByRole('region', { name: 'Explanation for germany' });
    await visible(germany);
    expect(await textOf(germany.getByRole('status'))).toBe('Does not match germany v1 now · not in the stored membership');
    expect(await textOf(germany.locator('li').first())).toBe('✗ trait country is “DE” — value null');
  }, 60_000);

  it('lists her events newest first and filters them by name', async () => {
    const events = page.getByRole('table', { name: 'Events' });
    await eventually(async () => expect(await events.locator('tbody tr').count()).toBe(4));
    const names = async () => (await events.locator('tbody tr td:nth-child(3)').allInnerTexts()).map((text) => text.trim());
    expect(await names()).toEqual(['Page Viewed', 'Product Added', 'Product Added', '—']);
    await page.getByLabel('Event name').fill('Product Added');
    await eventually(async () => expect(await names()).toEqual(['Product Added', 'Product Added']));
    await shot('profiles-03-events');
  }, 60_000);
});
