import { gzipSync } from 'node:zlib';
import type { TestDatabase } from '@audiencekit/testing';
import type { RunningApi } from '../../../test/api-test-app';
import { basicAuth, profileOf, startTrackingApi, stopTrackingApi } from './tracking-test-kit';

// Each single-call route of the Segment HTTP API, sent as the spec documents it, and what it stores.
describe('tracking API: the single-call routes', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let writeKey: string;

  beforeAll(async () => {
    ({ db, api, writeKey } = await startTrackingApi());
  });
  afterAll(() => stopTrackingApi({ db, api }));

  async function send(path: string, body: unknown, gzip = false) {
    const json = JSON.stringify(body);
    const response = await fetch(`${api.baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: basicAuth(writeKey), ...(gzip ? { 'content-encoding': 'gzip' } : {}) },
      body: gzip ? gzipSync(json) : json,
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  const eventRow = async (messageId: string) =>
    (
      await db.dataSource.query(
        `SELECT type, name, properties, user_id, anonymous_id, timestamp, profile_id FROM events WHERE message_id = $1`,
        [messageId],
      )
    )[0];

  it('POST /v1/identify stores the call and sets the traits', async () => {
    const answer = await send('/v1/identify', {
      messageId: 'ep-identify',
      userId: 'ep-u1',
      traits: { email: 'EP@Example.com', plan: 'team' },
      timestamp: '2024-04-01T10:00:00Z',
    });
    expect(answer).toEqual({ status: 200, body: { success: true, stored: 1, duplicates: 0 } });
    const profile = await profileOf(db.dataSource, 'user_id', 'ep-u1');
    expect(profile?.traits).toEqual({ email: 'EP@Example.com', plan: 'team' });
    expect(profile?.identities).toEqual([
      { type: 'email', value: 'ep@example.com' },
      { type: 'user_id', value: 'ep-u1' },
    ]);
  });

  it('POST /v1/track (gzip) stores the event with its name and properties', async () => {
    const answer = await send(
      '/v1/track',
      { messageId: 'ep-track', userId: 'ep-u1', event: 'Order Completed', properties: { revenue: 12.5 } },
      true,
    );
    expect(answer.status).toBe(200);
    expect(await eventRow('ep-track')).toMatchObject({
      type: 'track',
      name: 'Order Completed',
      properties: { revenue: 12.5 },
      user_id: 'ep-u1',
    });
  });

  it('POST /v1/page and /v1/screen keep the name, and the category among the properties', async () => {
    expect(
      (
        await send('/v1/page', {
          messageId: 'ep-page',
          anonymousId: 'ep-a1',
          name: 'Pricing',
          category: 'Docs',
          properties: { path: '/pricing' },
        })
      ).status,
    ).toBe(200);
    expect((await send('/v1/screen', { messageId: 'ep-screen', anonymousId: 'ep-a1', name: 'Basket' })).status).toBe(200);
    expect(await eventRow('ep-page')).toMatchObject({
      type: 'page',
      name: 'Pricing',
      properties: { path: '/pricing', category: 'Docs' },
      anonymous_id: 'ep-a1',
    });
    expect(await eventRow('ep-screen')).toMatchObject({ type: 'screen', name: 'Basket', properties: {} });
  });

  it("POST /v1/group stores the group id and its traits, which never become the person's identifiers", async () => {
    const answer = await send('/v1/group', {
      messageId: 'ep-group',
      userId: 'ep-u1',
      groupId: 'acme',
      traits: { email: 'billing@acme.io', employees: 40 },
    });
    expect(answer.status).toBe(200);
    expect(await eventRow('ep-group')).toMatchObject({
      type: 'group',
      properties: { groupId: 'acme', traits: { email: 'billing@acme.io', employees: 40 } },
    });
    expect(await db.dataSource.query(`SELECT count(*)::int AS n FROM identities WHERE value = 'billing@acme.io'`)).toEqual([{ n: 0 }]);
  });

  it('POST /v1/alias merges the anonymous profile into the user, moving its events', async () => {
    const anonymous = await profileOf(db.dataSource, 'anonymous_id', 'ep-a1');
    const user = await profileOf(db.dataSource, 'user_id', 'ep-u1');
    expect(anonymous?.id).not.toBe(user?.id);
    expect(anonymous?.events).toHaveLength(2);

    const answer = await send('/v1/alias', { messageId: 'ep-alias', userId: 'ep-u1', previousId: 'ep-a1' });
    expect(answer).toEqual({ status: 200, body: { success: true, stored: 1, duplicates: 0 } });
    const merged = await profileOf(db.dataSource, 'anonymous_id', 'ep-a1');
    expect(merged?.id).toBe(user?.id);
    expect(merged?.events.map((event) => event.message_id).sort()).toEqual([
      'ep-alias',
      'ep-group',
      'ep-identify',
      'ep-page',
      'ep-screen',
      'ep-track',
    ]);
    expect(await db.dataSource.query(`SELECT merged_into FROM profiles WHERE id = $1`, [anonymous?.id])).toEqual([
      { merged_into: user?.id },
    ]);
  });

  it('answers a retried single call with duplicates: 1 and stores it once', async () => {
    const answer = await send('/v1/track', {
      messageId: 'ep-track',
      userId: 'ep-u1',
      event: 'Order Completed',
      properties: { revenue: 12.5 },
    });
    expect(answer).toEqual({ status: 200, body: { success: true, stored: 0, duplicates: 1 } });
    expect(await db.dataSource.query(`SELECT count(*)::int AS n FROM events WHERE message_id = 'ep-track'`)).toEqual([{ n: 1 }]);
  });
});
