import { ApiKeyService } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import type { RunningApi } from '../../../test/api-test-app';
import { callApi, startActivationsTestApi } from './activations-test-app';

/**
 * Journeys' admin routes (issue #23) through the real API on a real Postgres: create a draft,
 * every 400 naming its field with nothing written, versions through PUT, publish / pause and their
 * 409s, 404, and roles (a viewer reads, cannot write).
 */
describe('journeys through the API', () => {
  let db: TestDatabase;
  let api: RunningApi;
  const keys: Record<'admin' | 'marketer' | 'viewer', string> = { admin: '', marketer: '', viewer: '' };
  let entrySegmentId: string;
  let otherSegmentId: string;
  let smsDestinationId: string;
  let listDestinationId: string;
  const call = (method: string, path: string, body?: unknown, key = keys.marketer) => callApi(api.baseUrl, key, method, path, body);
  const counts = async () =>
    (await db.dataSource.query(
      `SELECT (SELECT count(*)::int FROM journeys) AS journeys, (SELECT count(*)::int FROM journey_versions) AS versions`,
    )) as { journeys: number; versions: number }[];

  /** A valid definition: an SMS offer, a day's wait, an audience step, a branch and an exit. */
  const definition = (overrides: Record<string, unknown> = {}) => ({
    entrySegmentId,
    goal: { event: 'Order Completed', withinDays: 14 },
    holdoutShare: 0.1,
    reEntry: { mode: 'once' },
    steps: [
      { id: 'offer', type: 'send', destination: smsDestinationId, message: { text: '10% off today' } },
      { id: 'pause', type: 'wait', seconds: 86_400 },
      { id: 'retarget', type: 'audience', destination: listDestinationId, action: 'add' },
      { id: 'vip', type: 'branch', condition: { inSegment: otherSegmentId }, then: 'done', else: 'done' },
      { id: 'done', type: 'exit' },
    ],
    ...overrides,
  });

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startActivationsTestApi(db.url);
    for (const role of ['admin', 'marketer', 'viewer'] as const) keys[role] = (await api.app.get(ApiKeyService).create(role, role)).secret;
    const segment = async (key: string) =>
      (
        await call('POST', '/segments', {
          key,
          name: key,
          owner: 'crm',
          definition: {
            type: 'rules',
            match: { type: 'all', conditions: [{ type: 'trait', trait: 'plan', operator: 'equals', value: key }] },
          },
        })
      ).body.id as string;
    entrySegmentId = await segment('lapsed');
    otherSegmentId = await segment('vip');
    smsDestinationId = (
      await call('POST', '/destinations', { name: 'sms', connector: 'test-sms', settings: { from: '+447700900123' } }, keys.admin)
    ).body.id;
    listDestinationId = (
      await call(
        'POST',
        '/destinations',
        { name: 'list', connector: 'test-list', settings: { listId: 'L' }, secrets: { apiKey: 'sk_test_12345678' } },
        keys.admin,
      )
    ).body.id;
  }, 60_000);

  afterAll(async () => {
    await api.close();
    await db.drop();
  });

  it('creates a draft at version 1, reads it by key or id and lists it with its entry segment', async () => {
    const created = await call('POST', '/journeys', { key: 'win_back', name: 'Win back', definition: definition() });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ key: 'win_back', name: 'Win back', status: 'draft', currentVersion: 1 });
    expect(created.body.definition).toEqual(definition());
    expect(created.body.versions.map((v: { version: number }) => v.version)).toEqual([1]);
    const byKey = await call('GET', '/journeys/win_back', undefined, keys.viewer);
    expect(byKey.status).toBe(200);
    expect((await call('GET', `/journeys/${created.body.id}`, undefined, keys.viewer)).body.key).toBe('win_back');
    const list = await call('GET', '/journeys', undefined, keys.viewer);
    expect(list.status).toBe(200);
    expect(list.body.items).toEqual([
      {
        id: created.body.id,
        key: 'win_back',
        name: 'Win back',
        status: 'draft',
        currentVersion: 1,
        entrySegment: { id: entrySegmentId, key: 'lapsed' },
        entered: 0,
        inFlight: 0,
        goalReached: 0,
      },
    ]);
    const taken = await call('POST', '/journeys', { key: 'win_back', name: 'Again', definition: definition() });
    expect(taken.status).toBe(409);
    expect(taken.body.code).toBe('journey_key_taken');
  });

  it.each([
    ['a wait of 0 seconds', () => definition({ steps: [{ id: 'w', type: 'wait', seconds: 0 }] }), 'definition.steps[0].seconds'],
    [
      'a backward jump',
      () =>
        definition({
          steps: [
            { id: 'a', type: 'exit' },
            { id: 'b', type: 'branch', condition: { eventSinceEntry: 'x' }, then: 'a', else: 'a' },
          ],
        }),
      'definition.steps[1].then',
    ],
    ['a holdout over 0.5', () => definition({ holdoutShare: 0.9 }), 'definition.holdoutShare'],
    ['no goal event', () => definition({ goal: { event: '', withinDays: 3 } }), 'definition.goal.event'],
    ['an unknown entry segment', () => definition({ entrySegmentId: '00000000-0000-4000-8000-000000000000' }), 'definition.entrySegmentId'],
    [
      'an unknown branch segment',
      () =>
        definition({
          steps: [
            { id: 'b', type: 'branch', condition: { inSegment: '00000000-0000-4000-8000-000000000001' }, then: 'x', else: 'x' },
            { id: 'x', type: 'exit' },
          ],
        }),
      'definition.steps[0].condition.inSegment',
    ],
    [
      'an unknown destination',
      () =>
        definition({ steps: [{ id: 's', type: 'send', destination: '00000000-0000-4000-8000-000000000002', message: { text: 'hi' } }] }),
      'definition.steps[0].destination',
    ],
    [
      'a send through a list connector',
      () => definition({ steps: [{ id: 's', type: 'send', destination: listDestinationId, message: { text: 'hi' } }] }),
      'definition.steps[0].destination',
    ],
    [
      'an audience step on a send-time connector',
      () => definition({ steps: [{ id: 'a', type: 'audience', destination: smsDestinationId, action: 'add' }] }),
      'definition.steps[0].destination',
    ],
    [
      'a message without text, html or templateId',
      () => definition({ steps: [{ id: 's', type: 'send', destination: smsDestinationId, message: { subject: 'only a subject' } }] }),
      'definition.steps[0].message',
    ],
    [
      'a placeholder of an unknown computed trait',
      () => definition({ steps: [{ id: 's', type: 'send', destination: smsDestinationId, message: { text: 'hi {{computed.nope}}' } }] }),
      'definition.steps[0].message.text',
    ],
  ])('refuses %s with a 400 naming the field and writes nothing', async (_case, body, path) => {
    const before = await counts();
    const refused = await call('POST', '/journeys', { key: 'refused', name: 'Refused', definition: body() });
    expect(refused.status).toBe(400);
    expect(refused.body.code).toBe('invalid_request');
    expect(refused.body.details.map((detail: { path: string }) => detail.path)).toContain(path);
    expect(await counts()).toEqual(before);
    // The same definition through PUT on an existing journey: no new version either.
    const put = await call('PUT', '/journeys/win_back/definition', { definition: body() });
    expect(put.status).toBe(400);
    expect(put.body.details.map((detail: { path: string }) => detail.path)).toContain(path);
    expect(await counts()).toEqual(before);
  });

  it('refuses a bad key naming key', async () => {
    const refused = await call('POST', '/journeys', { key: 'Bad Key', name: 'x', definition: definition() });
    expect(refused.status).toBe(400);
    expect(refused.body.details[0].path).toBe('key');
  });

  it('PUT makes a new version current and keeps the older ones', async () => {
    const changed = definition({ holdoutShare: 0.2 });
    const put = await call('PUT', '/journeys/win_back/definition', { definition: changed });
    expect(put.status).toBe(200);
    expect(put.body.currentVersion).toBe(2);
    expect(put.body.definition.holdoutShare).toBe(0.2);
    expect(put.body.versions.map((v: { version: number }) => v.version)).toEqual([1, 2]);
    const stored: { version: number; holdout: number }[] = await db.dataSource.query(
      `SELECT v.version, (v.definition->>'holdoutShare')::float AS holdout
       FROM journey_versions v JOIN journeys j ON j.id = v.journey_id WHERE j.key = 'win_back' ORDER BY v.version`,
    );
    expect(stored).toEqual([
      { version: 1, holdout: 0.1 },
      { version: 2, holdout: 0.2 },
    ]);
  });

  it('publish and pause move draft → live → paused → live, and refuse illegal moves with 409', async () => {
    const pauseDraft = await call('POST', '/journeys', { key: 'second', name: 'Second', definition: definition() });
    expect(pauseDraft.status).toBe(201);
    const refused = await call('POST', '/journeys/second/pause');
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('journey_transition_not_allowed');

    const live = await call('POST', '/journeys/win_back/publish');
    expect(live.status).toBe(200);
    expect(live.body.status).toBe('live');
    expect((await call('POST', '/journeys/win_back/publish')).status).toBe(409);
    const paused = await call('POST', '/journeys/win_back/pause');
    expect(paused.body.status).toBe('paused');
    expect((await call('POST', '/journeys/win_back/pause')).status).toBe(409);
    expect((await call('POST', '/journeys/win_back/publish')).body.status).toBe('live');
    expect(await db.dataSource.query(`SELECT key, status FROM journeys ORDER BY key`)).toEqual([
      { key: 'second', status: 'draft' },
      { key: 'win_back', status: 'live' },
    ]);
  });

  it('the list and the report count entries: every arm entered, not done in flight, goal reached; per step from the step log', async () => {
    const people: { id: string }[] = await db.dataSource.query(
      `INSERT INTO profiles (traits) SELECT '{}'::jsonb FROM generate_series(1, 5) RETURNING id`,
    );
    // The worker's rows, written by hand: [arm, state, outcome, next step index, steps logged with their outcome].
    const rows: [string, string, string | null, number, [string, string][]][] = [
      [
        'treatment',
        'active',
        null,
        2,
        [
          ['offer', 'sent'],
          ['pause', 'waited'],
        ],
      ],
      ['control', 'active', null, 0, []],
      ['treatment', 'waiting', null, 1, [['offer', 'sent']]],
      ['treatment', 'done', 'goal_reached', 1, [['offer', 'sent']]],
      ['control', 'done', 'completed', 0, []],
    ];
    for (const [index, [arm, state, outcome, stepIndex, logged]] of rows.entries()) {
      const [entry]: { id: string; journey_id: string }[] = await db.dataSource.query(
        `INSERT INTO journey_entries (journey_id, profile_id, entry_number, version, arm, entered_at, state, outcome, step_index)
         SELECT id, $1, 1, 1, $2, now(), $3, $4, $5 FROM journeys WHERE key = 'win_back' RETURNING id, journey_id`,
        [people[index].id, arm, state, outcome, stepIndex],
      );
      for (const [stepId, stepOutcome] of logged)
        await db.dataSource.query(
          `INSERT INTO journey_step_log (entry_id, step_id, journey_id, outcome, at) VALUES ($1, $2, $3, $4, now())`,
          [entry.id, stepId, entry.journey_id, stepOutcome],
        );
    }
    const items: { key: string; entered: number; inFlight: number; goalReached: number }[] = (
      await call('GET', '/journeys', undefined, keys.viewer)
    ).body.items;
    expect(items.map(({ key, entered, inFlight, goalReached }) => ({ key, entered, inFlight, goalReached }))).toEqual([
      { key: 'second', entered: 0, inFlight: 0, goalReached: 0 },
      { key: 'win_back', entered: 5, inFlight: 3, goalReached: 1 },
    ]);

    const report = await call('GET', '/journeys/win_back/report', undefined, keys.viewer);
    expect(report.status).toBe(200);
    expect(report.body.journey.key).toBe('win_back');
    expect(report.body.version).toBe(2);
    expect(report.body.totals).toMatchObject({ entered: 5, treatment: 3, control: 2, inFlight: 3, goalReached: 1 });
    const byStep = Object.fromEntries(
      report.body.steps.map((step: { id: string; entered: number; sent: number; waiting: number; goalReached: number }) => [
        step.id,
        [step.entered, step.sent, step.waiting, step.goalReached],
      ]),
    );
    // [entered, sent, waiting, goal reached while it was next]
    expect(byStep).toEqual({ offer: [3, 3, 0, 0], pause: [2, 0, 1, 1], retarget: [0, 0, 0, 0], vip: [0, 0, 0, 0], done: [0, 0, 0, 0] });
    // Nobody's 14-day goal window has closed: no lift yet, and the report says why.
    expect(report.body.lift).toEqual({ available: false, reason: expect.stringContaining('goal window') });
    expect((await call('GET', '/journeys/nope/report', undefined, keys.viewer)).status).toBe(404);
  });

  it("the report's lift compares treated and control entries whose goal window has closed (libs/experimentation's report)", async () => {
    const created = await call('POST', '/journeys', { key: 'lifted', name: 'Lifted', definition: definition() });
    expect(created.status).toBe(201);
    // 20 entries 20 days ago (the 14-day window closed): treatment 0–9 with 6 orders, control 10–19 with 2.
    const people: { id: string }[] = await db.dataSource.query(
      `INSERT INTO profiles (traits) SELECT '{}'::jsonb FROM generate_series(1, 20) RETURNING id`,
    );
    await db.dataSource.query(
      `INSERT INTO journey_entries (journey_id, profile_id, entry_number, version, arm, entered_at, state, outcome)
       SELECT $1, p.id, 1, 1, CASE WHEN p.n <= 10 THEN 'treatment' ELSE 'control' END, now() - interval '20 days', 'done', 'completed'
       FROM unnest($2::uuid[]) WITH ORDINALITY AS p(id, n)`,
      [created.body.id, people.map((person) => person.id)],
    );
    const buyers = [...people.slice(0, 6), ...people.slice(10, 12)];
    await db.dataSource.query(
      `INSERT INTO events (message_id, profile_id, type, name, timestamp)
       SELECT 'order-' || p.id, p.id, 'track', 'Order Completed', now() - interval '15 days' FROM unnest($1::uuid[]) AS p(id)`,
      [buyers.map((person) => person.id)],
    );
    const report = await call('GET', '/journeys/lifted/report', undefined, keys.viewer);
    expect(report.status).toBe(200);
    expect(report.body.lift).toMatchObject({
      available: true,
      journeyId: created.body.id,
      kpi: { event: 'Order Completed', windowDays: 14, valueProperty: null },
      report: { arms: { treatment: { members: 10, conversions: 6 }, control: { members: 10, conversions: 2 } } },
    });
  });

  it('publishing re-checks the definition against the database: a destination deleted since is a 400 naming it', async () => {
    const destination = await call(
      'POST',
      '/destinations',
      { name: 'doomed', connector: 'test-sms', settings: { from: '+447700900124' } },
      keys.admin,
    );
    const steps = [{ id: 'offer', type: 'send', destination: destination.body.id, message: { text: 'hi' } }];
    expect((await call('POST', '/journeys', { key: 'doomed', name: 'Doomed', definition: definition({ steps }) })).status).toBe(201);
    expect((await call('DELETE', `/destinations/${destination.body.id}`, undefined, keys.admin)).status).toBe(204);
    const refused = await call('POST', '/journeys/doomed/publish');
    expect(refused.status).toBe(400);
    expect(refused.body.details).toEqual([{ path: 'definition.steps[0].destination', message: `no destination ${destination.body.id}` }]);
    expect((await call('GET', '/journeys/doomed')).body.status).toBe('draft');
  });

  it('404 for an unknown journey; a viewer reads but cannot write', async () => {
    expect((await call('GET', '/journeys/nope')).status).toBe(404);
    expect((await call('POST', '/journeys/nope/publish')).status).toBe(404);
    const before = await counts();
    expect((await call('POST', '/journeys', { key: 'viewer', name: 'v', definition: definition() }, keys.viewer)).status).toBe(403);
    expect((await call('PUT', '/journeys/win_back/definition', { definition: definition() }, keys.viewer)).status).toBe(403);
    expect((await call('POST', '/journeys/win_back/pause', undefined, keys.viewer)).status).toBe(403);
    expect(await counts()).toEqual(before);
    expect((await call('GET', '/journeys/win_back', undefined, keys.viewer)).body.status).toBe('live');
  });
});
