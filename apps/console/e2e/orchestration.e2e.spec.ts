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

// The Caps and priorities page (issue #23) in Debian's Chromium against the real API process and a
// real Postgres: a cap refused with the field the API names, then saved and deleted; a priority
// list created from segment keys, shown in order with members and exclusive members per entry.
describe('caps and priorities in the console', () => {
  let db: TestDatabase;
  let api: StartedProcess;
  let browser: Browser;
  let page: Page;
  const shot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
  const query = <T = any>(sql: string, params: unknown[] = []): Promise<T[]> => db.dataSource.query(sql, params);

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    db = await createTestDatabase();
    const marketerKey = (await new ApiKeyService(db.dataSource).create('console orchestration e2e', 'marketer')).secret;
    // Two overlapping segments: high = profiles 1-4, retarget = profiles 3-10.
    const people: { id: string }[] = await query(
      `INSERT INTO profiles (traits) SELECT '{}'::jsonb FROM generate_series(1, 10) RETURNING id`,
    );
    for (const [key, from, to] of [
      ['high_value', 0, 4],
      ['retarget', 2, 10],
    ] as const) {
      const [segment] = await query(
        `INSERT INTO segments (key, name, owner, refresh_cadence, current_version) VALUES ($1, $1, 'crm', 'manual', 1) RETURNING id`,
        [key],
      );
      await query(
        `INSERT INTO segment_memberships (segment_id, profile_id, entered_at, run_id) SELECT $1, unnest($2::uuid[]), now(), gen_random_uuid()`,
        [segment.id, people.slice(from, to).map((row) => row.id)],
      );
    }
    api = startApi(db.url);
    const apiUrl = await api.ready;
    browser = await launchBrowser();
    page = browser.page;
    await signIn(page, apiUrl, marketerKey);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stopProcess(api?.child);
    await db?.drop();
  });

  it('adds a frequency cap (a bad one refused with its field), shows it in words, and deletes it', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Caps and priorities' }).click();
    await visible(page.getByRole('heading', { name: 'Caps and priorities', level: 1 }));
    await visible(page.getByText('No frequency caps'));
    await page.getByLabel('Name').first().fill('two texts a day');
    await page.getByLabel('Channel').selectOption('sms');
    await page.getByLabel('At most (messages)').fill('0');
    await page.getByLabel('In a rolling window of (hours)').fill('24');
    await page.getByRole('button', { name: 'Add cap' }).click();
    await eventually(async () => expect(await textOf(page.getByRole('alert'))).toMatch(/^maxMessages: /));
    expect(await query(`SELECT * FROM frequency_caps`)).toEqual([]);

    await page.getByLabel('At most (messages)').fill('2');
    await page.getByRole('button', { name: 'Add cap' }).click();
    await eventually(async () => expect(await textOf(page.locator('#caps-title + table'))).toContain('at most 2 messages per 1 d on sms'));
    expect(await query(`SELECT name, channel, max_messages, window_hours FROM frequency_caps`)).toEqual([
      { name: 'two texts a day', channel: 'sms', max_messages: 2, window_hours: 24 },
    ]);
    await shot('orchestration-01-caps');
    await page.getByRole('button', { name: 'Delete' }).click();
    await visible(page.getByText('No frequency caps'));
    expect(await query(`SELECT * FROM frequency_caps`)).toEqual([]);
  });

  it('creates a priority list from segment keys and shows members and exclusive members per entry', async () => {
    const form = page.getByRole('group', { name: 'New priority list' });
    await form.getByLabel('Key', { exact: true }).fill('plays');
    await form.getByLabel('Name', { exact: true }).fill('Plays');
    await form.getByLabel(/^Segments, highest priority first/).fill('high_value, nope');
    await form.getByRole('button', { name: 'Create list' }).click();
    await eventually(async () => expect(await textOf(form.getByRole('alert'))).toBe('entries[1]: no segment with key or id "nope"'));

    await form.getByLabel(/^Segments, highest priority first/).fill('high_value, retarget');
    await form.getByRole('button', { name: 'Create list' }).click();
    const table = page.getByRole('table', { name: 'Priority list Plays' });
    // high_value: 4 members, all exclusive; retarget: 8 members, 2 of them also in high_value.
    await eventually(async () => {
      const rows = await table.locator('tbody tr').allInnerTexts();
      expect(rows.map((row) => row.split('\t').map((cell) => cell.trim()))).toEqual([
        ['1', 'high_value', '4', '4'],
        ['2', 'retarget', '8', '6'],
      ]);
    });
    await shot('orchestration-02-priority-list');
  });
});
