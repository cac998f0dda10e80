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

// Journeys and plays (issue #23) in Debian's Chromium against the real API process and a real
// Postgres (no worker: the step counts are written into the step log as the journey worker does).
// A journey is built in the editor (a 400 shown under the step field it names, nothing stored),
// seen on the list, read on its page as a flow with counts per step, published, paused and saved as
// version 2; the plays page refuses an owned channel that cannot send, then creates the four plays
// and links each.
describe('journeys and plays in the console', () => {
  let db: TestDatabase;
  let api: StartedProcess;
  let apiUrl: string;
  let browser: Browser;
  let page: Page;
  let marketerKey: string;
  let viewerKey: string;
  const segments: Record<string, string> = {};
  const destinations: Record<string, string> = {};
  const shot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
  const query = <T = any>(sql: string, params: unknown[] = []): Promise<T[]> => db.dataSource.query(sql, params);
  const callApi = async (method: string, route: string, body?: unknown) => {
    const response = await fetch(`${apiUrl}${route}`, {
      method,
      headers: { authorization: `Bearer ${marketerKey}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as { id: string } };
  };

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    db = await createTestDatabase();
    marketerKey = (await new ApiKeyService(db.dataSource).create('console journeys e2e', 'marketer')).secret;
    viewerKey = (await new ApiKeyService(db.dataSource).create('console journeys e2e viewer', 'viewer')).secret;
    for (const [name, connector] of [
      ['Email', 'sendgrid-email'],
      ['SMS', 'twilio'],
      ['Meta audience', 'meta-ads'],
      ['Google paid media', 'google-ads'],
    ]) {
      const [row] = await query(`INSERT INTO destinations (name, connector, settings) VALUES ($1, $2, '{}') RETURNING id`, [
        name,
        connector,
      ]);
      destinations[name] = row.id;
    }
    api = startApi(db.url);
    apiUrl = await api.ready;
    const rules = (trait: string) => ({
      type: 'rules',
      match: { type: 'all', conditions: [{ type: 'trait', trait, operator: 'exists' }] },
    });
    for (const [key, name, trait] of [
      ['dormant', 'Dormant', 'last_order'],
      ['intent', 'High intent', 'cart'],
      ['value', 'High value', 'ltv'],
    ]) {
      const created = await callApi('POST', '/segments', { key, name, owner: 'crm', definition: rules(trait) });
      expect(created.status).toBe(201);
      segments[key] = created.body.id;
    }
    // The paid-media play adds its exclusion to the live activations of the paid-media destination.
    const prospecting = await callApi('POST', '/activations', {
      name: 'Prospecting',
      segmentId: segments['intent'],
      destinationId: destinations['Google paid media'],
      mode: 'mirror',
    });
    expect(prospecting.status).toBe(201);
    browser = await launchBrowser();
    page = browser.page;
    await signIn(page, apiUrl, marketerKey);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stopProcess(api?.child);
    await db?.drop();
  });

  const step = (n: number) => page.getByRole('group', { name: `Step ${n}`, exact: true });
  const addStep = async (type: string) => {
    await page.getByLabel('New step').selectOption({ label: type });
    await page.getByRole('button', { name: 'Add step' }).click();
  };

  it('builds a journey in the editor, refused first with the field the API names, then lists it', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Journeys' }).click();
    await visible(page.getByText('No journeys yet'));
    await page.getByRole('link', { name: 'New journey' }).click();
    await visible(page.getByRole('heading', { name: 'New journey', level: 1 }));
    await page.getByLabel('Key', { exact: true }).fill('win_back');
    await page.getByLabel('Name', { exact: true }).fill('Win back');
    await page.getByLabel('Entry segment').selectOption({ label: 'Dormant (dormant)' });
    await page.getByLabel('Goal event').fill('Order Completed');
    await page.getByLabel('Goal within (days of entry)').fill('14');
    await page.getByLabel('Control group (% held out at entry)').fill('10');

    await addStep('Send a message');
    await step(1).getByLabel('Destination').selectOption({ label: 'Email (sendgrid-email)' });
    await step(1).getByLabel('Subject (optional)').fill('10% off, just for you');
    await step(1).getByLabel('Message (optional)').fill('Come back for 10% off.');
    await addStep('Wait'); // its duration left empty: the API refuses it
    await addStep('Exit');
    await addStep('Send a message');
    await step(4).getByLabel('Destination').selectOption({ label: 'Email (sendgrid-email)' });
    await step(4).getByLabel('Subject (optional)').fill('20% off, last chance');
    await step(4).getByLabel('Message (optional)').fill('Come back for 20% off.');
    await step(3).getByRole('button', { name: 'Move step 3 down' }).click();
    await addStep('Branch');
    await step(5).getByRole('button', { name: 'Remove step 5' }).click();
    expect(await step(5).count()).toBe(0);
    expect(await textOf(step(3).locator('legend'))).toBe('Step 3: Send a message');

    await page.getByRole('button', { name: 'Create journey' }).click();
    const problem = step(2).getByRole('note', { name: 'Problem with definition.steps.1.seconds' });
    await eventually(async () => expect(await textOf(problem)).toMatch(/^must be a whole number from 1 to/));
    expect(await query(`SELECT * FROM journeys`)).toEqual([]);
    await shot('journeys-01-editor-refused');

    await step(2).getByLabel('Wait for', { exact: true }).fill('3');
    await page.getByRole('button', { name: 'Create journey' }).click();
    await visible(page.getByRole('heading', { name: /^Win back/, level: 1 }));
    const [stored] = await query(
      `SELECT j.status, v.version, v.definition FROM journeys j JOIN journey_versions v ON v.journey_id = j.id WHERE j.key = 'win_back'`,
    );
    expect(stored).toMatchObject({ status: 'draft', version: 1 });
    expect(stored.definition).toMatchObject({
      entrySegmentId: segments['dormant'],
      goal: { event: 'Order Completed', withinDays: 14 },
      holdoutShare: 0.1,
      reEntry: { mode: 'once' },
      steps: [
        {
          id: 'send_1',
          type: 'send',
          destination: destinations['Email'],
          message: { subject: '10% off, just for you', text: 'Come back for 10% off.' },
        },
        { id: 'wait_1', type: 'wait', seconds: 3 * 86_400 },
        { id: 'send_2', type: 'send', destination: destinations['Email'], message: { subject: '20% off, last chance' } },
        { id: 'exit_1', type: 'exit' },
      ],
    });

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Journeys' }).click();
    const table = page.getByRole('table', { name: 'Journeys' });
    await eventually(async () => {
      const rows = await table.locator('tbody tr').allInnerTexts();
      expect(rows.map((row) => row.split('\t').map((cell) => cell.trim()))).toEqual([
        ['Win back win_back', 'draft', 'v1', 'dormant', '0', '0', '0'],
      ]);
    });
  });

  it('reads the journey as a flow with counts per step, publishes and pauses it, and saves version 2', async () => {
    await seedJourneyProgress();
    await page.getByRole('link', { name: 'Win back' }).click();
    const flow = page.getByRole('list', { name: 'Step flow' });
    await eventually(async () =>
      expect(await flow.locator('.step-card-text').allInnerTexts()).toEqual([
        'Send through Email: “10% off, just for you”',
        'Wait 3 days',
        'Send through Email: “20% off, last chance”',
        'Exit',
      ]),
    );
    await eventually(async () => expect(await textOf(flow.getByRole('listitem', { name: 'Step 1: send_1' }))).toContain(SEND_1_COUNTS));
    expect(await textOf(flow.getByRole('listitem', { name: 'Step 2: wait_1' }))).toContain(WAIT_1_COUNTS);
    expect(await textOf(page.getByRole('region', { name: 'Totals' }))).toContain(TOTALS);
    // The goal's lift on the activation lift card: conversion per arm, treated vs control.
    const arms = page.getByRole('region', { name: 'Lift of the goal' }).getByRole('table', { name: 'Arms' });
    await eventually(async () =>
      expect((await arms.locator('tbody tr').allInnerTexts()).map((row) => row.split('\t').map((cell) => cell.trim()))).toEqual([
        ['treatment', '8', '2', '25.0%'],
        ['control', '2', '0', '0.0%'],
      ]),
    );
    await shot('journeys-02-page');

    await page.getByRole('button', { name: 'Publish' }).click();
    await eventually(async () => expect(await textOf(page.getByRole('heading', { level: 1 }))).toBe('Win back live'));
    await page.getByRole('button', { name: 'Pause' }).click();
    await eventually(async () => expect(await textOf(page.getByRole('heading', { level: 1 }))).toBe('Win back paused'));
    expect(await query(`SELECT status FROM journeys WHERE key = 'win_back'`)).toEqual([{ status: 'paused' }]);

    await page.getByRole('link', { name: 'Edit' }).click();
    await visible(page.getByText('Saving makes version 2.', { exact: false }));
    await step(2).getByLabel('Wait for', { exact: true }).fill('2');
    await page.getByRole('button', { name: 'Save as a new version' }).click();
    await eventually(async () => expect(await textOf(page.getByRole('region', { name: 'Versions' }))).toContain('v2'));
    expect(await query(`SELECT version, definition->'steps'->1->'seconds' AS seconds FROM journey_versions ORDER BY version`)).toEqual([
      { version: 1, seconds: 3 * 86_400 },
      { version: 2, seconds: 2 * 86_400 },
    ]);
  });

  it('creates the four plays from the plays page and links each', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Plays' }).click();
    const form = page.getByRole('form', { name: 'Create the plays' });
    await visible(form);
    await form.getByLabel('Intent segment (high intent members)').selectOption({ label: 'High intent (intent)' });
    await form.getByLabel('Value segment (high value members)').selectOption({ label: 'High value (value)' });
    await form.getByLabel(/^Owned channel/).selectOption({ label: 'Meta audience (meta-ads)' });
    await form.getByLabel(/^Capped retargeting/).selectOption({ label: 'Meta audience (meta-ads)' });
    await form.getByLabel(/^Win-back journey/).selectOption({ label: 'SMS (twilio)' });
    await form.getByLabel(/^Paid media/).selectOption({ label: 'Google paid media (google-ads)' });
    await form.getByRole('button', { name: 'Create the four plays' }).click();
    await eventually(async () => expect(await textOf(form.getByRole('note', { name: 'Problem with destinations.owned' }))).toMatch(/send/));
    expect(await query(`SELECT * FROM journeys WHERE key <> 'win_back'`)).toEqual([]);

    await form.getByLabel(/^Owned channel/).selectOption({ label: 'Email (sendgrid-email)' });
    await form.getByLabel('Offer 1').fill('10% off');
    await form.getByLabel('Offer 2').fill('15% off');
    await form.getByLabel('Offer 3').fill('20% off');
    await form.getByRole('button', { name: 'Create the four plays' }).click();
    const created = page.getByRole('region', { name: 'Created' });
    await visible(created);
    expect(await created.getByRole('list', { name: 'Created segments' }).getByRole('listitem').count()).toBe(4);
    const activations = await created.getByRole('list', { name: 'Created activations' }).getByRole('listitem').allInnerTexts();
    expect(activations.map((text) => text.split(':')[0])).toEqual([
      'Owned-channel send',
      'Capped retargeting',
      'Paid media excluding low intent, low value',
    ]);
    expect(activations[2]).toContain('Prospecting');
    await shot('journeys-03-plays');

    // Each link opens its own page: the journey's flow, and the paid-media activation now excluding low ∧ low.
    const prospectingHref = await created.getByRole('link', { name: 'Prospecting' }).getAttribute('href');
    await created.getByRole('link', { name: /win/i }).click();
    const flow = page.getByRole('list', { name: 'Step flow' });
    await eventually(async () =>
      expect(await flow.locator('.step-card-text').allInnerTexts()).toEqual([
        'Send through SMS: “We miss you! Come back for 10% off.”',
        'Wait 3 days',
        'Send through SMS: “We miss you! Come back for 15% off.”',
        'Wait 3 days',
        'Send through SMS: “We miss you! Come back for 20% off.”',
      ]),
    );
    await page.goto(`${apiUrl}/console/${prospectingHref}`);
    await eventually(async () =>
      expect(await textOf(page.getByRole('region', { name: 'Exclusions and priority' }).locator('dd').first())).toMatch(/_li_lv$/),
    );
  });

  it('shows a viewer the journeys and their flow without any button that changes them', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(page, apiUrl, viewerKey);
    await page.goto(`${apiUrl}/console/#/journeys/win_back`);
    const flow = page.getByRole('list', { name: 'Step flow' });
    await eventually(async () => expect(await flow.locator('.step-card-text').count()).toBe(4));
    await eventually(async () => expect(await textOf(flow.getByRole('listitem', { name: 'Step 1: send_1' }))).toContain(SEND_1_COUNTS));
    // The role probe answers after the page draws: give it time to (wrongly) show the buttons.
    await page.waitForTimeout(1000);
    for (const name of ['Publish', 'Pause']) expect(await page.getByRole('button', { name }).count()).toBe(0);
    expect(await page.getByRole('link', { name: 'Edit' }).count()).toBe(0);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Plays' }).click();
    await visible(page.getByText('Creating plays is for marketers and admins.'));
    expect(await page.getByRole('form', { name: 'Create the plays' }).count()).toBe(0);
  });

  /**
   * Ten entries into win_back v1 written as the journey worker writes them (journey_entries and
   * journey_step_log): 2 control; of 8 treated, 4 were sent send_1 and 1 was capped there; 4 wait
   * in wait_1 (the capped one moved on too), 1 reached the goal with wait_1 next, 3 have not run
   * send_1 yet; 2 treated entries did the goal event within the window.
   */
  async function seedJourneyProgress(): Promise<void> {
    const [journey] = await query(`SELECT id FROM journeys WHERE key = 'win_back'`);
    const people: { id: string }[] = await query(
      `INSERT INTO profiles (traits) SELECT '{}'::jsonb FROM generate_series(1, 10) RETURNING id`,
    );
    const entry = async (profileId: string, arm: string, stepIndex: number, state: string, outcome: string | null) =>
      (
        await query(
          `INSERT INTO journey_entries (journey_id, profile_id, entry_number, version, arm, entered_at, step_index, state, outcome, due_at, exited_at)
           VALUES ($1, $2, 1, 1, $3, now() - interval '20 days', $4, $5, $6, CASE WHEN $5 = 'done' THEN NULL ELSE now() + interval '2 days' END,
                   CASE WHEN $5 = 'done' THEN now() END)
           RETURNING id`,
          [journey.id, profileId, arm, stepIndex, state, outcome],
        )
      )[0].id as string;
    const log = (entryId: string, stepId: string, outcome: string) =>
      query(
        `INSERT INTO journey_step_log (entry_id, journey_id, step_id, outcome, at, completed_at) VALUES ($1, $2, $3, $4, now(), now())`,
        [entryId, journey.id, stepId, outcome],
      );
    const ids = people.map((row) => row.id);
    for (const id of ids.slice(0, 2)) await entry(id, 'control', 0, 'done', 'completed');
    for (const [index, id] of ids.slice(2, 7).entries()) {
      const reachedGoal = index === 3;
      const entryId = await entry(id, 'treatment', 1, reachedGoal ? 'done' : 'waiting', reachedGoal ? 'goal_reached' : null);
      await log(entryId, 'send_1', index === 4 ? 'capped' : 'sent');
    }
    for (const id of ids.slice(7)) await entry(id, 'treatment', 0, 'active', null);
    // Entered 20 days ago, so every 14-day goal window has closed: 2 of 8 treated converted, no control.
    await query(
      `INSERT INTO events (message_id, profile_id, type, name, timestamp, properties)
       SELECT gen_random_uuid()::text, unnest($1::uuid[]), 'track', 'Order Completed', now() - interval '18 days', '{}'`,
      [[ids[2], ids[5]]],
    );
  }
  const SEND_1_COUNTS =
    '5 entered · 4 sent · 0 goal reached before it · 1 capped · 0 suppressed · 0 without a valid identifier · 0 skipped';
  const WAIT_1_COUNTS = '4 entered · 4 waiting · 1 goal reached before it';
  const TOTALS = 'Entered 10 Treatment 8 Control (held out) 2 In flight 7 Goal reached 1 Completed (no goal) 2 Left by an exit step 0';
});
