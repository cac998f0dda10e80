import { ApiKeyService } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import type { RunningApi } from '../../../test/api-test-app';
import { callApi, startActivationsTestApi } from './activations-test-app';
import { TEST_CONNECTORS, testListConnector } from './test-connectors';

/** An ads audience connector (a list kept at the vendor, channel `ads`), like Meta or Google. */
const testAdsConnector = { ...testListConnector, slug: 'test-ads', displayName: 'Test ads vendor', channel: 'ads' as const };

/**
 * "Plays in one step" (issue #23) through the real API on a real Postgres: `POST /plays` creates the
 * four quadrant segments and exactly their four plays in one transaction (a refusal at the last step
 * leaves nothing), 400s name the field, and each play is then edited through its normal routes.
 */
describe('POST /plays', () => {
  let db: TestDatabase;
  let api: RunningApi;
  const keys: Record<'admin' | 'marketer' | 'viewer', string> = { admin: '', marketer: '', viewer: '' };
  const destinations: Record<'sms' | 'list' | 'ads' | 'unused', string> = { sms: '', list: '', ads: '', unused: '' };
  let prospectingId: string;
  const call = (method: string, path: string, body?: unknown, key = keys.marketer) => callApi(api.baseUrl, key, method, path, body);
  const counts = async () =>
    (
      await db.dataSource.query(
        `SELECT (SELECT count(*)::int FROM segments) AS segments, (SELECT count(*)::int FROM segment_versions) AS versions,
                (SELECT count(*)::int FROM activations) AS activations, (SELECT count(*)::int FROM activation_exclusions) AS exclusions,
                (SELECT count(*)::int FROM frequency_caps) AS caps, (SELECT count(*)::int FROM journeys) AS journeys`,
      )
    )[0];
  const plays = (overrides: Record<string, unknown> = {}, destinationOverrides: Record<string, unknown> = {}) => ({
    intentSegment: 'intent',
    valueSegment: 'value',
    destinations: { owned: 'sms', retargeting: destinations.list, winBack: destinations.sms, paidMedia: 'ads', ...destinationOverrides },
    ...overrides,
  });

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startActivationsTestApi(db.url, { connectors: [...TEST_CONNECTORS, testAdsConnector] });
    for (const role of ['admin', 'marketer', 'viewer'] as const) keys[role] = (await api.app.get(ApiKeyService).create(role, role)).secret;
    const rules = (trait: string) => ({
      type: 'rules',
      match: { type: 'all', conditions: [{ type: 'trait', trait, operator: 'exists' }] },
    });
    const intent = await call('POST', '/segments', { key: 'intent', name: 'High intent', owner: 'growth', definition: rules('cart') });
    const value = await call('POST', '/segments', {
      key: 'value',
      name: 'High value',
      owner: 'crm',
      kpi: { event: 'Purchase', windowDays: 30 },
      definition: rules('ltv'),
    });
    expect([intent.status, value.status]).toEqual([201, 201]);
    // 40 people: intent 0–19, value 10–29, so each quadrant holds 10.
    const people: { id: string }[] = await db.dataSource.query(
      `INSERT INTO profiles (traits) SELECT '{}'::jsonb FROM generate_series(1, 40) RETURNING id`,
    );
    const ids = people.map((row) => row.id);
    for (const [segmentId, members] of [
      [intent.body.id, ids.slice(0, 20)],
      [value.body.id, ids.slice(10, 30)],
    ] as const)
      await db.dataSource.query(
        `INSERT INTO segment_memberships (segment_id, profile_id, entered_at, run_id) SELECT $1, unnest($2::uuid[]), now(), gen_random_uuid()`,
        [segmentId, members],
      );
    const destination = async (body: Record<string, unknown>) => (await call('POST', '/destinations', body, keys.admin)).body.id as string;
    destinations.sms = await destination({ name: 'sms', connector: 'test-sms', settings: { from: '+447700900123' } });
    destinations.list = await destination({
      name: 'email list',
      connector: 'test-list',
      settings: { listId: 'L' },
      secrets: { apiKey: 'sk_test_12345678' },
    });
    destinations.ads = await destination({
      name: 'ads',
      connector: 'test-ads',
      settings: { listId: 'A' },
      secrets: { apiKey: 'sk_test_12345678' },
    });
    destinations.unused = await destination({
      name: 'unused ads',
      connector: 'test-ads',
      settings: { listId: 'U' },
      secrets: { apiKey: 'sk_test_12345678' },
    });
    // The paid-media activation the exclusion play applies to.
    const prospecting = await call('POST', '/activations', {
      name: 'prospecting',
      segmentId: intent.body.id,
      destinationId: destinations.ads,
      mode: 'mirror',
    });
    expect(prospecting.status).toBe(201);
    prospectingId = prospecting.body.id;
  }, 60_000);

  afterAll(async () => {
    await api.close();
    await db.drop();
  });

  it.each([
    ['an unknown intent segment', () => plays({ intentSegment: 'nope' }), 'intentSegment'],
    ['the same segment twice', () => plays({ valueSegment: 'intent' }), 'valueSegment'],
    ['an owned channel that cannot send', () => plays({}, { owned: destinations.list }), 'destinations.owned'],
    ['a retargeting destination that keeps no audience', () => plays({}, { retargeting: 'sms' }), 'destinations.retargeting'],
    ['a win-back destination that cannot send', () => plays({}, { winBack: 'ads' }), 'destinations.winBack'],
    ['an unknown paid-media destination', () => plays({}, { paidMedia: ['ads', 'nope'] }), 'destinations.paidMedia[1]'],
    [
      'a paid-media destination no activation uses (found after everything else was written)',
      () => plays({}, { paidMedia: 'unused ads' }),
      'destinations.paidMedia',
    ],
    ['an owned message without text', () => plays({ ownedMessage: { subject: 'only' } }), 'ownedMessage'],
    [
      'an owned message with an unknown computed trait',
      () => plays({ ownedMessage: { text: 'hi {{computed.nope}}' } }),
      'ownedMessage.text',
    ],
    ['two offers', () => plays({ offers: ['a', 'b'] }), 'offers'],
    ['a wait of 0 days', () => plays({ waitDays: 0 }), 'waitDays'],
    ['a bad key', () => plays({ key: 'Bad Key' }), 'key'],
  ])('refuses %s: 400 naming the field, nothing written', async (_case, body, path) => {
    const before = await counts();
    const refused = await call('POST', '/plays', body());
    expect(refused.status).toBe(400);
    expect(refused.body.details.map((detail: { path: string }) => detail.path)).toContain(path);
    expect(await counts()).toEqual(before);
  });

  it('refuses a key whose segment exists with 409 naming key, after writing a quadrant it then rolls back', async () => {
    const taken = await call('POST', '/segments', {
      key: 'taken_hi_lv',
      name: 'in the way',
      owner: 'crm',
      definition: { type: 'rules', match: { type: 'all', conditions: [{ type: 'trait', trait: 'x', operator: 'exists' }] } },
    });
    expect(taken.status).toBe(201);
    const before = await counts();
    const refused = await call('POST', '/plays', plays({ key: 'taken' }));
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('segment_key_taken');
    expect(refused.body.details).toEqual([{ path: 'key', message: 'is taken' }]);
    expect(await counts()).toEqual(before);
    expect(await db.dataSource.query(`SELECT key FROM segments WHERE key LIKE 'taken%' ORDER BY key`)).toEqual([{ key: 'taken_hi_lv' }]);
  });

  it('a viewer cannot create plays', async () => {
    expect((await call('POST', '/plays', plays(), keys.viewer)).status).toBe(403);
  });

  it('creates the four quadrant segments and exactly the four plays, in one call', async () => {
    const before = await counts();
    const created = await call('POST', '/plays', plays({ offers: ['10% off', '15% off', '20% off'], waitDays: 2 }));
    expect(created.status).toBe(201);
    const body = created.body;
    expect(body.segments.map((segment: { key: string; cell: string }) => [segment.cell, segment.key])).toEqual([
      ['high_intent_high_value', 'intent_x_value_hi_hv'],
      ['high_intent_low_value', 'intent_x_value_hi_lv'],
      ['low_intent_high_value', 'intent_x_value_li_hv'],
      ['low_intent_low_value', 'intent_x_value_li_lv'],
    ]);
    const [highHigh, highLow, lowHigh, lowLow] = body.segments as { id: string; definition: unknown }[];
    // The quadrants partition the 40 people, 10 each (previews read the inputs' memberships).
    for (const segment of body.segments as { definition: unknown }[]) {
      const preview = await call('POST', '/segments/preview', { definition: segment.definition, sampleSize: 0 });
      expect(preview.status).toBe(200);
      expect(preview.body.size).toBe(10);
    }

    expect(
      body.activations.map((a: { play: string; segmentId: string; destinationId: string; mode: string }) => [
        a.play,
        a.segmentId,
        a.destinationId,
        a.mode,
      ]),
    ).toEqual([
      ['owned_send', highHigh.id, destinations.sms, 'send'],
      ['retargeting', highLow.id, destinations.list, 'mirror'],
      ['paid_media_exclusion', (await call('GET', `/activations/${prospectingId}`)).body.segmentId, destinations.ads, 'mirror'],
    ]);
    expect(body.activations[2].id).toBe(prospectingId);
    expect(body.activations[2].excludeSegmentIds).toEqual([lowLow.id]);
    // test-list is an email list: its channel gets a cap (none existed).
    expect(body.frequencyCap).toMatchObject({ channel: 'email', maxMessages: 3, windowHours: 168, reused: false });

    expect(body.journey).toMatchObject({ key: 'intent_x_value_winback', status: 'draft', currentVersion: 1 });
    const journey = (await call('GET', '/journeys/intent_x_value_winback', undefined, keys.viewer)).body;
    expect(journey.definition.entrySegmentId).toBe(lowHigh.id);
    // The value segment's KPI is the goal; three offers, rising, two days apart.
    expect(journey.definition.goal).toEqual({ event: 'Purchase', withinDays: 13 });
    expect(journey.definition.steps.map((step: { type: string }) => step.type)).toEqual(['send', 'wait', 'send', 'wait', 'send']);
    expect(
      journey.definition.steps
        .filter((step: { type: string }) => step.type === 'send')
        .map((step: { message: { text: string } }) => step.message.text),
    ).toEqual(['We miss you! Come back for 10% off.', 'We miss you! Come back for 15% off.', 'We miss you! Come back for 20% off.']);
    expect(journey.definition.steps[1].seconds).toBe(2 * 86_400);

    // Exactly these rows, nothing more.
    expect(await counts()).toEqual({
      ...before,
      segments: before.segments + 4,
      versions: before.versions + 4,
      activations: before.activations + 2,
      exclusions: before.exclusions + 1,
      caps: before.caps + 1,
      journeys: before.journeys + 1,
    });
  });

  it('each play is a normal object, edited through its own routes', async () => {
    const segmentId = (await call('GET', '/segments?limit=500')).body.items.find(
      (s: { key: string }) => s.key === 'intent_x_value_hi_hv',
    ).id;
    const owned = (await call('GET', `/activations?segmentId=${segmentId}`)).body.items[0];
    const edited = await call('PATCH', `/activations/${owned.id}`, { message: { text: 'Your personal offer' } });
    expect(edited.status).toBe(200);
    expect(edited.body.message).toEqual({ text: 'Your personal offer' });
    const renamed = await call('PATCH', `/segments/${segmentId}`, { name: 'VIP shoppers now' });
    expect(renamed.status).toBe(200);
    expect(renamed.body.name).toBe('VIP shoppers now');

    const journey = (await call('GET', '/journeys/intent_x_value_winback')).body;
    const steps = journey.definition.steps.map((step: Record<string, unknown>) =>
      step.id === 'offer_3' ? { ...step, message: { text: '25% off' } } : step,
    );
    const put = await call('PUT', '/journeys/intent_x_value_winback/definition', { definition: { ...journey.definition, steps } });
    expect(put.status).toBe(200);
    expect(put.body.currentVersion).toBe(2);
    expect((await call('POST', '/journeys/intent_x_value_winback/publish')).body.status).toBe('live');
    const unexcluded = await call('PATCH', `/activations/${prospectingId}`, { excludeSegments: [] });
    expect(unexcluded.body.excludeSegmentIds).toEqual([]);
  });

  it('an ads retargeting audience gets no cap (frequency is the vendor campaign’s), and is itself excluded from low ∧ low as paid media', async () => {
    const capsBefore = (await counts()).caps;
    const created = await call('POST', '/plays', plays({ key: 'ads_play' }, { retargeting: 'ads', paidMedia: destinations.ads }));
    expect(created.status).toBe(201);
    expect(created.body.frequencyCap).toBeNull();
    expect((await counts()).caps).toBe(capsBefore);
    const lowLow = created.body.segments[3];
    const retargeting = created.body.activations.find((a: { play: string }) => a.play === 'retargeting');
    const others = created.body.activations.filter((a: { play: string }) => a.play === 'paid_media_exclusion');
    expect(others.map((a: { id: string }) => a.id)).toEqual([prospectingId]);
    expect(created.body.paidMediaExclusion).toEqual({
      segmentId: lowLow.id,
      activationIds: expect.arrayContaining([prospectingId, retargeting.id]),
    });
    expect(created.body.paidMediaExclusion.activationIds).toHaveLength(2);
    expect(retargeting.excludeSegmentIds).toEqual([lowLow.id]);
    expect((await call('GET', `/activations/${retargeting.id}`)).body.excludeSegmentIds).toEqual([lowLow.id]);
    // Without offers in the body, the default three escalate.
    const journey = (await call('GET', '/journeys/ads_play_winback')).body;
    expect(journey.definition.steps[0].message.text).toBe('We miss you! Come back for 10% off your next order.');
  });
});
