import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Page } from 'playwright-core';
import { SegmentDefinitionGate, SegmentsService } from '@audiencekit/segments-service';
import { ApiKeyService } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { ARTIFACTS, Browser, StartedProcess, launchBrowser, signIn, startApi, stopProcess, textOf, visible } from './browser-harness';

// Model drift on a propensity segment's page (#21), in Debian's Chromium against the real API. The
// model is fitted by the service (as the worker does) on 120 profiles with v = i % 10 logins 45 days
// ago (training) and 15 days ago (now) and a purchase 20 days ago when (7i mod 10) < v; then half the
// profiles log in 8 more times this week, which shifts the feature and the score. The page shows the
// PSI table with the flags, and says the AUC since the fit waits for its outcome window.
describe('model drift on the segment page', () => {
  let db: TestDatabase;
  let api: StartedProcess;
  let browser: Browser;
  let page: Page;
  let apiUrl: string;
  let viewerSecret: string;
  let segmentId: string;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    db = await createTestDatabase();
    viewerSecret = (await new ApiKeyService(db.dataSource).create('console drift e2e', 'viewer')).secret;
    const rows: { id: string; row: number }[] = await db.dataSource.query(
      `INSERT INTO profiles (traits, first_seen_at)
       SELECT jsonb_build_object('row', n), now() - interval '100 days' FROM generate_series(0, 119) n RETURNING id, (traits->>'row')::int AS row`,
    );
    const ids = rows.sort((a, b) => a.row - b.row).map((row) => row.id);
    const events = async (name: string, daysAgo: number, perProfile: (i: number) => number, tag: string) =>
      db.dataSource.query(
        `INSERT INTO events (message_id, profile_id, type, name, timestamp)
         SELECT $2 || ':' || p.id || ':' || n, p.id, 'track', $1, now() - make_interval(days => $3::int)
           FROM unnest($4::uuid[], $5::int[]) AS p(id, count), generate_series(1, p.count) AS n`,
        [name, `${name}:${tag}`, daysAgo, ids, ids.map((_, i) => perProfile(i))],
      );
    await events('Login', 45, (i) => i % 10, 'train');
    await events('Login', 15, (i) => i % 10, 'now');
    await events('Purchase', 20, (i) => ((i * 7) % 10 < i % 10 ? 1 : 0), 'outcome');
    const segment = await new SegmentsService(db.dataSource, new SegmentDefinitionGate()).create(
      {
        key: 'likely-buyers',
        name: 'Likely buyers',
        description: '',
        owner: 'crm',
        refreshCadence: 'manual',
        kpi: null,
        status: 'active',
        qualityThresholds: { minSize: 1, maxChurn: 10 },
        definition: {
          type: 'propensity',
          population: 'all',
          tier: 'top',
          seed: 2,
          window: 'last 30 days',
          outcome: { event: 'Purchase', withinDays: 30 },
          features: [{ source: 'event_count', event: 'Login' }],
        },
      },
      null,
    );
    segmentId = segment.id;
    await events('Login', 2, (i) => (i % 2 === 0 ? 8 : 0), 'shift');
    api = startApi(db.url);
    apiUrl = await api.ready;
    browser = await launchBrowser();
    page = browser.page;
    await signIn(page, apiUrl, viewerSecret);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stopProcess(api?.child);
    await db?.drop();
  });

  it('shows PSI per feature and for the score with the drift flags, and why the AUC since the fit is not there yet', async () => {
    const measured = (await (
      await fetch(`${apiUrl}/segments/${segmentId}/drift`, { headers: { authorization: `Bearer ${viewerSecret}` } })
    ).json()) as { flagged: boolean; psi: { features: { psi: number }[]; score: { psi: number } } };
    expect(measured.flagged).toBe(true);
    await page.getByRole('link', { name: 'Likely buyers' }).click();
    const card = page.getByRole('region', { name: 'Drift' });
    const table = card.getByRole('table', { name: 'Population stability' });
    await visible(table);
    const login = table.locator('tr[data-flagged]').filter({ hasText: 'count_Login' });
    expect(await login.getAttribute('data-flagged')).toBe('true');
    expect(await textOf(login)).toContain(measured.psi.features[0].psi.toFixed(4));
    expect(await textOf(login)).toContain('drifted');
    const score = table.locator('tr[data-flagged]').filter({ hasText: /^\s*score/ });
    expect(await score.getAttribute('data-flagged')).toBe('true');
    expect(await textOf(score)).toContain(measured.psi.score.psi.toFixed(4));
    expect(await textOf(card.getByRole('status'))).toContain(
      `Drift flagged: feature count_Login: PSI ${measured.psi.features[0].psi.toFixed(4)} > 0.2`,
    );
    expect(await textOf(card)).toContain('AUC since the fit not available: no outcome observed since the fit yet');
    await page.screenshot({ path: path.join(ARTIFACTS, 'model-drift-01-flagged.png'), fullPage: true });
  }, 60_000);
});
