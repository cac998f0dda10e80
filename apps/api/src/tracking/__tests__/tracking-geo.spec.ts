import { Analytics } from '@segment/analytics-node';
import { CityRecord, GeoLookup } from '@audiencekit/ingestion';
import { ConfigException, loadConfig } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { RunningApi, startTestApi } from '../../../test/api-test-app';
import { basicAuth, createWriteKey } from './tracking-test-kit';

// Issue 20: context.ip from the request, IP → location and user agent → device type at ingestion,
// and AK_IP_RETENTION, through the real API on a real database. Requests come from 127.0.0.1 (no
// location): the lookups are exercised with public addresses the client sends as context.ip,
// picked from the shipped database itself.
/** A public address the shipped database places in a city with region and postal code (the `skip`-th found). */
function addressWithCity(geo: GeoLookup, family: 4 | 6 = 4, skip = 0): { ip: string; record: Required<CityRecord> } {
  let skipped = 0;
  for (let a = family === 4 ? 2 : 0x2a00; a < (family === 4 ? 224 : 0x2c10); a += 1)
    for (let b = 0; b < (family === 4 ? 256 : 0x10000); b += family === 4 ? 37 : 0x1111) {
      const ip = family === 4 ? `${a}.${b}.${(a * 7) % 256}.17` : `${a.toString(16)}:${b.toString(16)}::17`;
      const record = geo.record(ip);
      if (record?.city && record.state1 && record.postcode && record.country_code && skipped++ >= skip)
        return { ip, record: record as Required<CityRecord> };
    }
  throw new Error(`no IPv${family} address with a city in the database`);
}

