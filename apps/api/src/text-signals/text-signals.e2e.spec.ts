import { ComputedTraitsService, TextSignalsService } from '@audiencekit/segments-service';
import { ApiKeyService } from '@audiencekit/server-core';
import { basicAuth, startTrackingApi, stopTrackingApi, TrackingTestApi } from '../tracking/__tests__/tracking-test-kit';

/**
 * Text signals through the real API on a real Postgres: /text-signals by role with each bad field a
 * 400 naming it and nothing written; then reviews tracked through /v1/track, scored by the worker's
 * pass, feeding a computed trait, and a privacy deletion taking the text, its signals and the derived
 * value away together.
 */
describe('text signals API', () => {
  let kit: TrackingTestApi;
  let marketer: string;
  let viewer: string;
  let admin: string;
  // The answers' shapes are what the tests assert.
  const call = async (method: string, path: string, authorization: string, body?: unknown): Promise<{ status: number; body: any }> => {
    const response = await fetch(`${kit.api.baseUrl}${path}`, {
      method,
      headers: { authorization, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: await response.json().catch(() => null) };
  };
  const configs = async (): Promise<number> => (await kit.db.dataSource.query(`SELECT count(*)::int AS n FROM text_signal_configs`))[0].n;
  const vocabularies = { 'price-sensitive': ['price', 'expensive', 'discount'] };

  beforeAll(async () => {
    kit = await startTrackingApi();
    const keys = kit.api.app.get(ApiKeyService);
    marketer = `Bearer ${(await keys.create('marketer', 'marketer')).secret}`;
    viewer = `Bearer ${(await keys.create('viewer', 'viewer')).secret}`;
    admin = `Bearer ${(await keys.create('dpo', 'admin')).secret}`;
  });
  afterAll(async () => {
    await stopTrackingApi(kit ?? {});
  });

  it.each([
    [{ property: 'text', vocabularies }, 'event'],
    [{ event: 'Review Submitted', property: 'a..b', vocabularies }, 'property'],
    [{ event: 'Review Submitted', property: 'text', vocabularies: { 'Price Sensitive': ['price'] } }, 'vocabularies.Price Sensitive'],
    [
      { event: 'Review Submitted', property: 'text', vocabularies: { 'price-sensitive': ['price', ' '] } },
      'vocabularies.price-sensitive[1]',
    ],
    [{ event: 'Review Submitted', property: 'text', vocabularies: { 'price-sensitive': [] } }, 'vocabularies.price-sensitive'],
    [{ event: 'Review Submitted', property: 'text', language: 'en' }, ''],
  ])('POST %j: 400 naming %s, nothing stored', async (body, path) => {
    const refused = await call('POST', '/text-signals', marketer, body);
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ code: 'invalid_request', details: [expect.objectContaining({ path })] });
    expect(await configs()).toBe(0);
  });

  it('viewers read, marketers write; one configuration per event; unknown events are 404', async () => {
    const body = { event: 'Review Submitted', property: 'text', vocabularies };
    expect((await call('POST', '/text-signals', viewer, body)).status).toBe(403);
    expect((await call('POST', '/text-signals', basicAuth(kit.writeKey), body)).status).toBe(401);
    const created = await call('POST', '/text-signals', marketer, body);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ event: 'Review Submitted', property: 'text', vocabularies, scoredUntil: null, eventsScored: 0 });
    expect(await call('POST', '/text-signals', marketer, body)).toMatchObject({ status: 409, body: { code: 'text_signal_config_exists' } });
    expect((await call('GET', '/text-signals/Review%20Submitted', viewer)).body.property).toBe('text');
    expect((await call('GET', '/text-signals', viewer)).body).toHaveLength(1);
    const changed = await call('PUT', '/text-signals/Review%20Submitted', marketer, {
      vocabularies: { ...vocabularies, eco: ['recycled'] },
    });
    expect([changed.status, Object.keys(changed.body.vocabularies).sort()]).toEqual([200, ['eco', 'price-sensitive']]);
    expect((await call('PUT', '/text-signals/Review%20Submitted', marketer, { property: 'items.0' })).body).toMatchObject({
      code: 'invalid_request',
      details: [expect.objectContaining({ path: 'property' })],
    });
    expect((await call('PUT', '/text-signals/Review%20Submitted', viewer, { property: 'body' })).status).toBe(403);
    expect((await call('GET', '/text-signals/Nope', viewer)).body).toMatchObject({ code: 'text_signal_config_not_found' });
    expect((await call('GET', '/text-signals/Nope', viewer)).status).toBe(404);
    expect((await call('POST', '/text-signals', marketer, { event: 'Gone', property: 'text' })).status).toBe(201);
    expect((await call('DELETE', '/text-signals/Gone', marketer)).status).toBe(204);
    expect((await call('DELETE', '/text-signals/Gone', marketer)).status).toBe(404);
  });

  it('a privacy deletion removes the review text, the signals scored from it and the trait derived from them', async () => {
    const review = (userId: string, messageId: string, text: string) =>
      fetch(`${kit.api.baseUrl}/v1/track`, {
        method: 'POST',
        headers: { authorization: basicAuth(kit.writeKey), 'content-type': 'application/json' },
        body: JSON.stringify({ userId, messageId, event: 'Review Submitted', properties: { text } }),
      });
    expect((await review('ann', 'r-ann', 'Far too expensive, I hate it.')).status).toBe(200);
    expect((await review('bob', 'r-bob', 'Lovely, and a fair price.')).status).toBe(200);
    expect(await kit.api.app.get(TextSignalsService).scorePending()).toEqual({ ran: true, scored: 2 });
    const traits = kit.api.app.get(ComputedTraitsService);
    await traits.create(
      {
        key: 'avg_sentiment_90d',
        description: '',
        owner: 'crm',
        cadence: 'manual',
        definition: { function: 'avg', event: 'Review Submitted', signal: 'sentiment.compound', window: 'last 90 days' },
      },
      null,
    );
    await traits.run('avg_sentiment_90d');
    const held = async (userId: string) =>
      (
        await kit.db.dataSource.query(
          `SELECT (SELECT count(*)::int FROM events e WHERE e.message_id = $2) AS events,
                  (SELECT count(*)::int FROM events e WHERE e.properties::text LIKE $3 OR e.signals::text LIKE '%sentiment%' AND e.message_id = $2) AS text_or_signals,
                  (SELECT count(*)::int FROM computed_trait_values v WHERE v.profile_id = (SELECT profile_id FROM events WHERE message_id = $2)) AS values,
                  $1::text AS who`,
          [userId, `r-${userId}`, userId === 'ann' ? '%Far too expensive%' : '%fair price%'],
        )
      )[0];
    expect(await held('ann')).toMatchObject({ events: 1, text_or_signals: 1, values: 1 });
    const [annProfile] = await kit.db.dataSource.query(`SELECT profile_id FROM events WHERE message_id = 'r-ann'`);

    const erased = await call('POST', '/privacy/deletions', admin, { identifierType: 'user_id', value: 'ann' });
    expect(erased.status).toBe(202);
    expect(erased.body.deleted).toMatchObject({ events: 1 });
    expect(await held('ann')).toMatchObject({ events: 0, text_or_signals: 0 });
    const [left] = await kit.db.dataSource.query(
      `SELECT (SELECT count(*)::int FROM events WHERE profile_id = $1) AS events, (SELECT count(*)::int FROM computed_trait_values WHERE profile_id = $1) AS values`,
      [annProfile.profile_id],
    );
    expect(left).toEqual({ events: 0, values: 0 });
    // A later refresh gives the tombstone no value back; bob keeps his.
    await traits.run('avg_sentiment_90d');
    expect(
      (
        await kit.db.dataSource.query(`SELECT count(*)::int AS n FROM computed_trait_values WHERE profile_id = $1`, [annProfile.profile_id])
      )[0].n,
    ).toBe(0);
    expect(await held('bob')).toMatchObject({ events: 1, text_or_signals: 1, values: 1 });
  });
});
