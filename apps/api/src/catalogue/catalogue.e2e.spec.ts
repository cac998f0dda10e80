import { CatalogueService } from '@audiencekit/catalogue';
import { ApiKeyService } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { RunningApi, startTestApi } from '../../test/api-test-app';
import { basicAuth, createWriteKey } from '../tracking/__tests__/tracking-test-kit';

/**
 * The catalogue through the API on a real Postgres: events tracked through /v1/batch, folded as
 * the worker folds them, read by prefix; identifiers masked below admin; bad queries are 400s
 * naming the field.
 */
describe('catalogue API', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let viewer: string;
  let admin: string;
  const get = (path: string, key: string) => fetch(`${api.baseUrl}${path}`, { headers: { authorization: `Bearer ${key}` } });
  // The answers' shapes are what the tests assert.
  const json = async (response: Response): Promise<any> => response.json();

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startTestApi(db.url);
    viewer = (await api.app.get(ApiKeyService).create('viewer', 'viewer')).secret;
    admin = (await api.app.get(ApiKeyService).create('admin', 'admin')).secret;
    const writeKey = await createWriteKey(api);
    const people = ['ann@example.com', 'bob@example.com', 'cid@example.com'];
    const batch = people.flatMap((email, index) => [
      { type: 'identify', userId: `user-${index}`, traits: { email, plan: 'pro' } },
      {
        type: 'track',
        userId: `user-${index}`,
        event: 'Order Completed',
        properties: { revenue: 120, currency: 'EUR', coupon: 'help@shop.example' },
      },
      { type: 'track', userId: `user-${index}`, event: 'Product Added', properties: { sku: 'A-1' } },
    ]);
    const response = await fetch(`${api.baseUrl}/v1/batch`, {
      method: 'POST',
      headers: { authorization: basicAuth(writeKey), 'content-type': 'application/json' },
      body: JSON.stringify({ batch }),
    });
    expect(response.status).toBe(200);
    const catalogue = api.app.get(CatalogueService);
    for (let attempt = 0; attempt < 50 && (await catalogue.fold()).events < 6; attempt += 1) await new Promise((r) => setTimeout(r, 100));
  });

  afterAll(async () => {
    await api?.close();
    await db?.drop();
  });

  it('lists event names with counts, by prefix, with the freshness of the catalogue', async () => {
    const response = await get('/catalogue/events?prefix=ord', viewer);
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(body.items).toEqual([{ name: 'Order Completed', count: 3, firstSeenAt: expect.any(String), lastSeenAt: expect.any(String) }]);
    expect(body.freshness).toEqual({ foldedUntil: expect.any(String), foldedAt: expect.any(String), eventsFolded: 6 });
  });

  it("lists an event's property keys with types and examples, masked below admin", async () => {
    const asViewer = await json(await get('/catalogue/events/Order%20Completed/properties', viewer));
    expect(
      asViewer.items.map((item: { key: string; types: string[]; examples: unknown[] }) => [item.key, item.types, item.examples]),
    ).toEqual([
      ['coupon', ['string'], ['h***@shop.example']],
      ['currency', ['string'], ['EUR']],
      ['revenue', ['number'], [120]],
    ]);
    const asAdmin = await json(await get('/catalogue/events/Order%20Completed/properties?prefix=cou', admin));
    expect(asAdmin.items.map((item: { examples: unknown[] }) => item.examples)).toEqual([['help@shop.example']]);
  });

  it('lists trait keys; a person’s own email is never an example', async () => {
    const body = await json(await get('/catalogue/traits', admin));
    expect(body.items.map((item: { key: string; examples: unknown[] }) => [item.key, item.examples])).toEqual([
      ['email', []],
      ['plan', ['pro']],
    ]);
  });

  it('keeps nothing of an erased person: their own values never became examples', async () => {
    const writeKey = await createWriteKey(api);
    const person = { userId: 'dora-42', traits: { email: 'dora@example.com', nickname: 'Dora the shopper' } };
    const response = await fetch(`${api.baseUrl}/v1/batch`, {
      method: 'POST',
      headers: { authorization: basicAuth(writeKey), 'content-type': 'application/json' },
      body: JSON.stringify({
        batch: [
          { type: 'identify', ...person },
          ...Array.from({ length: 5 }, (_, index) => ({
            type: 'track',
            userId: person.userId,
            event: 'Order Completed',
            properties: { revenue: 77, note: `gift for Dora ${index % 2}` },
          })),
        ],
      }),
    });
    expect(response.status).toBe(200);
    const catalogue = api.app.get(CatalogueService);
    for (let attempt = 0; attempt < 50 && (await catalogue.events({ prefix: 'Order', limit: 1 })).items[0]?.count !== 8; attempt += 1) {
      await catalogue.fold();
    }
    const erased = await fetch(`${api.baseUrl}/privacy/deletions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ identifierType: 'email', value: 'dora@example.com' }),
    });
    expect(erased.status).toBe(202);
    await catalogue.fold();
    const rows: { text: string }[] = await db.dataSource.query(
      `SELECT t::text AS text FROM catalogue_keys t UNION ALL SELECT t::text FROM catalogue_events t UNION ALL SELECT t::text FROM catalogue_state t`,
    );
    const text = rows.map((row) => row.text).join('\n');
    for (const needle of ['dora', 'Dora', 'gift for']) expect(text).not.toContain(needle);
    // Her keys stay (names of fields, not her data): the builder still offers them.
    expect(text).toContain('nickname');
  });

  it('answers 400 naming the field for a bad limit or prefix', async () => {
    const response = await get('/catalogue/events?limit=0', viewer);
    expect(response.status).toBe(400);
    const body = await json(response);
    expect(JSON.stringify(body)).toContain('query.limit');
    const long = await get(`/catalogue/traits?prefix=${'x'.repeat(201)}`, viewer);
    expect(long.status).toBe(400);
    expect(JSON.stringify(await long.json())).toContain('query.prefix');
  });

  it('refuses a write key (viewer or above only)', async () => {
    const writeKey = await createWriteKey(api);
    const response = await fetch(`${api.baseUrl}/catalogue/events`, { headers: { authorization: `Bearer ${writeKey}` } });
    expect(response.status).toBe(403);
  });
});
