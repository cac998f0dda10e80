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

// A real-time segment in the console, in Debian's Chromium against the real API: chosen in the
// builder (and refused, with the field and the reason, when its definition cannot be real time),
// then its page's live feed. The entries and exits are committed into the database as the
// real-time evaluator commits them (a change with cause 'realtime' and no run, and the membership,
// in one transaction); the page must show them and its size move without a reload. No worker runs:
// the feed is what is tested, and nothing else may add changes meanwhile.
describe('a real-time segment in the console', () => {
  let db: TestDatabase;
  let api: StartedProcess;
  let browser: Browser;
  let page: Page;
  let marketerKey: string;

  const shot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });

  /** An entry or exit as the real-time evaluator commits it. */
  async function realtimeChange(segmentId: string, profileId: string, change: 'added' | 'removed'): Promise<void> {
    await db.dataSource.transaction(async (manager) => {
      await manager.query(
        `INSERT INTO segment_membership_changes (segment_id, profile_id, change, cause, run_id, version, changed_at)
         VALUES ($1, $2, $3, 'realtime', NULL, 1, clock_timestamp())`,
        [segmentId, profileId, change],
      );
      if (change === 'added')
        await manager.query(`INSERT INTO segment_memberships (segment_id, profile_id, entered_at, run_id) VALUES ($1, $2, now(), NULL)`, [
          segmentId,
          profileId,
        ]);
      else await manager.query(`DELETE FROM segment_memberships WHERE segment_id = $1 AND profile_id = $2`, [segmentId, profileId]);
    });
  }

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    db = await createTestDatabase();
    marketerKey = (await new ApiKeyService(db.dataSource).create('console realtime e2e', 'marketer')).secret;
    api = startApi(db.url);
    const apiUrl = await api.ready;
    // A segment refreshed by hand: a real-time segment may not refer to it.
    const created = await fetch(`${apiUrl}/segments`, {
      method: 'POST',
      headers: { authorization: `Bearer ${marketerKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        key: 'germany',
        name: 'Germany',
        owner: 'crm',
        definition: { type: 'rules', match: { type: 'trait', trait: 'country', operator: 'equals', value: 'DE' } },
      }),
    });
    expect(created.status).toBe(201);
    browser = await launchBrowser();
    page = browser.page;
    await signIn(page, apiUrl, marketerKey);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stopProcess(api?.child);
    await db?.drop();
  });

  it('chooses real time in the builder; a definition that cannot be real time is refused with its field and reason', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Builder' }).click();
    await page.getByLabel('Key', { exact: true }).fill('cart-now');
    await page.getByLabel('Name', { exact: true }).fill('Carts right now');
    await page.getByLabel('Owner', { exact: true }).fill('crm');
    const cadence = page.getByRole('group', { name: 'Cadence' });
    await cadence.getByLabel('Real time').check();
    expect(await textOf(cadence)).toContain(
      'only rules can be real time, not RFM tiers, fitted models or references to segments that are not real time',
    );

    const condition = page.getByRole('listitem', { name: 'Condition 1.1' });
    await condition.getByLabel('Kind', { exact: true }).selectOption('segment');
    await condition.getByLabel('Segment key (1.1)').fill('germany');
    await page.getByRole('button', { name: 'Save segment' }).click();
    const refusal = page.getByRole('alert');
    await visible(refusal);
    expect(await textOf(refusal)).toMatch(/match[^:]*: refers to segment "germany", which is not real time/);
    await shot('realtime-01-refused');

    await condition.getByLabel('Kind', { exact: true }).selectOption('event');
    await condition.getByLabel('Event (1.1)').fill('Product Added');
    await page.getByRole('button', { name: 'Save segment' }).click();
    await visible(page.getByRole('heading', { name: 'Carts right now', level: 1 }));
    const [saved] = await db.dataSource.query(`SELECT refresh_cadence FROM segments WHERE key = 'cart-now'`);
    expect(saved.refresh_cadence).toBe('realtime');
  }, 60_000);

  it("shows the segment's entries and exits as real time commits them, and its size moving, without a reload", async () => {
    const [{ id: segmentId }] = await db.dataSource.query(`SELECT id FROM segments WHERE key = 'cart-now'`);
    expect(await textOf(page.getByRole('heading', { name: 'Documentation' }).locator('..').locator('dl'))).toContain('Cadence real time');
    const size = page.getByRole('status', { name: 'Current size' });
    await eventually(async () => expect(await textOf(size)).toBe('0 members now'));
    await page.evaluate('window.notReloaded = true');

    const shoppers: string[] = [];
    for (let index = 0; index < 3; index++) {
      const [{ id }] = await db.dataSource.query(`INSERT INTO profiles (traits) VALUES ('{}') RETURNING id`);
      shoppers.push(id);
      await realtimeChange(segmentId, id, 'added');
    }
    const feed = page.getByRole('table', { name: 'Recent entries and exits' });
    await eventually(async () => expect(await textOf(size)).toBe('3 members now'));
    await eventually(async () => expect(await feed.locator('tbody tr').count()).toBe(3));
    const rows = async () => (await feed.locator('tbody tr').allInnerTexts()).map((row) => row.replace(/\s+/g, ' ').trim());
    // Newest first: the last shopper to enter is on top.
    expect((await rows()).map((row) => row.replace(/^.*? (\S{36}) /, '$1 '))).toEqual(
      [...shoppers].reverse().map((id) => `${id} entered real time`),
    );

    await realtimeChange(segmentId, shoppers[0], 'removed');
    await eventually(async () => expect(await textOf(size)).toBe('2 members now'));
    await eventually(async () => expect((await rows())[0]).toMatch(new RegExp(`${shoppers[0]} exited real time$`)));
    expect(await feed.locator('tbody tr').count()).toBe(4);
    expect(await page.evaluate('window.notReloaded')).toBe(true);
    await shot('realtime-02-feed');
  }, 60_000);
});
