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

// The console's quiz editor (issue #24) in Debian's Chromium against the real API process and a
// real Postgres: a marketer creates a quiz by clicking (the API's 400 shown under the field it
// names first), edits it into version 2 (a question moved up, an option added), reads where to
// embed it and its stats page after an answer to version 2; a viewer sees no form or button.
describe('the quiz editor in a browser', () => {
  let db: TestDatabase;
  let api: StartedProcess;
  let browser: Browser;
  let page: Page;
  let apiUrl: string;
  let marketerKey: string;
  let viewerKey: string;
  let clientKey: string;
  const shot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
  const field = (label: string) => page.getByLabel(label, { exact: true });
  const storedQuiz = async (): Promise<any> =>
    (await fetch(`${apiUrl}/quizzes/style`, { headers: { authorization: `Bearer ${marketerKey}` } })).json();

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    db = await createTestDatabase();
    const keys = new ApiKeyService(db.dataSource);
    marketerKey = (await keys.create('quiz editor e2e', 'marketer')).secret;
    viewerKey = (await keys.create('quiz editor e2e viewer', 'viewer')).secret;
    clientKey = (await keys.create('quiz editor e2e source', 'write', 'client')).secret;
    api = startApi(db.url);
    apiUrl = await api.ready;
    browser = await launchBrowser();
    page = browser.page;
  });

  afterAll(async () => {
    await browser?.close();
    await stopProcess(api?.child);
    await db?.drop();
  });

  it('creates a quiz by clicking; the API’s 400 is shown under the field it names', async () => {
    await signIn(page, apiUrl, marketerKey);
    await page.getByRole('link', { name: 'Quizzes' }).click();
    await page.getByRole('button', { name: 'New quiz' }).click();
    await field('Quiz key').fill('style');
    await field('Quiz owner').fill('crm');
    await field('Quiz title').fill('Shopping style');
    await field('Question 1 id').fill('budget');
    await field('Question 1 text').fill('What matters most?');
    await field('Question 1 required').check();
    await field('Question 1 trait').fill('priority');
    await field('Question 1 option 1 value').fill('price');
    await field('Question 1 option 1 label').fill('The price');
    await field('Question 1 option 1 trait').fill('price_sensitive');
    await field('Question 1 option 1 trait value').fill('true');
    await page.getByRole('button', { name: 'Add an option to Question 1' }).click();
    await field('Question 1 option 2 value').fill('quality');
    await page.getByRole('button', { name: 'Add question' }).click();
    await field('Question 2 id').fill('age');
    await field('Question 2 text').fill('Your age?');
    await field('Question 2 kind').selectOption('number');
    await field('Question 2 minimum').fill('13');
    await field('Question 2 maximum').fill('120');

    // A number question needs a trait to land on: the API says so at definition.questions.1.trait.
    await page.getByRole('button', { name: 'Create quiz' }).click();
    const problem = page.getByRole('note', { name: 'Problem with definition.questions.1.trait' });
    await visible(problem);
    expect(await textOf(problem)).toBe('is required for a number question');
    expect(await db.dataSource.query(`SELECT id FROM quizzes`)).toEqual([]);
    await shot('quiz-editor-refused');

    await field('Question 2 trait').fill('age');
    await page.getByRole('button', { name: 'Create quiz' }).click();
    await visible(page.getByRole('heading', { name: 'Answers to Shopping style' }));
    expect(page.url()).toMatch(/#\/quizzes\/style$/);
    const created = await storedQuiz();
    expect(created).toMatchObject({ key: 'style', owner: 'crm', version: 1 });
    expect(created.definition).toEqual({
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
        { id: 'age', text: 'Your age?', kind: 'number', required: false, trait: 'age', min: 13, max: 120 },
      ],
    });
  });

  it('edits it into version 2 (the page says so), shows where to embed it and its stats page', async () => {
    await page.getByRole('button', { name: 'Edit quiz' }).click();
    expect(await textOf(page.getByRole('note').filter({ hasText: 'This is version 1' }))).toContain(
      'Saving a changed definition makes version 2',
    );
    expect(await field('Question 1 option 1 trait value').inputValue()).toBe('true');
    await page.getByRole('button', { name: 'Move Question 2 up' }).click();
    expect(await field('Question 1 id').inputValue()).toBe('age');
    await page.getByRole('button', { name: 'Add an option to Question 2' }).click();
    await field('Question 2 option 3 value').fill('service');
    await page.getByRole('button', { name: 'Move Question 2 option 3 up' }).click();
    await page.getByRole('button', { name: 'Save quiz' }).click();
    await eventually(async () =>
      expect(await textOf(page.getByRole('status').filter({ hasText: 'Saved as' }))).toBe(
        'Saved as version 2; answers to version 1 are refused from now on.',
      ),
    );
    const edited = await storedQuiz();
    expect(edited.version).toBe(2);
    expect(edited.definition.questions.map((question: { id: string }) => question.id)).toEqual(['age', 'budget']);
    expect(edited.definition.questions[1].options.map((option: { value: string }) => option.value)).toEqual([
      'price',
      'service',
      'quality',
    ]);
    expect(await db.dataSource.query(`SELECT version FROM quiz_versions ORDER BY version`)).toEqual([{ version: 1 }, { version: 2 }]);
    await eventually(async () =>
      expect(await textOf(page.getByRole('table', { name: 'Quizzes' }).getByRole('row', { name: /style/ }))).toContain('v2'),
    );

    const embed = page.getByRole('region', { name: 'Embed' });
    expect(await textOf(embed)).toContain(`${apiUrl}/v1/quizzes/style/page`);
    const snippet = await textOf(embed.getByLabel('JSON endpoint snippet'));
    expect(snippet).toContain(`curl -u 'WRITE_KEY:' ${apiUrl}/v1/quizzes/style`);
    expect(snippet).toContain('"version":2');

    // An answer to version 2, as a client sends it, then the stats page read afresh.
    const answered = await fetch(`${apiUrl}/v1/quizzes/style/answers`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${clientKey}:`).toString('base64')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ version: 2, userId: 'editor-1', answers: { budget: 'service', age: 40 } }),
    });
    expect(answered.status).toBe(200);
    await page.reload();
    const answers = page.getByRole('table', { name: 'Version 2 answers' });
    await visible(answers);
    expect(await textOf(page.getByRole('heading', { name: /^Version 2/ }))).toBe('Version 2 (current)');
    expect(await textOf(page.getByText('submissions from'))).toBe('1 submissions from 1 people');
    expect(await textOf(answers.getByRole('row', { name: /What matters most/ }))).toBe('What matters most? 1 (100 %) service: 1 (100 %)');
    await shot('quiz-editor-stats');
  });

  it('shows a viewer the quizzes read-only: no New quiz, no Edit quiz', async () => {
    await page.evaluate('sessionStorage.clear()'); // signed out: the sign-in form again
    await signIn(page, apiUrl, viewerKey);
    await page.getByRole('link', { name: 'Quizzes' }).click();
    await visible(page.getByText('Read only: your key is a viewer’s.'));
    expect(await page.getByRole('button', { name: 'New quiz' }).count()).toBe(0);
    await page.getByRole('link', { name: 'style' }).click();
    await visible(page.getByRole('table', { name: 'Version 2 answers' }));
    expect(await page.getByRole('button', { name: 'Edit quiz' }).count()).toBe(0);
    expect(await page.getByRole('region', { name: 'Embed' }).count()).toBe(1);
  });
});
