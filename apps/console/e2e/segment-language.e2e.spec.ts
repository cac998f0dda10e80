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

// Issue #20 in the console, by clicking, against the real API on a real database: a sequence
// segment and a context + geography segment built in the builder (a bad duration's 400 shown next
// to its field first), each saved and its stored definition read back from the API; a computed
// trait created after previewing its distribution; a SQL trait's syntax error shown at its line
// and column, then a preview's rows; and a viewer's key sees computed traits read-only.
describe('the richer segment language in a real browser', () => {
  let db: TestDatabase;
  let api: StartedProcess;
  let apiUrl: string;
  let browser: Browser;
  let page: Page;
  let adminKey: string;
  let viewerKey: string;

  const shot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
  const get = async (route: string) => {
    const response = await fetch(`${apiUrl}${route}`, { headers: { authorization: `Bearer ${adminKey}` } });
    expect(response.status).toBe(200);
    return response.json() as Promise<Record<string, unknown>>;
  };
  const savedDefinition = async () => (await get(`/segments/${new URL(page.url()).hash.replace('#/segments/', '')}`)).definition;
  const previewSize = () => textOf(page.getByRole('status', { name: 'Preview size' }));

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    db = await createTestDatabase();
    const insertEvent = (
      profileId: string,
      messageId: string,
      fields: { type?: string; name: string | null; daysAgo: number; properties?: object; context?: object },
    ) =>
      db.dataSource.query(
        `INSERT INTO events (message_id, profile_id, type, name, timestamp, properties, context)
         VALUES ($1, $2, $3, $4, now() - make_interval(days => $5), $6, $7)`,
        [messageId, profileId, fields.type ?? 'track', fields.name, fields.daysAgo, fields.properties ?? {}, fields.context ?? null],
      );
    const profiles: string[] = [];
    for (let index = 0; index < 4; index++) {
      const [{ id }] = await db.dataSource.query(`INSERT INTO profiles (traits) VALUES ('{}') RETURNING id`);
      profiles.push(id);
      // Orders of 100, 200, 300 and 400: the computed trait's distribution.
      await insertEvent(id, `order-${index}`, { name: 'Order Completed', daysAgo: 10, properties: { revenue: 100 * (index + 1) } });
    }
    const [first, second] = profiles;
    // The first viewed pricing, then requested a demo two days later; the second did it the other way round.
    await insertEvent(first, 'seq-1a', { name: 'Pricing Viewed', daysAgo: 5 });
    await insertEvent(first, 'seq-1b', { name: 'Demo Requested', daysAgo: 3 });
    await insertEvent(second, 'seq-2a', { name: 'Demo Requested', daysAgo: 5 });
    await insertEvent(second, 'seq-2b', { name: 'Pricing Viewed', daysAgo: 3 });
    // Pages: the first on a pricing page in Berlin; the second on the blog in Munich.
    await insertEvent(first, 'page-1', {
      type: 'page',
      name: null,
      daysAgo: 1,
      context: { page: { path: '/pricing/teams' }, location: { country: 'DE', city: 'Berlin', latitude: 52.52, longitude: 13.405 } },
    });
    await insertEvent(second, 'page-2', {
      type: 'page',
      name: null,
      daysAgo: 1,
      context: { page: { path: '/blog' }, location: { country: 'DE', city: 'Munich', latitude: 48.137, longitude: 11.575 } },
    });
    const keys = new ApiKeyService(db.dataSource);
    adminKey = (await keys.create('segment language e2e', 'admin')).secret;
    viewerKey = (await keys.create('segment language e2e viewer', 'viewer')).secret;
    api = startApi(db.url);
    apiUrl = await api.ready;
    browser = await launchBrowser();
    page = browser.page;
    await signIn(page, apiUrl, adminKey);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stopProcess(api?.child);
    await db?.drop();
  });

  const openBuilder = async (key: string, name: string) => {
    await page.goto(`${apiUrl}/console/#/builder`);
    await visible(page.getByRole('heading', { name: 'New rules segment' }));
    await page.getByLabel('Key', { exact: true }).fill(key);
    await page.getByLabel('Name', { exact: true }).fill(name);
    await page.getByLabel('Owner', { exact: true }).fill('growth');
  };
  const save = async (name: string) => {
    await page.getByRole('button', { name: 'Save segment' }).click();
    await visible(page.getByRole('heading', { name, level: 1 }));
  };

  it('builds a sequence, shows a bad duration’s 400 next to its field, and saves the definition', async () => {
    await openBuilder('pricing-then-demo', 'Pricing, then a demo');
    const condition = page.getByRole('listitem', { name: 'Condition 1.1' });
    await condition.getByLabel('Kind', { exact: true }).selectOption('sequence');
    await condition.getByLabel('Event (1.1 step 1)').fill('Pricing Viewed');
    await condition.getByLabel('Event (1.1 step 2)').fill('Demo Requested');
    const within = condition.getByLabel('All steps within (1.1)');
    await within.fill('7 dayz');
    // The live preview's 400 names definition.match.conditions.0.within: shown under that field.
    const problem = condition.getByRole('note', { name: 'Problem with definition.match.conditions.0.within' });
    await eventually(async () => expect(await textOf(problem)).toContain('does not parse'), 15_000);
    await within.fill('7 days');
    await eventually(async () => expect(await previewSize()).toBe('1 profiles match'), 15_000);
    expect(await problem.count()).toBe(0);
    await shot('segment-language-01-sequence');
    await save('Pricing, then a demo');
    expect(await textOf(page.getByRole('list', { name: 'Definition' }))).toContain(
      'did “Pricing Viewed”, then “Demo Requested”, all within 7 days, in the last 30 days',
    );
    expect(await savedDefinition()).toEqual({
      type: 'rules',
      match: {
        type: 'all',
        conditions: [
          { type: 'sequence', steps: [{ event: 'Pricing Viewed' }, { event: 'Demo Requested' }], within: '7 days', window: 'last 30 days' },
        ],
      },
    });
    // Opened again for a new version, the builder shows the sequence as saved.
    await page.goto(page.url().replace('#/segments/', '#/builder/'));
    const edited = page.getByRole('listitem', { name: 'Condition 1.1' });
    expect(await edited.getByLabel('Event (1.1 step 2)').inputValue()).toBe('Demo Requested');
    expect(await edited.getByLabel('All steps within (1.1)').inputValue()).toBe('7 days');
  });

  it('builds an "any page" context filter and a last-known-location condition near a point, and saves them', async () => {
    await openBuilder('berlin-pricing', 'Berlin pricing visitors');
    const pageCondition = page.getByRole('listitem', { name: 'Condition 1.1' });
    await pageCondition.getByLabel('Message type (1.1)').selectOption('page');
    await pageCondition.getByRole('button', { name: 'Add property filter (1.1)' }).click();
    await pageCondition.getByLabel('Filter on (1.1 where 1)').selectOption('context');
    await pageCondition.getByLabel('Context path (1.1 where 1)').fill('page.path');
    await pageCondition.getByLabel('Operator (1.1 where 1)').selectOption('starts_with');
    await pageCondition.getByLabel('Value (1.1 where 1)').fill('/pricing');
    await pageCondition.getByLabel('Window (1.1): how many').fill('30');

    await page.getByRole('button', { name: 'Add condition' }).click();
    const located = page.getByRole('listitem', { name: 'Condition 1.2' });
    await located.getByLabel('Kind', { exact: true }).selectOption('location');
    await located.getByLabel('Countries (1.2)').fill('DE, AT');
    await located.getByLabel('near a point (1.2)').check();
    await located.getByLabel('Latitude (1.2)').fill('52.5');
    await located.getByLabel('Longitude (1.2)').fill('13.4');
    await located.getByLabel('Within km (1.2)').fill('25');
    // Both page visitors are in Germany; only the Berlin one viewed pricing and is within 25 km.
    await eventually(async () => expect(await previewSize()).toBe('1 profiles match'), 15_000);
    await shot('segment-language-02-context-geo');
    await save('Berlin pricing visitors');
    const lines = await textOf(page.getByRole('list', { name: 'Definition' }));
    expect(lines).toContain('did any page where context page.path starts with “/pricing” in the last 30 days');
    expect(lines).toContain('last known location: country is one of “DE” and “AT”, within 25 km of 52.5, 13.4');
    expect(await savedDefinition()).toEqual({
      type: 'rules',
      match: {
        type: 'all',
        conditions: [
          {
            type: 'event',
            messageType: 'page',
            window: 'last 30 days',
            where: [{ context: 'page.path', operator: 'starts_with', value: '/pricing' }],
          },
          { type: 'location', country: ['DE', 'AT'], near: { latitude: 52.5, longitude: 13.4, km: 25 } },
        ],
      },
    });
  });

  it('previews a computed trait’s distribution (min, max, mean, histogram) and then creates it', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Computed traits' }).click();
    await visible(page.getByRole('heading', { name: 'New computed trait' }));
    await page.getByLabel('Trait key').fill('spend_90d');
    await page.getByLabel('Trait owner').fill('growth');
    await page.getByLabel('Function').selectOption('sum');
    await page.getByLabel('Of event').fill('Order Completed');
    await page.getByLabel('Property', { exact: true }).fill('revenue');
    await page.getByRole('button', { name: 'Preview distribution' }).click();
    const distribution = page.getByRole('region', { name: 'Distribution' });
    await eventually(async () =>
      expect(await textOf(distribution.getByRole('status'))).toBe('4 of 4 live profiles get a value (0 without)'),
    );
    expect(await textOf(page.getByLabel('Numeric summary'))).toMatch(/min 100\.00 max 400\.00 mean 250\.00/);
    const histogram = await distribution.getByRole('img').getAttribute('aria-label');
    expect(histogram).toMatch(/^Histogram of the values: profiles per bucket \(100\.00–130\.00: 1;/);
    expect(histogram).toMatch(/370\.00–400\.00: 1\)$/);
    await shot('segment-language-03-computed-trait-preview');
    await page.getByRole('button', { name: 'Save trait' }).click();
    await visible(page.getByRole('heading', { name: 'spend_90d', level: 1 }));
    expect(await get('/computed-traits/spend_90d')).toMatchObject({
      key: 'spend_90d',
      owner: 'growth',
      cadence: 'manual',
      version: 1,
      definition: { function: 'sum', event: 'Order Completed', property: 'revenue', window: 'last 90 days' },
    });
  });

  it('runs the computed trait and builds a segment on it with a computed trait condition', async () => {
    await page.getByRole('button', { name: 'Run now' }).click();
    await eventually(async () => expect(await textOf(page.getByRole('status'))).toMatch(/^Ran version 1: 4 profiles with a value/));
    await openBuilder('big-spenders', 'Big spenders');
    const condition = page.getByRole('listitem', { name: 'Condition 1.1' });
    await condition.getByLabel('Kind', { exact: true }).selectOption('computed_trait');
    await condition.getByLabel('Computed trait (1.1)').fill('spend_90d');
    await condition.getByLabel('Operator (1.1)').selectOption('gte');
    await condition.getByLabel('Value (1.1)').fill('250');
    await eventually(async () => expect(await previewSize()).toBe('2 profiles match'), 15_000);
    await save('Big spenders');
    expect(await textOf(page.getByRole('list', { name: 'Definition' }))).toContain('computed trait spend_90d ≥ 250');
    expect(await savedDefinition()).toEqual({
      type: 'rules',
      match: { type: 'all', conditions: [{ type: 'computed_trait', key: 'spend_90d', operator: 'gte', value: 250 }] },
    });
    // While a live segment reads it, deleting the trait is refused with the API's reason.
    await page.goto(`${apiUrl}/console/#/computed-traits/spend_90d`);
    await page.getByRole('button', { name: 'Delete trait' }).click();
    await eventually(async () =>
      expect(await textOf(page.getByRole('alert'))).toBe(
        'live segments read spend_90d: big-spenders; change or delete them first (segments: segment big-spenders reads spend_90d)',
      ),
    );
    expect((await get('/computed-traits/spend_90d')).key).toBe('spend_90d');
    // A new version: the window changed (previewed first: the orders are 10 days old) and the cadence now real time.
    const change = page.getByRole('form', { name: 'Change the trait' });
    await change.getByLabel('Trait window: how many').fill('7');
    await change.getByLabel('Real time').check();
    await change.getByRole('button', { name: 'Preview distribution' }).click();
    await eventually(async () => expect(await textOf(change.getByRole('status'))).toBe('0 of 4 live profiles get a value (4 without)'));
    await change.getByRole('button', { name: 'Save changes' }).click();
    await eventually(async () =>
      expect(await get('/computed-traits/spend_90d')).toMatchObject({
        version: 2,
        cadence: 'realtime',
        definition: { function: 'sum', event: 'Order Completed', property: 'revenue', window: 'last 7 days' },
      }),
    );
  });

  it('shows a SQL trait’s syntax error at its line and column, then previews rows, count and column types', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'SQL traits' }).click();
    const editor = page.getByLabel('SELECT', { exact: true });
    await editor.fill('SELECT id AS profile_id,\n  FROM profiles');
    await page.getByRole('button', { name: 'Preview SQL' }).click();
    const problem = page.getByRole('alert', { name: 'SQL problem' });
    await eventually(async () => expect(await textOf(problem)).toMatch(/^sql_syntax_error: syntax error at line 2, column 3/));
    expect(await page.getByLabel('At line 2, column 3').innerText()).toBe('  FROM profiles\n  ^');
    await shot('segment-language-04-sql-error');
    await editor.fill(`SELECT id AS profile_id, 'gold' AS tier FROM profiles`);
    await page.getByRole('button', { name: 'Preview SQL' }).click();
    const preview = page.getByRole('region', { name: 'SQL preview' });
    await eventually(async () =>
      expect(await textOf(preview.getByRole('status'))).toBe('4 rows; key column profile_id resolves 4 profiles (0 unknown); traits: tier'),
    );
    expect(await textOf(preview.getByRole('columnheader').nth(1))).toBe('tier text');
    expect(await problem.count()).toBe(0);
    // Saved and run: its column becomes the trait `tier` of every profile.
    await page.getByLabel('SQL trait key').fill('tiers');
    await page.getByLabel('SQL trait owner').fill('data');
    await page.getByRole('button', { name: 'Save SQL trait' }).click();
    await visible(page.getByText('Saved tiers (v1): traits tier'));
    await page.getByRole('button', { name: 'Run tiers' }).click();
    await visible(page.getByText('tiers v1: 4 rows, 4 profiles, 4 values stored, 0 removed'));
    const [{ count }] = await db.dataSource.query(
      `SELECT count(*)::int AS count FROM computed_trait_values WHERE key = 'tier' AND value = '"gold"'::jsonb AND source_kind = 'sql'`,
    );
    expect(count).toBe(4);
    // Edited: a changed SELECT is version 2.
    await page.getByRole('button', { name: 'Edit tiers' }).click();
    await visible(page.getByRole('heading', { name: 'Edit SQL trait tiers' }));
    await editor.fill(`SELECT id AS profile_id, 'silver' AS tier FROM profiles`);
    await page.getByRole('button', { name: 'Save changes' }).click();
    await visible(page.getByText('Saved tiers (v2): traits tier'));
    expect(await get('/sql-traits/tiers')).toMatchObject({ version: 2, sql: `SELECT id AS profile_id, 'silver' AS tier FROM profiles` });
  });

  it('shows computed traits read-only to a viewer', async () => {
    await page.evaluate(`sessionStorage.setItem('audiencekit.apiKey', ${JSON.stringify(viewerKey)})`);
    await page.goto(`${apiUrl}/console/#/computed-traits`);
    await page.reload();
    await visible(page.getByRole('link', { name: 'spend_90d' }));
    await visible(page.getByText('Read only: your key is a viewer’s.'));
    expect(await page.getByRole('heading', { name: 'New computed trait' }).count()).toBe(0);
  });
});
