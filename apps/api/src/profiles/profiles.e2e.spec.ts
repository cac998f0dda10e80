import { resolveArm } from '@audiencekit/experimentation';
import { SegmentRefreshService } from '@audiencekit/segments-service';
import { ApiKeyService } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { RunningApi, startTestApi } from '../../test/api-test-app';
import { basicAuth, createWriteKey } from '../tracking/__tests__/tracking-test-kit';

/**
 * The profile routes end to end on a real Postgres: data enters through the tracking API (so
 * identities, trait times and merges are ingestion's own), a segment is created and refreshed
 * through the API, and the profile is looked up by every identifier, read whole, its events paged
 * and its membership explained. Bad input is a 400 naming the field; identifiers are masked below admin.
 */
describe('profiles API', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let keys: { viewer: string; marketer: string; admin: string };
  let writeKey: string;
  let ann: string;
  let anonymousLoser: string;
  let segmentId: string;
  let activationId: string;
  const now = Date.now();
  const ago = (ms: number) => new Date(now - ms).toISOString();

  async function get(path: string, key = keys.admin): Promise<{ status: number; body: any }> {
    const response = await fetch(`${api.baseUrl}${path}`, { headers: { authorization: `Bearer ${key}` } });
    return { status: response.status, body: await response.json() };
  }

  async function track(path: string, body: Record<string, unknown>): Promise<void> {
    const response = await fetch(`${api.baseUrl}${path}`, {
      method: 'POST',
      headers: { authorization: basicAuth(writeKey), 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (response.status !== 200) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startTestApi(db.url, { AK_REALTIME: 'false' });
    const service = api.app.get(ApiKeyService);
    keys = {
      viewer: (await service.create('viewer', 'viewer')).secret,
      marketer: (await service.create('marketer', 'marketer')).secret,
      admin: (await service.create('admin', 'admin')).secret,
    };
    writeKey = await createWriteKey(api);
    // A browser visit (anonymous), then a login that ties the anonymous id to the user: a merge.
    await track('/v1/identify', {
      messageId: 'm-anon',
      anonymousId: 'anon-1',
      traits: { phone: '+447911123456' },
      timestamp: ago(5 * 3_600_000),
    });
    await track('/v1/identify', {
      messageId: 'm-ann',
      userId: 'u-ann',
      traits: { email: 'Ann@Example.com', plan: 'pro', consent: { email_marketing: true } },
      timestamp: ago(4 * 3_600_000),
    });
    await track('/v1/track', {
      messageId: 'm-login',
      userId: 'u-ann',
      anonymousId: 'anon-1',
      event: 'Signed In',
      timestamp: ago(3 * 3_600_000),
    });
    for (const [index, hours] of [2, 1].entries())
      await track('/v1/track', {
        messageId: `m-add-${index}`,
        userId: 'u-ann',
        event: 'Product Added',
        properties: { price: 10 + index },
        timestamp: ago(hours * 3_600_000),
      });
    [{ profile_id: ann }] = await db.dataSource.query(`SELECT profile_id FROM identities WHERE type = 'user_id' AND value = 'u-ann'`);
    const losers = await db.dataSource.query(`SELECT id FROM profiles WHERE merged_into = $1`, [ann]);
    anonymousLoser = losers[0]?.id;

    const created = await fetch(`${api.baseUrl}/segments`, {
      method: 'POST',
      headers: { authorization: `Bearer ${keys.marketer}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        key: 'cart-abandoners',
        name: 'Cart abandoners',
        owner: 'crm',
        definition: {
          type: 'rules',
          match: {
            type: 'all',
            conditions: [
              { type: 'event', event: 'Product Added', window: 'last 1 days', count: { operator: 'at_least', value: 2 } },
              { type: 'not', condition: { type: 'event', event: 'Order Completed', window: 'last 1 days' } },
            ],
          },
        },
      }),
    });
    segmentId = ((await created.json()) as { id: string }).id;
    const refresh = api.app.get(SegmentRefreshService);
    const run = await refresh.requestRefresh(segmentId, 'api');
    if (!run) throw new Error('the refresh was not queued');
    await refresh.execute(run.id);

    await db.dataSource.query(
      `INSERT INTO global_holdout (id, share, salt, hash_version) VALUES (1, 0.3, 'global-salt', 1) ON CONFLICT (id) DO UPDATE SET share = 0.3, salt = 'global-salt'`,
    );
    const [destination] = await db.dataSource.query(`INSERT INTO destinations (name, connector) VALUES ('list', 'webhook') RETURNING id`);
    [{ id: activationId }] = await db.dataSource.query(
      `INSERT INTO activations (name, segment_id, destination_id, mode, holdout_share, holdout_salt) VALUES ('carts to list', $1, $2, 'mirror', 0.5, 'act-salt') RETURNING id`,
      [segmentId, destination.id],
    );
    await db.dataSource.query(
      `INSERT INTO suppressions (identifier_type, identifier_value, channel, reason) VALUES ('email', 'ann@example.com', 'sms', 'replied STOP')`,
    );
  }, 60_000);

  afterAll(async () => {
    await api?.close();
    await db?.drop();
  });

  it('the login merged the anonymous profile into the user', () => {
    expect(anonymousLoser).toBeDefined();
  });

  it.each([
    ['email', 'email=%20ANN@example.COM', 'ann@example.com', false],
    ['phone', 'phone=%2B44%207911%20123456', '+447911123456', false],
    ['phone without + and a country', 'phone=07911123456&country=GB', '+447911123456', false],
    ['user id', 'userId=u-ann', 'u-ann', false],
    ['the merged profile’s anonymous id', 'anonymousId=anon-1', 'anon-1', false],
  ])('looks up by %s, normalised as ingestion does', async (_label, query, value, merged) => {
    const answer = await get(`/profiles/lookup?${query}`);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ profileId: ann, matched: { value, merged } });
  });

  it('resolves a merged profile id to its winner', async () => {
    const answer = await get(`/profiles/lookup?profileId=${anonymousLoser}`);
    expect(answer.body).toEqual({
      profileId: ann,
      matched: { kind: 'profileId', value: anonymousLoser, profileId: anonymousLoser, merged: true },
    });
    expect((await get(`/profiles/${anonymousLoser}`)).body.id).toBe(ann);
  });

  it.each([
    ['email=not-an-email', 'query.email'],
    ['phone=12345', 'query.phone'],
    ['profileId=abc', 'query.profileId'],
    ['phone=07911123456&country=gb', 'query.country'],
    ['email=a@b.io&userId=u', 'query'],
    ['', 'query'],
    ['nickname=ann', 'query'],
  ])('refuses lookup ?%s with a 400 naming %s', async (query, field) => {
    const answer = await get(`/profiles/lookup?${query}`);
    expect(answer.status).toBe(400);
    expect(answer.body.details.map((detail: { path: string }) => detail.path)).toContain(field);
  });

  it('answers 404 for an identifier nobody has, and for an unknown profile id', async () => {
    expect((await get('/profiles/lookup?email=nobody@example.com')).body.code).toBe('unknown_profile');
    expect((await get(`/profiles/00000000-0000-4000-8000-000000000000`)).status).toBe(404);
    expect((await get(`/profiles/not-a-uuid`)).status).toBe(400);
  });

  it('shows identities, traits with time and source, memberships, arms, holdout, suppressions, consent and merges', async () => {
    const { status, body } = await get(`/profiles/${ann}`);
    expect(status).toBe(200);
    expect(body.identities.map((identity: any) => `${identity.type}:${identity.value}`).sort()).toEqual(
      ['anonymous_id:anon-1', 'email:ann@example.com', 'phone:+447911123456', 'user_id:u-ann'].sort(),
    );
    const plan = body.traits.find((trait: any) => trait.key === 'plan');
    expect(plan).toEqual({
      key: 'plan',
      value: 'pro',
      setAt: ago(4 * 3_600_000),
      source: { messageId: 'm-ann', sourceId: expect.any(String) },
    });
    const phone = body.traits.find((trait: any) => trait.key === 'phone');
    expect(phone.source?.messageId).toBe('m-anon');
    const [runId] = (await db.dataSource.query(`SELECT id FROM segment_runs WHERE segment_id = $1`, [segmentId])).map((row: any) => row.id);
    expect(body.memberships).toEqual([
      expect.objectContaining({ segmentId, key: 'cart-abandoners', cause: 'refresh', runId, version: 1, currentVersion: 1 }),
    ]);
    const global = { salt: 'global-salt', share: 0.3, hashVersion: 1 };
    expect(body.globalHoldout).toEqual({
      share: 0.3,
      hashVersion: 1,
      member: resolveArm({ globalHoldout: global, activation: { salt: 'x', share: 0 } }, ann) === 'global_holdout',
    });
    expect(body.activations).toEqual([
      expect.objectContaining({
        activationId,
        segmentKey: 'cart-abandoners',
        holdoutShare: 0.5,
        hashVersion: 1,
        arm: resolveArm({ globalHoldout: global, activation: { salt: 'act-salt', share: 0.5, hashVersion: 1 } }, ann),
        exposed: null,
        memberOfSegment: true,
      }),
    ]);
    expect(body.suppressions).toEqual([
      expect.objectContaining({ identifierType: 'email', identifierValue: 'ann@example.com', channel: 'sms', reason: 'replied STOP' }),
    ]);
    expect(body.consent).toEqual({ unsubscribed: false, categories: { email_marketing: true } });
    expect(body.merges).toEqual([expect.objectContaining({ profileId: anonymousLoser, mergedInto: ann, depth: 1 })]);
  });

  it('masks emails and phones below admin, everywhere in the profile', async () => {
    const { body } = await get(`/profiles/${ann}`, keys.viewer);
    const text = JSON.stringify(body);
    expect(text).not.toContain('ann@example.com');
    expect(text).not.toContain('+447911123456');
    expect(text).toContain('a***@example.com');
    expect((await get(`/profiles/lookup?email=ann@example.com`, keys.viewer)).body.matched.value).toBe('a***@example.com');
  });

  it('pages the events newest first, filtered by name and time range', async () => {
    // Up to the test's start: the refresh's Segment Entered event comes later.
    const until = `to=${encodeURIComponent(ago(0))}`;
    const first = await get(`/profiles/${ann}/events?limit=2&${until}`);
    expect(first.body.items.map((event: any) => event.messageId)).toEqual(['m-add-1', 'm-add-0']);
    expect(first.body.nextOffset).toBe(2);
    const rest = await get(`/profiles/${ann}/events?limit=2&offset=2&${until}`);
    expect(rest.body.items.map((event: any) => event.messageId)).toEqual(['m-login', 'm-ann']);
    const all = await get(`/profiles/${ann}/events?limit=50`);
    expect(all.body.items.map((event: any) => event.messageId)).toContain('m-anon'); // the merged profile's events moved here
    expect(all.body.items[0]).toMatchObject({ name: 'Segment Entered', properties: { segment_key: 'cart-abandoners' } });
    expect(all.body.nextOffset).toBeNull();
    const named = await get(`/profiles/${ann}/events?name=Product%20Added&from=${encodeURIComponent(ago(1.5 * 3_600_000))}`);
    expect(named.body.items.map((event: any) => event.messageId)).toEqual(['m-add-1']);
    const before = await get(`/profiles/${ann}/events?to=${encodeURIComponent(ago(4 * 3_600_000))}`);
    expect(before.body.items.map((event: any) => event.messageId)).toEqual(['m-anon']);
  });

  it.each([
    ['limit=0', 'query.limit'],
    ['limit=201', 'query.limit'],
    ['from=yesterday', 'query.from'],
    [`from=${encodeURIComponent(ago(0))}&to=${encodeURIComponent(ago(3_600_000))}`, 'query.to'],
    ['colour=red', 'query'],
  ])('refuses events ?%s with a 400 naming %s', async (query, field) => {
    const answer = await get(`/profiles/${ann}/events?${query}`);
    expect(answer.status).toBe(400);
    expect(answer.body.details.map((detail: { path: string }) => detail.path)).toContain(field);
  });

  it('explains a rules segment: verdict equal to the membership, each condition with its values and when the window flips it', async () => {
    const { status, body } = await get(`/profiles/${ann}/explain?segment=cart-abandoners`);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      profileId: ann,
      segment: { id: segmentId, key: 'cart-abandoners', type: 'rules', version: 1 },
      matches: true,
      member: true,
    });
    const [added, notOrdered] = body.root.children;
    expect(added).toMatchObject({ matches: true, values: { kind: 'events', count: 2, lastAt: ago(3_600_000) } });
    // Two adds needed: the older leaves the 1-day window first, 22 hours from now.
    expect(added.changesAt).toBe(new Date(now - 2 * 3_600_000 + 86_400_000).toISOString());
    expect(body.nextChangeAt).toBe(added.changesAt);
    expect(notOrdered).toMatchObject({ type: 'not', matches: true });
    expect((await get(`/profiles/${ann}/explain?segment=${segmentId}`, keys.viewer)).body.matches).toBe(true);
    const later = await get(`/profiles/${ann}/explain?segment=cart-abandoners&at=${encodeURIComponent(body.nextChangeAt)}`);
    expect(later.body.matches).toBe(false);
  });

  it('explains an RFM segment with the scores, the tier and the tiers’ score ranges', async () => {
    await track('/v1/track', {
      messageId: 'm-order',
      userId: 'u-ann',
      event: 'Order Completed',
      properties: { revenue: 50, order_id: 'o1' },
      timestamp: ago(60_000),
    });
    const created = await fetch(`${api.baseUrl}/segments`, {
      method: 'POST',
      headers: { authorization: `Bearer ${keys.marketer}`, 'content-type': 'application/json' },
      body: JSON.stringify({ key: 'champions', name: 'Champions', owner: 'crm', definition: { type: 'rfm', tiers: ['champions'] } }),
    });
    expect(created.status).toBe(201);
    const { body } = await get(`/profiles/${ann}/explain?segment=champions`);
    expect(body).toMatchObject({ segment: { key: 'champions', type: 'rfm' }, member: false });
    expect(body.model).toMatchObject({ kind: 'rfm', purchaser: true, frequency: 1, monetary: '50', scores: { r: 1, f: 1, m: 1 } });
    expect(body.model.thresholds.map((tier: any) => tier.key)).toEqual(['champions']);
    expect(body.matches).toBe(body.model.tier === 'champions');
  });

  it('refuses explain without a segment (400 naming it) and for an unknown one (404)', async () => {
    const missing = await get(`/profiles/${ann}/explain`);
    expect(missing.status).toBe(400);
    expect(missing.body.details.map((detail: { path: string }) => detail.path)).toEqual(['query.segment']);
    expect((await get(`/profiles/${ann}/explain?segment=nope`)).status).toBe(404);
    expect((await get(`/profiles/${ann}/explain?segment=cart-abandoners&at=soon`)).status).toBe(400);
  });

  it('needs a key', async () => {
    expect((await fetch(`${api.baseUrl}/profiles/${ann}`)).status).toBe(401);
  });
});
