import { ModelFitJobsService } from '@audiencekit/segments-service';
import { ApiKeyService } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { RunningApi, startTestApi } from '../../test/api-test-app';

/**
 * Model drift (#21) through the HTTP API: GET /segments/:id/drift of a propensity segment fitted
 * now (the worker's job run by the test), before and after events that shift a feature.
 *
 * 200 profiles first seen 100 days ago; profile i has v = i % 10 "Visit" events 45 days ago (the
 * training window: 30 days up to the cutoff, 30 days ago) and 15 days ago (the population now), and a
 * "Purchase" 20 days ago when (7i mod 10) < v (the outcome after the cutoff).
 */
const PROFILES = 200;

jest.setTimeout(60_000);

describe('model drift through the API', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let marketerKey: string;
  let viewerKey: string;
  let ids: string[];

  async function call(method: string, path: string, body?: unknown, key = marketerKey): Promise<{ status: number; body: any }> {
    const response = await fetch(`${api.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  }
  /** Plays the worker for a 202: runs the queued fit job and returns the created segment. */
  async function fitted(accepted: { status: number; body: any }): Promise<{ id: string }> {
    expect(accepted.status).toBe(202);
    await api.app.get(ModelFitJobsService).execute(accepted.body.job.id);
    const polled = await call('GET', accepted.body.job.url, undefined, viewerKey);
    expect(polled.body).toMatchObject({ state: 'succeeded' });
    return polled.body.result.segment;
  }
  const create = (key: string, definition: unknown) =>
    call('POST', '/segments', { key, name: key, owner: 'crm-team', definition, qualityThresholds: { minSize: 1, maxChurn: 10 } });
  const definition = (event: string, extra: Record<string, unknown> = {}) => ({
    type: 'propensity',
    population: 'all',
    tier: 'top',
    seed: 5,
    window: 'last 30 days',
    outcome: { event: 'Purchase', withinDays: 30 },
    features: [{ source: 'event_count', event }],
    ...extra,
  });
  async function insertEvents(name: string, daysAgo: number, perProfile: (i: number) => number, tag: string): Promise<void> {
    await db.dataSource.query(
      `INSERT INTO events (message_id, profile_id, type, name, timestamp)
       SELECT $2 || ':' || p.id || ':' || n, p.id, 'track', $1, now() - make_interval(days => $3::int)
         FROM unnest($4::uuid[], $5::int[]) AS p(id, count), generate_series(1, p.count) AS n`,
      [name, `${name}:${tag}`, daysAgo, ids, ids.map((_, i) => perProfile(i))],
    );
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startTestApi(db.url);
    marketerKey = (await api.app.get(ApiKeyService).create('marketer', 'marketer')).secret;
    viewerKey = (await api.app.get(ApiKeyService).create('viewer', 'viewer')).secret;
    const rows: { id: string }[] = await db.dataSource.query(
      `INSERT INTO profiles (traits, first_seen_at)
       SELECT jsonb_build_object('row', n), now() - interval '100 days' FROM generate_series(0, $1::int - 1) AS n RETURNING id, (traits->>'row')::int AS row`,
      [PROFILES],
    );
    ids = (rows as { id: string; row: number }[]).sort((a, b) => a.row - b.row).map((row) => row.id);
    for (const event of ['Visit', 'Login']) {
      await insertEvents(event, 45, (i) => i % 10, 'train');
      await insertEvents(event, 15, (i) => i % 10, 'now');
    }
    await insertEvents('Purchase', 20, (i) => ((i * 7) % 10 < i % 10 ? 1 : 0), 'outcome');
  });
  afterAll(async () => {
    await api?.close();
    await db?.drop();
  });

  it('no shift: PSI 0 and no flag; the AUC since the fit waits for its window, with the reason', async () => {
    const segment = await fitted(await create('visitors', definition('Visit')));
    const drift = await call('GET', `/segments/${segment.id}/drift`, undefined, viewerKey);
    expect(drift.status).toBe(200);
    expect(drift.body).toMatchObject({
      segmentId: segment.id,
      version: 1,
      psiThreshold: 0.2,
      aucFloor: 0.6,
      psi: { available: true, rows: PROFILES, features: [{ feature: 'count_Visit', kind: 'numeric', psi: 0, flagged: false }] },
      auc: { available: false, reason: expect.stringContaining('no outcome observed since the fit yet') },
      flags: [],
      flagged: false,
    });
    expect(drift.body.psi.score).toMatchObject({ psi: 0, flagged: false });
    expect(drift.body.psi.features[0].bins).toHaveLength(11);
  });

  it('events that shift a feature raise its PSI and the score PSI and set the flags', async () => {
    const segment = await fitted(await create('loggers', definition('Login', { drift: { psiThreshold: 0.25 } })));
    const before = (await call('GET', `/segments/${segment.id}/drift`, undefined, viewerKey)).body;
    expect(before).toMatchObject({ psiThreshold: 0.25, flagged: false, psi: { features: [{ psi: 0 }] } });
    // Half the profiles log in 8 more times this week.
    await insertEvents('Login', 2, (i) => (i % 2 === 0 ? 8 : 0), 'shift');
    const after = (await call('GET', `/segments/${segment.id}/drift`, undefined, viewerKey)).body;
    expect(after.psi.features[0].psi).toBeGreaterThan(0.25);
    expect(after.psi.features[0].flagged).toBe(true);
    expect(after.psi.score.flagged).toBe(true);
    expect(after).toMatchObject({
      flagged: true,
      flags: [expect.stringMatching(/^feature count_Login: PSI \d+\.\d{4} > 0\.25$/), expect.stringMatching(/^score: PSI/)],
    });
  });

  it('a PATCH of the drift settings only is a new version (200, no fit job) with the same model and the new threshold', async () => {
    const segment = await fitted(await create('retuned', definition('Visit')));
    const patched = await call('PATCH', `/segments/${segment.id}`, { definition: definition('Visit', { drift: { psiThreshold: 0.9 } }) });
    expect(patched).toMatchObject({ status: 200, body: { version: 2 } });
    const versions = (await call('GET', `/segments/${segment.id}/versions`, undefined, viewerKey)).body;
    expect(versions[1].model).toEqual(versions[0].model);
    expect((await call('GET', `/segments/${segment.id}/drift`, undefined, viewerKey)).body).toMatchObject({
      version: 2,
      psiThreshold: 0.9,
    });
  });

  it('400 naming the field for bad drift settings, 400 for a segment without a propensity model, 404 for an unknown one', async () => {
    const bad = await create('bad-threshold', definition('Visit', { drift: { psiThreshold: -1 } }));
    expect(bad).toMatchObject({ status: 400, body: { details: [expect.objectContaining({ path: 'definition.drift.psiThreshold' })] } });
    const rules = await create('rules', { type: 'rules', match: { type: 'event', event: 'Visit', window: 'last 30 days' } });
    expect(rules.status).toBe(201);
    expect(await call('GET', `/segments/${rules.body.id}/drift`, undefined, viewerKey)).toMatchObject({
      status: 400,
      body: { code: 'not_a_model_segment' },
    });
    expect((await call('GET', `/segments/00000000-0000-0000-0000-000000000000/drift`, undefined, viewerKey)).status).toBe(404);
  });
});
