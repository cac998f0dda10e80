import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Locator, Page } from 'playwright-core';
import { EXAMPLE_SEGMENTS } from '@audiencekit/segments-domain';
import { ApiKeyService } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import {
  ARTIFACTS,
  Browser,
  StartedProcess,
  eventually,
  launchBrowser,
  signIn,
  startProcess,
  stopProcess,
  textOf,
  visible,
} from './browser-harness';

// The builder expresses every rule the API accepts (issue #19): the seed's VIP (an aggregate over
// a property) and cart abandoner are built by clicking, with the catalogue's autocomplete offering
// event names and property keys, saved, and the saved definitions compared with EXAMPLE_SEGMENTS.
// A third segment uses the rest: a property filter (`where`), frequency, recency between and a
// trait condition without a value. The real API and worker (which folds the catalogue) run as `npm start` runs them.
const BUYERS = 12;

describe('the builder in a real browser', () => {
  let db: TestDatabase;
  let api: StartedProcess;
  let worker: StartedProcess;
  let apiUrl: string;
  let browser: Browser;
  let page: Page;
  let adminKey: string;

  const shot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
  /** The values the input's datalist offers now (the catalogue's autocomplete). */
  const suggestionsOf = (input: Locator) =>
    input.evaluate((element) =>
      Array.from((element as unknown as { list: { options: ArrayLike<{ value: string }> } | null }).list?.options ?? []).map(
        (option) => option.value,
      ),
    );
  /** The definition the API stored for the segment whose page is open (#/segments/<id>). */
  const savedDefinition = async () => {
    const id = new URL(page.url()).hash.replace('#/segments/', '');
    const response = await fetch(`${apiUrl}/segments/${id}`, { headers: { authorization: `Bearer ${adminKey}` } });
    return ((await response.json()) as { definition: unknown }).definition;
  };

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    db = await createTestDatabase();
    // Buyers with big orders (VIPs) and carts; three profiles per value so examples show.
    for (let index = 0; index < BUYERS; index++) {
      const [{ id }] = await db.dataSource.query(`INSERT INTO profiles (traits) VALUES ($1) RETURNING id`, [
        { plan: 'pro', age: 30 + index },
      ]);
      await db.dataSource.query(
        `INSERT INTO events (message_id, profile_id, type, name, timestamp, properties) VALUES
           ($1 || '-o', $2, 'track', 'Order Completed', now() - interval '10 days', '{"revenue": 1500, "currency": "EUR"}'),
           ($1 || '-a', $2, 'track', 'Product Added', now() - interval '1 day', '{"sku": "A-1", "category": "shoes"}'),
           ($1 || '-i', $2, 'identify', NULL, now() - interval '30 days', '{"plan": "pro"}')`,
        [`seed-${index}`, id],
      );
    }
    adminKey = (await new ApiKeyService(db.dataSource).create('builder e2e', 'admin')).secret;
    const env = { DATABASE_URL: db.url, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn' };
    api = startProcess('apps/api/src/main.ts', env, /listening on (\S+)/);
    apiUrl = await api.ready;
    worker = startProcess('apps/worker/src/main.ts', env, /audiencekit-worker up/);
    await worker.ready;
    // The worker folds the seeded events into the catalogue on its first tick.
    await eventually(async () => {
      const response = await fetch(`${apiUrl}/catalogue/events`, { headers: { authorization: `Bearer ${adminKey}` } });
      expect(((await response.json()) as { items: unknown[] }).items).toHaveLength(2);
    }, 30_000);
    browser = await launchBrowser();
    page = browser.page;
    await signIn(page, apiUrl, adminKey);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stopProcess(worker?.child);
    await stopProcess(api?.child);
    await db?.drop();
  });

  const openBuilder = async (key: string, name: string) => {
    await page.goto(`${apiUrl}/console/#/builder`);
    await visible(page.getByRole('heading', { name: 'New rules segment' }));
    await page.getByLabel('Key', { exact: true }).fill(key);
    await page.getByLabel('Name', { exact: true }).fill(name);
    await page.getByLabel('Owner', { exact: true }).fill('crm');
  };
  const save = async (name: string) => {
    await page.getByRole('button', { name: 'Save segment' }).click();
    await visible(page.getByRole('heading', { name, level: 1 }));
  };

  it('builds the VIP with the catalogue autocomplete (sum of revenue over ever, and a recent order) and saves the seed definition', async () => {
    await openBuilder('vip', 'VIP');
    await eventually(async () =>
      expect(await textOf(page.getByLabel('Catalogue freshness'))).toMatch(/^Suggestions include events received until /),
    );
    const first = page.getByRole('listitem', { name: 'Condition 1.1' });
    const event = first.getByLabel('Event (1.1)');
    await event.fill('Ord');
    await eventually(async () => expect(await suggestionsOf(event)).toEqual(['Order Completed']));
    await event.fill('Order Completed');
    await first.getByLabel('Measure (1.1)').selectOption('sum');
    const property = first.getByLabel('Of property (1.1)');
    await eventually(async () => expect((await suggestionsOf(property)).sort()).toEqual(['currency', 'revenue']));
    await property.fill('revenue');
    await first.getByLabel('Compared (1.1)').selectOption('gt');
    await first.getByLabel('Amount (1.1)').fill('1000');
    await first.getByLabel('Window (1.1): kind').selectOption('ever');

    await page.getByRole('button', { name: 'Add condition' }).click();
    const second = page.getByRole('listitem', { name: 'Condition 1.2' });
    await second.getByLabel('Event (1.2)').fill('Order Completed');
    await second.getByLabel('Window (1.2): how many').fill('90');
    await eventually(
      async () => expect(await textOf(page.getByRole('status', { name: 'Preview size' }))).toBe(`${BUYERS} profiles match`),
      15_000,
    );
    await shot('builder-01-vip');
    await save('VIP');
    expect(await textOf(page.getByRole('list', { name: 'Definition' }))).toContain('sum of revenue over “Order Completed” > 1000');
    expect(await savedDefinition()).toEqual(EXAMPLE_SEGMENTS.vip.definition);
  });

  it('builds the cart abandoner and saves the seed definition', async () => {
    await openBuilder('cart-abandoner', 'Cart abandoner');
    const first = page.getByRole('listitem', { name: 'Condition 1.1' });
    await first.getByLabel('Event (1.1)').fill('Product Added');
    await page.getByRole('button', { name: 'Add condition' }).click();
    const second = page.getByRole('listitem', { name: 'Condition 1.2' });
    await second.getByLabel('Event (1.2)').fill('Order Completed');
    await second.getByLabel('Times').selectOption('exactly');
    await second.getByLabel('Count').fill('0');
    await save('Cart abandoner');
    expect(await savedDefinition()).toEqual(EXAMPLE_SEGMENTS.cartAbandoner.definition);
  });

  it('expresses a property filter, frequency, recency between and a trait that is not set, with trait autocomplete', async () => {
    await openBuilder('shoe-fans', 'Shoe fans');
    const first = page.getByRole('listitem', { name: 'Condition 1.1' });
    await first.getByLabel('Event (1.1)').fill('Product Added');
    await first.getByRole('button', { name: 'Add property filter (1.1)' }).click();
    const filterProperty = first.getByLabel('Property (1.1 where 1)');
    await eventually(async () => expect((await suggestionsOf(filterProperty)).sort()).toEqual(['category', 'sku']));
    await filterProperty.fill('category');
    await first.getByLabel('Operator (1.1 where 1)').selectOption('in');
    await first.getByLabel('Value (1.1 where 1)').fill('shoes, boots');

    await page.getByRole('button', { name: 'Add condition' }).click();
    const second = page.getByRole('listitem', { name: 'Condition 1.2' });
    await second.getByLabel('Kind', { exact: true }).selectOption('frequency');
    await second.getByLabel('How often (1.2)').selectOption('at_most');
    await second.getByLabel('Events (1.2)').fill('5');
    await second.getByLabel('Window (1.2): how many').fill('30');

    await page.getByRole('button', { name: 'Add condition' }).click();
    const third = page.getByRole('listitem', { name: 'Condition 1.3' });
    await third.getByLabel('Kind', { exact: true }).selectOption('recency');
    await third.getByLabel('Last event (1.3, empty: any)').fill('Product Added');
    await third.getByLabel('Days since').selectOption('between');
    await third.getByLabel('Days', { exact: true }).fill('0, 7');

    await page.getByRole('button', { name: 'Add condition' }).click();
    const fourth = page.getByRole('listitem', { name: 'Condition 1.4' });
    await fourth.getByLabel('Kind', { exact: true }).selectOption('trait');
    const trait = fourth.getByLabel('Trait (1.4)');
    await trait.fill('pl');
    await eventually(async () => expect(await suggestionsOf(trait)).toEqual(['plan']));
    await trait.fill('plan');
    await fourth.getByLabel('Operator (1.4)').selectOption('not_exists');
    await eventually(async () => expect(await textOf(page.getByRole('status', { name: 'Preview size' }))).toBe('0 profiles match'), 15_000);
    await shot('builder-02-every-rule');
    await save('Shoe fans');
    expect(await savedDefinition()).toEqual({
      type: 'rules',
      match: {
        type: 'all',
        conditions: [
          {
            type: 'event',
            event: 'Product Added',
            window: 'last 7 days',
            where: [{ property: 'category', operator: 'in', value: ['shoes', 'boots'] }],
          },
          { type: 'frequency', window: 'last 30 days', operator: 'at_most', value: 5 },
          { type: 'recency', event: 'Product Added', operator: 'between', days: [0, 7] },
          { type: 'trait', trait: 'plan', operator: 'not_exists' },
        ],
      },
    });
  });
});
