import { ApiKeyService } from '@audiencekit/server-core';
import type { TestDatabase } from '@audiencekit/testing';
import type { RunningApi } from '../../../test/api-test-app';
import { basicAuth, createWriteKey, profileOf, startTrackingApi, stopTrackingApi } from './tracking-test-kit';

// Issue #16: a write key lives in browsers, so what a `client` key may change is limited.
describe('tracking API: write keys with a trust level', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let serverKey: string;
  let clientKey: string;
  let adminKey: string;

  beforeAll(async () => {
    ({ db, api, writeKey: serverKey } = await startTrackingApi());
    clientKey = await createWriteKey(api, 'client');
    adminKey = (await api.app.get(ApiKeyService).create('admin', 'admin')).secret;
  });
  afterAll(() => stopTrackingApi({ db, api }));

  const post = (key: string, path: string, body: unknown) =>
    fetch(`${api.baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: basicAuth(key) },
      body: JSON.stringify(body),
    });
  const admin = (method: string, path: string, body?: unknown) =>
    fetch(`${api.baseUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${adminKey}` },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  it("refuses a client key's identify that would make the attacker's address the one delivered for the victim", async () => {
    expect((await post(serverKey, '/v1/identify', { userId: 'victim', traits: { email: 'victim@example.com' } })).status).toBe(200);
    const attack = await post(clientKey, '/v1/identify', { userId: 'victim', traits: { email: 'attacker@example.com' } });
    expect(attack.status).toBe(403);
    expect(await attack.json()).toMatchObject({
      code: 'refused_for_client_key',
      details: [{ path: 'traits.email', message: expect.stringMatching(/client source may not add an email/) }],
    });
    const victim = await profileOf(db.dataSource, 'user_id', 'victim');
    expect(victim?.identities).toEqual([
      { type: 'email', value: 'victim@example.com' },
      { type: 'user_id', value: 'victim' },
    ]);
    expect(victim?.traits).toEqual({ email: 'victim@example.com' });
  });

  it('reports refused messages of a batch in `rejected` by their batch index, and stores the others', async () => {
    const response = await post(clientKey, '/v1/batch', {
      batch: [
        { type: 'track', userId: 'victim', event: 'Viewed' },
        { type: 'track', event: 'no ids' },
        { type: 'identify', userId: 'victim', traits: { email: 'attacker@example.com' } },
        { type: 'identify', userId: 'victim', traits: { unsubscribed: false } },
      ],
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { stored: number; rejected: { index: number; errors: { path: string }[] }[] };
    expect(body.stored).toBe(1);
    expect(body.rejected.map((rejection) => [rejection.index, rejection.errors[0].path])).toEqual([
      [1, 'userId'],
      [2, 'traits.email'],
      [3, 'traits.unsubscribed'],
    ]);
  });

  it('lets a server key add the second email (the merge caps decide), as before', async () => {
    expect((await post(serverKey, '/v1/identify', { userId: 'victim', traits: { email: 'work@example.com' } })).status).toBe(200);
    const victim = await profileOf(db.dataSource, 'user_id', 'victim');
    expect(victim?.identities.map((identity) => identity.value)).toContain('work@example.com');
  });

  it('creates keys as client unless asked for server, and lists each key with its trust', async () => {
    const client = (await (await admin('POST', '/keys', { name: 'site', role: 'write' })).json()) as { id: string; trust: string };
    const server = (await (await admin('POST', '/keys', { name: 'backend', role: 'write', trust: 'server' })).json()) as {
      id: string;
      trust: string;
    };
    expect([client.trust, server.trust]).toEqual(['client', 'server']);
    expect((await admin('POST', '/keys', { name: 'x', role: 'write', trust: 'root' })).status).toBe(400);
    const listed = (await (await admin('GET', '/keys?role=write&trust=server')).json()) as { items: { id: string; trust: string }[] };
    expect(listed.items.map((item) => item.id)).toContain(server.id);
    expect(listed.items.every((item) => item.trust === 'server')).toBe(true);
  });

  it("changes a key's trust: a server key a browser holds becomes client, and its identify is refused from then on", async () => {
    const created = (await (await admin('POST', '/keys', { name: 'old site key', role: 'write', trust: 'server' })).json()) as {
      id: string;
      secret: string;
    };
    const identify = (userId: string, email: string) =>
      post(created.secret, '/v1/identify', { userId, traits: { email }, messageId: `${userId}-${email}` });
    expect((await identify('u-trust', 'first@x.io')).status).toBe(200);
    expect((await admin('PATCH', `/keys/${created.id}`, { trust: 'client' })).status).toBe(200);
    expect((await identify('u-trust', 'attacker@x.io')).status).toBe(403);
    expect((await admin('PATCH', `/keys/${created.id}`, { trust: 'root' })).status).toBe(400);
    expect((await admin('PATCH', '/keys/00000000-0000-4000-8000-000000000000', { trust: 'client' })).status).toBe(404);
    const listed = (await (await admin('GET', '/keys?trust=client&role=write')).json()) as { items: { id: string }[] };
    expect(listed.items.map((item) => item.id)).toContain(created.id);
  });
});
