import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Page } from 'playwright-core';
import { ApiKeyService } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { ARTIFACTS, Browser, StartedProcess, eventually, launchBrowser, startApi, stopProcess, textOf, visible } from './browser-harness';

// A sync run held by a safety gate, in Debian's Chromium against the real API: the activation's
// page shows why it is held (the engine's reasons, the gates by name) and a marketer confirms it,
// which queues it (POST /sync-runs/:id/confirm). No worker runs: the held run is recorded as the
// runner records it (status and plan.guard), and the confirmed run stays queued for the workers.
describe('a held sync run in the console', () => {
  let db: TestDatabase;
  let api: StartedProcess;
  let browser: Browser;
  let page: Page;
  let marketer: { id: string; secret: string };
  let activationId: string;
  let runId: string;
  const REASONS = [
    '250 removes of the 250 members the destination holds is above the mass-removal share of 20% (AK_MASS_REMOVAL_SHARE)',
    'the refresh this sync follows left the segment empty',
  ];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    db = await createTestDatabase();
    const created = await new ApiKeyService(db.dataSource).create('console held e2e', 'marketer');
    marketer = { id: created.key.id, secret: created.secret };
    const [segment] = await db.dataSource.query(
      `INSERT INTO segments (key, name, owner, current_version) VALUES ('carts', 'Cart abandoners', 'crm', 1) RETURNING id`,
    );
    await db.dataSource.query(`INSERT INTO segment_versions (segment_id, version, definition) VALUES ($1, 1, $2)`, [
      segment.id,
      { type: 'rules', match: { type: 'trait', trait: 'country', operator: 'equals', value: 'DE' } },
    ]);
    const [destination] = await db.dataSource.query(
      `INSERT INTO destinations (name, connector, settings) VALUES ('Hook', 'webhook', '{"url": "https://hooks.example.com/a"}') RETURNING id`,
    );
    [{ id: activationId }] = await db.dataSource.query(
      `INSERT INTO activations (name, segment_id, destination_id, mode, holdout_share, holdout_salt, schedule)
       VALUES ('Carts to the hook', $1, $2, 'mirror', 0, 'salt', 'after_refresh') RETURNING id`,
      [segment.id, destination.id],
    );
    [{ id: runId }] = await db.dataSource.query(
      `INSERT INTO sync_runs (activation_id, segment_version, status, trigger, plan) VALUES ($1, 1, 'awaiting_confirmation', 'after_refresh', $2) RETURNING id`,
      [activationId, { guard: { hold: true, gates: ['mass_removal', 'refresh_quality'], reasons: REASONS } }],
    );
    api = startApi(db.url);
    const apiUrl = await api.ready;
    browser = await launchBrowser();
    page = browser.page;
    await page.goto(`${apiUrl}/console/`);
    await page.getByLabel('API key').fill(marketer.secret);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await visible(page.getByRole('heading', { name: 'Segments', level: 1 }));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stopProcess(api?.child);
    await db?.drop();
  });

  it('shows why a run is held and lets a marketer confirm it', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Activations' }).click();
    await page.getByRole('link', { name: 'Carts to the hook' }).click();
    await visible(page.getByRole('heading', { name: 'Carts to the hook', level: 1 }));
    const runs = page.getByRole('table').filter({ hasText: 'awaiting_confirmation' });
    await visible(runs);
    await runs.getByRole('button', { name: 'Details' }).click();

    const held = page.getByRole('group', { name: 'Held for confirmation' });
    await visible(held);
    expect(await textOf(held)).toContain('Held for confirmation (mass removal, suspect refresh)');
    expect(await held.getByRole('list', { name: 'Why it is held' }).getByRole('listitem').allInnerTexts()).toEqual(REASONS);
    await page.screenshot({ path: path.join(ARTIFACTS, 'held-run-01.png'), fullPage: true });

    await held.getByRole('button', { name: 'Confirm this run' }).click();
    await eventually(async () =>
      expect(await textOf(page.getByRole('region', { name: `Sync run ${runId}` }).getByRole('status'))).toBe('queued'),
    );
    expect(await page.getByRole('group', { name: 'Held for confirmation' }).count()).toBe(0);
    const [run] = await db.dataSource.query(`SELECT status, plan FROM sync_runs WHERE id = $1`, [runId]);
    expect(run).toMatchObject({ status: 'queued', plan: { guard: { confirmedBy: marketer.id } } });
    const [audit] = await db.dataSource.query(
      `SELECT action, actor_key_id FROM audit_log WHERE object_id = $1 AND action = 'sync_gate.confirmed'`,
      [runId],
    );
    expect(audit).toEqual({ action: 'sync_gate.confirmed', actor_key_id: marketer.id });
  }, 60_000);
});
