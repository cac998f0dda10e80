import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Page } from 'playwright-core';
import { ApiKeyService } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { ARTIFACTS, Browser, StartedProcess, eventually, launchBrowser, startApi, stopProcess, textOf, visible } from './browser-harness';

// The embeddable quiz page (issue #24) in Debian's Chromium against the real API process and a
// real Postgres: a missing required answer is shown under its question and writes nothing; a
// valid answer thanks the visitor and lands as traits on the profile of `?userId=`; the console's
// Quizzes page then shows its completion and answer distribution.
describe('the quiz page in a browser', () => {
  let db: TestDatabase;
  let api: StartedProcess;
  let browser: Browser;
  let page: Page;
  let apiUrl: string;
  let marketerKey: string;
  const shot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
  const query = <T = any>(sql: string, params: unknown[] = []): Promise<T[]> => db.dataSource.query(sql, params);

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    db = await createTestDatabase();
    const keys = new ApiKeyService(db.dataSource);
    marketerKey = (await keys.create('quiz page e2e', 'marketer')).secret;
    const clientKey = (await keys.create('quiz page e2e source', 'write', 'client')).secret;
    api = startApi(db.url);
    apiUrl = await api.ready;
    const created = await fetch(`${apiUrl}/quizzes`, {
      method: 'POST',
      headers: { authorization: `Bearer ${marketerKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        key: 'style',
        owner: 'crm',
        definition: {
          title: 'Shopping style',
          questions: [
            {
              id: 'budget',
              text: 'What matters most?',
              kind: 'single',
              required: true,
              trait: 'priority',
              options: [{ value: 'price', label: 'The price', trait: 'price_sensitive', traitValue: true }, { value: 'quality' }],
            },
            { id: 'age', text: 'Your age?', kind: 'number', trait: 'age', min: 13, max: 120 },
          ],
        },
      }),
    });
    expect(created.status).toBe(201);
    browser = await launchBrowser();
    page = browser.page;
    await page.setExtraHTTPHeaders({ authorization: `Basic ${Buffer.from(`${clientKey}:`).toString('base64')}` });
  });

  afterAll(async () => {
    await browser?.close();
    await stopProcess(api?.child);
    await db?.drop();
  });

  it('shows a refusal under its question, then sends valid answers as traits', async () => {
    await page.goto(`${apiUrl}/v1/quizzes/style/page?userId=browser-1`);
    await visible(page.getByRole('heading', { name: 'Shopping style' }));
    await page.getByRole('button', { name: 'Send' }).click();
    await eventually(async () => expect(await textOf(page.locator('#q-budget .problem'))).toBe('is required'));
    await shot('quiz-page-refused');
    expect(await query(`SELECT id FROM events`)).toEqual([]);

    await page.getByLabel('The price').check();
    await page.locator('input[name="age"]').fill('30');
    await page.getByRole('button', { name: 'Send' }).click();
    await eventually(async () => expect(await textOf(page.locator('#status'))).toBe('Thank you!'));
    await shot('quiz-page-sent');
    const [profile] = await query(
      `SELECT p.traits FROM profiles p JOIN identities i ON i.profile_id = p.id WHERE i.type = 'user_id' AND i.value = 'browser-1'`,
    );
    expect(profile.traits).toEqual({ price_sensitive: true, age: 30 });
  });

  it('the console Quizzes page shows completion and the answer distribution', async () => {
    await page.setExtraHTTPHeaders({});
    await page.goto(`${apiUrl}/console/`);
    await page.getByLabel('API key').fill(marketerKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'Quizzes' }).click();
    await page.getByRole('link', { name: 'style' }).click();
    const answers = page.getByRole('table', { name: 'Version 1 answers' });
    await visible(answers);
    await eventually(async () => expect(await textOf(page.getByText('submissions from'))).toBe('1 submissions from 1 people'));
    expect(await textOf(answers.getByRole('row', { name: /What matters most/ }))).toBe('What matters most? 1 (100 %) price: 1 (100 %)');
    expect(await textOf(answers.getByRole('row', { name: /Your age/ }))).toBe('Your age? 1 (100 %) n 1, min 30, mean 30.0, max 30');
    await shot('quiz-stats');
  });
});
