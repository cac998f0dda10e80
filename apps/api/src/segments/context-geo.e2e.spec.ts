import { CONTEXT_GEO_EXAMPLES } from '@audiencekit/segments-domain';
import { RealtimeEvaluator } from '@audiencekit/segments-service';
import { ApiKeyService } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { RunningApi, startTestApi } from '../../test/api-test-app';
import { basicAuth, createWriteKey } from '../tracking/__tests__/tracking-test-kit';

const HISTORY_DAYS = 90;
const DAY = 86_400_000;
const BERLIN = { country: 'DE', region: 'BE', city: 'Berlin', postalCode: '10115', latitude: 52.52, longitude: 13.405 };
const PARIS = { country: 'FR', region: 'IDF', city: 'Paris', postalCode: '75001', latitude: 48.8566, longitude: 2.3522 };

/**
 * Event context, message type and geography (issue 20) through HTTP on a real Postgres: pages and
 * tracks with their context enter through the tracking API, segments on page path, campaign, device
 * and last known location are previewed, saved as real-time segments and moved by the real-time
 * evaluator when a new located event arrives; the profile explain names the location and the
 * distance; bad input is a 400 naming the field and nothing is saved.
 */
describe('context and geography conditions through the API', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let marketer: string;
  let admin: string;
  let writeKey: string;
  const people: Record<string, string> = {};
  const ago = (ms: number) => new Date(Date.now() - ms).toISOString();

  async function call(method: string, path: string, body?: unknown, key = marketer): Promise<{ status: number; body: any }> {
    const response = await fetch(`${api.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  }

  async function send(path: string, body: Record<string, unknown>): Promise<void> {
    const response = await fetch(`${api.baseUrl}${path}`, {
      method: 'POST',
      headers: { authorization: basicAuth(writeKey), 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (response.status !== 200) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  }

  const create = (key: string, definition: unknown, refreshCadence = 'realtime') =>
    call('POST', '/segments', { key, name: key, owner: 'crm-team', refreshCadence, definition });

  async function members(key: string): Promise<string[]> {
    const rows = await db.dataSource.query(
      `SELECT m.profile_id FROM segment_memberships m JOIN segments s ON s.id = m.segment_id WHERE s.key = $1 ORDER BY 1`,
      [key],
    );
    return rows.map((row: { profile_id: string }) => row.profile_id);
  }

  const named = (...names: string[]) => names.map((name) => people[name]).sort();

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startTestApi(db.url, { AK_REALTIME_HISTORY_DAYS: String(HISTORY_DAYS) });
    marketer = (await api.app.get(ApiKeyService).create('marketer', 'marketer')).secret;
    admin = (await api.app.get(ApiKeyService).create('admin', 'admin')).secret;
    writeKey = await createWriteKey(api);
    // Ann read the pricing page in Berlin; Bob read the blog in Paris and bought from the newsletter on his phone.
    await send('/v1/page', {
      messageId: 'ann-page',
      userId: 'u-ann',
      name: 'Pricing',
      properties: { path: '/pricing/team' },
      context: { page: { path: '/pricing/team', url: 'https://shop.example/pricing/team' }, location: BERLIN, locale: 'de-DE' },
      timestamp: ago(2 * DAY),
    });
    await send('/v1/page', {
      messageId: 'bob-page',
      userId: 'u-bob',
      name: 'Blog',
      context: { page: { path: '/blog/golf', referrer: 'https://news.example/' }, location: PARIS },
      timestamp: ago(3 * DAY),
    });
    await send('/v1/track', {
      messageId: 'bob-order',
      userId: 'u-bob',
      event: 'Order Completed',
      properties: { revenue: 40 },
      context: {
        campaign: { source: 'newsletter', name: 'spring' },
        device: { type: 'mobile' },
        timezone: 'Europe/Paris',
        location: PARIS,
      },
      timestamp: ago(DAY),
    });
    for (const user of ['u-ann', 'u-bob']) {
      const [row] = await db.dataSource.query(`SELECT profile_id FROM identities WHERE type = 'user_id' AND value = $1`, [user]);
      people[user.slice(2)] = row.profile_id;
    }
  }, 60_000);

  afterAll(async () => {
    await api?.close();
    await db?.drop();
  });

  it.each([
    ['a page path prefix', CONTEXT_GEO_EXAMPLES.pricingVisitor.definition, ['ann']],
    [
      'a campaign source, a device type and a time zone',
      {
        type: 'rules',
        match: {
          type: 'event',
          event: 'Order Completed',
          messageType: 'track',
          window: 'last 7 days',
          where: [
            { context: 'campaign.source', operator: 'equals', value: 'newsletter' },
            { context: 'device.type', operator: 'in', value: ['mobile', 'tablet'] },
            { context: 'timezone', operator: 'starts_with', value: 'Europe/' },
          ],
        },
      },
      ['bob'],
    ],
    [
      'a referrer or a locale',
      {
        type: 'rules',
        match: {
          type: 'any',
          conditions: [
            {
              type: 'event',
              messageType: 'page',
              window: 'last 7 days',
              where: [{ context: 'page.referrer', operator: 'contains', value: 'news' }],
            },
            {
              type: 'event',
              event: 'Pricing',
              window: 'last 7 days',
              where: [{ context: 'locale', operator: 'starts_with', value: 'de' }],
            },
          ],
        },
      },
      ['ann', 'bob'],
    ],
    ['a last known country', { type: 'rules', match: { type: 'location', country: ['FR'] } }, ['bob']],
    ['a postal-code prefix and a city', { type: 'rules', match: { type: 'location', postalCode: ['10'], city: ['Berlin'] } }, ['ann']],
    ['within 25 km of the Berlin store', CONTEXT_GEO_EXAMPLES.storeCatchment.definition, ['ann']],
  ])('previews %s', async (_title, definition, expected) => {
    const preview = await call('POST', '/segments/preview', { definition });
    expect(preview.status).toBe(200);
    expect([...preview.body.sample].sort()).toEqual(named(...expected));
    expect(preview.body.size).toBe(expected.length);
  });

  it('keeps a real-time store catchment current: a located event from Berlin moves Bob in', async () => {
    expect((await create('berlin-catchment', CONTEXT_GEO_EXAMPLES.storeCatchment.definition)).status).toBe(201);
    expect((await create('pricing-visitors', CONTEXT_GEO_EXAMPLES.pricingVisitor.definition)).status).toBe(201);
    const evaluator = api.app.get(RealtimeEvaluator);
    await evaluator.drain();
    expect(await members('berlin-catchment')).toEqual(named('ann'));
    expect(await members('pricing-visitors')).toEqual(named('ann'));
    // Bob opens the app in Berlin (a screen, any name): his last known location is now Berlin.
    await send('/v1/screen', {
      messageId: 'bob-screen',
      userId: 'u-bob',
      name: 'Home',
      context: { location: BERLIN },
      timestamp: ago(60_000),
    });
    await evaluator.drain();
    expect(await members('berlin-catchment')).toEqual(named('ann', 'bob'));
    expect(await members('pricing-visitors')).toEqual(named('ann'));
  });

  it('explains the location condition with the last location, its time and the distance', async () => {
    const { status, body } = await call('GET', `/profiles/${people.bob}/explain?segment=berlin-catchment`, undefined, admin);
    expect(status).toBe(200);
    expect(body).toMatchObject({ matches: true, member: true });
    expect(body.root.values).toMatchObject({ kind: 'location', locations: [BERLIN], distanceKm: 0 });
    const pricing = await call('GET', `/profiles/${people.bob}/explain?segment=pricing-visitors`, undefined, admin);
    expect(pricing.body).toMatchObject({ matches: false, member: false, root: { values: { kind: 'events', count: 0 } } });
  });

  it.each([
    [
      'a context filter without an operator',
      { type: 'event', messageType: 'page', window: 'last 7 days', where: [{ context: 'page.path' }] },
      'definition.match.where.0.operator',
    ],
    [
      'a filter with both a property and a context',
      { type: 'event', event: 'x', window: 'ever', where: [{ property: 'a', context: 'b', operator: 'exists' }] },
      'definition.match.where.0',
    ],
    ['a track condition without an event name', { type: 'event', messageType: 'track', window: 'ever' }, 'definition.match.event'],
    ['an unknown message type', { type: 'event', event: 'x', messageType: 'identify', window: 'ever' }, 'definition.match.messageType'],
    ['a location without a criterion', { type: 'location', window: 'last 7 days' }, 'definition.match'],
    ['a distance beyond half the globe', { type: 'location', near: { latitude: 0, longitude: 0, km: 30_000 } }, 'definition.match.near.km'],
  ])('refuses %s with a 400 naming the field, saving nothing', async (_title, match, path) => {
    const response = await create(`bad-${path.length}-${Math.random().toString(36).slice(2, 8)}`, { type: 'rules', match }, 'manual');
    expect(response.status).toBe(400);
    expect(response.body.details).toEqual(expect.arrayContaining([expect.objectContaining({ path })]));
    const [{ n }] = await db.dataSource.query(`SELECT count(*)::int AS n FROM segments WHERE key LIKE 'bad-%'`);
    expect(n).toBe(0);
  });

  it('refuses a real-time location reading further back than the real-time history', async () => {
    const response = await create('rt-country-ever', { type: 'rules', match: { type: 'location', country: ['DE'] } });
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('not_realtime_capable');
    expect(response.body.details).toEqual([{ path: 'definition.match', message: expect.stringContaining('a location without a window') }]);
    expect((await create('batch-country-ever', { type: 'rules', match: { type: 'location', country: ['DE'] } }, 'manual')).status).toBe(
      201,
    );
  });
});
