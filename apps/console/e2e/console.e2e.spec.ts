import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Page } from 'playwright-core';
import { FakeVendorServer, startFakeVendor } from '@audiencekit/connector-sdk/testing';
import { ApiKeyService, SecretBox } from '@audiencekit/server-core';
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

// The marketer's flow of the admin API issue, done by clicking in Debian's Chromium against the
// real API (serving the built console at /console/) and the real worker, both spawned as `npm start`
// runs them, on this test file's own Postgres database. The webhook connector delivers to a local
// receiver. Screenshots go to apps/console/e2e/artifacts/.
const AUDIENCE = 60;

describe('the admin console in a real browser', () => {
  let db: TestDatabase;
  let receiver: FakeVendorServer;
  let api: StartedProcess;
  let worker: StartedProcess;
  let apiUrl: string;
  let browser: Browser;
  let page: Page;
  let adminKey: string;
  const cspViolations: string[] = []; // the API's Content-Security-Policy (helmet) must let the console and /docs run

  const shot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    receiver = await startFakeVendor({ routes: { 'POST /hook': () => ({ status: 200, body: { ok: true } }) } });
    db = await createTestDatabase();
    for (let index = 0; index < AUDIENCE; index++) {
      const email = `shopper${index}@example.com`;
      const [{ id }] = await db.dataSource.query(`INSERT INTO profiles (traits) VALUES ($1) RETURNING id`, [{ email }]);
      await db.dataSource.query(`INSERT INTO identities (type, value, profile_id) VALUES ('email', $1, $2)`, [email, id]);
      await db.dataSource.query(
        `INSERT INTO events (message_id, profile_id, type, name, timestamp, properties) VALUES ($1, $2, 'track', 'Product Added', now() - interval '2 days', '{}')`,
        [`seed-${index}`, id],
      );
    }
    adminKey = (await new ApiKeyService(db.dataSource).create('console e2e', 'admin')).secret;
    const env = {
      DATABASE_URL: db.url,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      AK_SECRETS_KEYS: SecretBox.generateKey('e2e1'),
      AK_WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
    };
    api = startProcess('apps/api/src/main.ts', env, /listening on (\S+)/);
    apiUrl = await api.ready;
    worker = startProcess('apps/worker/src/main.ts', env, /audiencekit-worker up/);
    await worker.ready;
    browser = await launchBrowser();
    page = browser.page;
    page.on('console', (message) => /Content Security Policy/i.test(message.text()) && cspViolations.push(message.text()));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stopProcess(worker?.child);
    await stopProcess(api?.child);
    await db?.drop();
    await receiver?.stop();
  });

  it('signs in, builds the cart abandoner, activates it with a 10% holdout, syncs and reads the lift', async () => {
    // Sign in: the key goes to sessionStorage, never into the URL.
    await signIn(page, apiUrl, adminKey);
    expect(page.url()).not.toContain(adminKey);
    expect(await page.evaluate("sessionStorage.getItem('audiencekit.apiKey')")).toBe(adminKey);

    // Builder: "added to cart in the last 7 days and did not order in the last 7 days".
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Builder' }).click();
    await page.getByLabel('Key', { exact: true }).fill('cart-abandoner');
    await page.getByLabel('Name', { exact: true }).fill('Cart abandoner');
    await page.getByLabel('Owner', { exact: true }).fill('crm');
    await page.getByLabel('KPI event').fill('Order Completed');
    await page.getByLabel('Event (1.1)').fill('Product Added');
    await page.getByRole('button', { name: 'Add condition' }).click();
    const second = page.getByRole('listitem', { name: 'Condition 1.2' });
    await second.getByLabel('Event (1.2)').fill('Order Completed');
    await second.getByLabel('Times').selectOption('exactly');
    await second.getByLabel('Count').fill('0');
    await eventually(
      async () => expect(await textOf(page.getByRole('status', { name: 'Preview size' }))).toBe(`${AUDIENCE} profiles match`),
      15_000,
    );
    await shot('01-builder');
    await page.getByRole('button', { name: 'Save segment' }).click();

    // Segment page: documentation card, then a refresh run by the worker.
    await visible(page.getByRole('heading', { name: 'Cart abandoner', level: 1 }));
    expect(await textOf(page.getByRole('list', { name: 'Definition' }).first())).toContain(
      'did not do “Order Completed” in the last 7 days',
    );
    await page.getByRole('button', { name: 'Refresh now' }).click();
    const succeededRun = page.getByRole('table', { name: 'Refresh runs' }).locator('tr[data-status="succeeded"]');
    await visible(succeededRun, 30_000);
    expect(await textOf(succeededRun)).toContain(`+${AUDIENCE}`);
    await shot('02-segment');

    // Activations: a webhook destination pointed at the local receiver, then a 10% holdout activation.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Activations' }).click();
    await page.getByLabel('Destination name').fill('CRM webhook');
    await page.getByLabel('Connector').selectOption('webhook');
    await page.getByLabel('Setting url').fill(`${receiver.url}/hook`);
    await page.getByLabel('Secret signingSecret').fill('whsec_console_e2e_0123456789');
    await page.getByRole('button', { name: 'Create destination' }).click();
    await visible(page.getByText('Destination “CRM webhook” created'));
    await page.getByLabel('Activation name').fill('Win back carts');
    await page.getByLabel('Segment', { exact: true }).selectOption({ label: 'Cart abandoner' });
    await page.getByLabel('Destination', { exact: true }).selectOption({ label: 'CRM webhook (webhook)' });
    expect(await page.getByLabel('Holdout (% kept as control)').inputValue()).toBe('10');
    await shot('03-activations');
    await page.getByRole('button', { name: 'Create activation' }).click();

    // Sync now, watched live until the worker finishes it.
    await visible(page.getByRole('heading', { name: 'Win back carts', level: 1 }));
    await page.getByRole('button', { name: 'Sync now' }).click();
    const run = page.locator('section[aria-label^="Sync run"]');
    await visible(page.locator('section[aria-label^="Sync run"][data-status="succeeded"]'), 45_000);
    const counts = run.getByRole('table', { name: 'Counts per stage' });
    expect(await textOf(counts.getByRole('row', { name: /Considered/ }))).toBe(`Considered ${AUDIENCE}`);
    await shot('04-sync-run');

    // The receiver got the treated members only; the rest are the control arm.
    const delivered = receiver
      .requestsTo('POST /hook')
      .flatMap((request) => (request.body as { members?: { profileId: string }[] }).members ?? []);
    const arms: { profile_id: string; arm: string }[] = await db.dataSource.query(`SELECT profile_id, arm FROM activation_exposures`);
    const treated = arms.filter((row) => row.arm === 'treatment').map((row) => row.profile_id);
    expect(arms).toHaveLength(AUDIENCE);
    expect(new Set(delivered.map((member) => member.profileId))).toEqual(new Set(treated));
    expect(await textOf(counts.getByRole('row', { name: /Held out \(activation\)/ }))).toBe(
      `Held out (activation) ${AUDIENCE - treated.length}`,
    );

    // A third of the treated members buy after exposure; the lift report shows it per arm.
    const buyers = treated.filter((_, index) => index % 3 === 0);
    for (const [index, buyer] of buyers.entries()) {
      await db.dataSource.query(
        `INSERT INTO events (message_id, profile_id, type, name, timestamp, properties)
         SELECT $1, $2, 'track', 'Order Completed', min(exposed_at) + interval '1 millisecond', '{"revenue": 30}' FROM activation_exposures WHERE profile_id = $2`,
        [`buy-${index}`, buyer],
      );
    }
    await page.getByRole('button', { name: 'Refresh report' }).click();
    const armsTable = page.getByRole('table', { name: 'Arms' });
    await eventually(
      async () =>
        expect(await textOf(armsTable.getByRole('row', { name: /treatment/ }))).toMatch(
          new RegExp(`^treatment ${treated.length} ${buyers.length} `),
        ),
      15_000,
    );
    await visible(page.getByRole('img', { name: /^Conversion: treatment/ }));
    await visible(page.getByLabel('no sample ratio mismatch'));
    await shot('05-lift');

    // The list shows the segment's size over runs; an edit in the builder is a new version with a diff.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Segments' }).click();
    const listRow = page.getByRole('row', { name: /Cart abandoner/ });
    await eventually(async () => expect(await textOf(listRow)).toMatch(/Cart abandoner cart-abandoner rules crm manual v1 60/));
    await visible(listRow.getByRole('img', { name: 'size of Cart abandoner over runs: 60' }));
    await shot('06-segments');
    await listRow.getByRole('link', { name: 'Cart abandoner' }).click();
    await page.getByRole('link', { name: 'Edit in builder' }).click();
    await page.getByLabel('Window (1.2): how many').fill('14');
    await page.getByRole('button', { name: 'Save new version' }).click();
    const diff = page.getByLabel('Changes from the previous version');
    await visible(diff);
    expect(await textOf(diff)).toContain(
      '− did not do “Order Completed” in the last 7 days + did not do “Order Completed” in the last 14 days',
    );
    await shot('07-version-diff');
  }, 180_000);

  it('Swagger UI at /docs starts under the Content-Security-Policy, and nothing the console or /docs loaded was refused by it', async () => {
    await page.goto(`${apiUrl}/docs`);
    await visible(page.locator('.swagger-ui .info .title'), 20_000);
    expect(await textOf(page.locator('.swagger-ui .info .title'))).toContain('audiencekit');
    expect(cspViolations).toEqual([]);
  }, 30_000);
});