describe('tracking API: event context and geography', () => {
  let db: TestDatabase;
  const apis: Record<'keep' | 'truncate' | 'drop', { api: RunningApi; writeKey: string }> = {} as never;
  const geo = GeoLookup.default();

  beforeAll(async () => {
    db = await createTestDatabase();
    for (const retention of ['keep', 'truncate', 'drop'] as const) {
      // The default (no AK_IP_RETENTION) is `truncate`.
      const api = await startTestApi(db.url, retention === 'truncate' ? {} : { AK_IP_RETENTION: retention });
      apis[retention] = { api, writeKey: await createWriteKey(api) };
    }
  });
  afterAll(async () => {
    for (const { api } of Object.values(apis)) await api.close();
    await db?.drop();
  });

  async function send(retention: 'keep' | 'truncate' | 'drop', path: string, body: unknown) {
    const { api, writeKey } = apis[retention];
    const response = await fetch(`${api.baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: basicAuth(writeKey) },
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(200);
    await response.json();
  }

  const contextOf = async (messageId: string) =>
    (await db.dataSource.query(`SELECT context FROM events WHERE message_id = $1`, [messageId]))[0]?.context as Record<string, unknown>;

  const expectedLocation = (record: ReturnType<typeof addressWithCity>['record']) => ({
    country: record.country_code,
    region: record.state1,
    city: record.city,
    postalCode: record.postcode,
    latitude: Math.round(record.latitude * 1e4) / 1e4,
    longitude: Math.round(record.longitude * 1e4) / 1e4,
    source: 'ip',
  });

  it('records the request address as context.ip when the client sends none (@segment/analytics-node, a batch)', async () => {
    const { api, writeKey } = apis.keep;
    const analytics = new Analytics({ writeKey, host: api.baseUrl, flushAt: 1, maxRetries: 0 });
    analytics.track({ userId: 'geo-u1', event: 'Signed Up', messageId: 'geo-request-ip' });
    await analytics.closeAndFlush({ timeout: 10_000 });
    const context = await contextOf('geo-request-ip');
    expect(context['ip']).toBe('127.0.0.1');
    expect(context).not.toHaveProperty('location'); // loopback: no location
    expect(context['library']).toMatchObject({ name: '@segment/analytics-node' });
  });

  it('places a public context.ip (IPv4 and IPv6) with the country, region, city and postal code the database gives', async () => {
    const v4 = addressWithCity(geo, 4);
    const v6 = addressWithCity(geo, 6);
    await send('keep', '/v1/track', { messageId: 'geo-v4', userId: 'geo-u2', event: 'Viewed', context: { ip: v4.ip } });
    await send('keep', '/v1/batch', {
      batch: [{ type: 'page', messageId: 'geo-v6', userId: 'geo-u2', name: 'Home', context: { ip: v6.ip } }],
    });
    expect(await contextOf('geo-v4')).toEqual({ ip: v4.ip, location: expectedLocation(v4.record) });
    expect(await contextOf('geo-v6')).toEqual({ ip: v6.ip, location: expectedLocation(v6.record) });
  });

  it("does not overwrite the client's location fields (a batch's context included)", async () => {
    const { ip, record } = addressWithCity(geo);
    await send('keep', '/v1/batch', {
      context: { location: { country: 'FR', city: 'Paris' } },
      batch: [{ type: 'track', messageId: 'geo-client-location', userId: 'geo-u3', event: 'Viewed', context: { ip } }],
    });
    expect(await contextOf('geo-client-location')).toEqual({
      ip,
      location: { ...expectedLocation(record), country: 'FR', city: 'Paris' },
    });
  });

  it('truncates the stored address by default (IPv4 /24, IPv6 /48), the location still derived from the full one', async () => {
    const v4 = addressWithCity(geo, 4, 1);
    const v6 = addressWithCity(geo, 6, 1);
    await send('truncate', '/v1/track', { messageId: 'geo-trunc-v4', userId: 'geo-u4', event: 'Viewed', context: { ip: v4.ip } });
    await send('truncate', '/v1/identify', { messageId: 'geo-trunc-v6', userId: 'geo-u4', traits: {}, context: { ip: v6.ip } });
    await send('truncate', '/v1/track', { messageId: 'geo-trunc-request', userId: 'geo-u4', event: 'Viewed' });
    const stored4 = await contextOf('geo-trunc-v4');
    expect(stored4).toEqual({ ip: v4.ip.replace(/\.\d+$/, '.0'), location: expectedLocation(v4.record) });
    const stored6 = await contextOf('geo-trunc-v6');
    expect(stored6['location']).toEqual(expectedLocation(v6.record));
    expect(stored6['ip']).toBe(`${v6.ip.split(':').slice(0, 2).join(':')}::`); // fixture addresses are `xxxx:yyyy::17`
    expect(await contextOf('geo-trunc-request')).toEqual({ ip: '127.0.0.0' });
  });

  it('drops the stored address when AK_IP_RETENTION=drop, the location still derived', async () => {
    const { ip, record } = addressWithCity(geo, 4, 2);
    await send('drop', '/v1/track', { messageId: 'geo-drop', userId: 'geo-u5', event: 'Viewed', context: { ip } });
    await send('drop', '/v1/track', { messageId: 'geo-drop-request', userId: 'geo-u5', event: 'Viewed' });
    expect(await contextOf('geo-drop')).toEqual({ location: expectedLocation(record) });
    expect(await contextOf('geo-drop-request')).toEqual({});
  });

  it('sets context.device.type from the user agent, unless the client sent one', async () => {
    const agents = {
      mobile:
        'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
      tablet:
        'Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1',
      desktop: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
    };
    await send('keep', '/v1/batch', {
      batch: [
        ...Object.entries(agents).map(([type, userAgent]) => ({
          type: 'page',
          messageId: `geo-ua-${type}`,
          anonymousId: 'geo-a1',
          context: { userAgent, device: { manufacturer: 'x' } },
        })),
        { type: 'page', messageId: 'geo-ua-sent', anonymousId: 'geo-a1', context: { userAgent: agents.mobile, device: { type: 'ios' } } },
      ],
    });
    for (const [type, userAgent] of Object.entries(agents))
      expect(await contextOf(`geo-ua-${type}`)).toEqual({ ip: '127.0.0.1', userAgent, device: { manufacturer: 'x', type } });
    expect((await contextOf('geo-ua-sent'))['device']).toEqual({ type: 'ios' });
  });

  it('refuses a bad AK_IP_RETENTION at start-up, naming the variable', () => {
    expect(() => loadConfig({ DATABASE_URL: db.url, AK_IP_RETENTION: 'anonymize' })).toThrow(ConfigException);
    expect(() => loadConfig({ DATABASE_URL: db.url, AK_IP_RETENTION: 'anonymize' })).toThrow(
      /AK_IP_RETENTION must be keep, truncate or drop/,
    );
    expect(loadConfig({ DATABASE_URL: db.url }).AK_IP_RETENTION).toBe('truncate');
  });
});
