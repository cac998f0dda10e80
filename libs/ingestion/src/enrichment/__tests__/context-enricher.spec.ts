import { TrackingEvent } from '../../tracking-event';
import { ContextEnricher } from '../context-enricher';
import { DeviceTypeParser } from '../device-type';
import { GeoLookup } from '../geo-lookup';
import { isNonPublicIp, normalizeIp, truncateIp } from '../ip-address';
import { IpRetention } from '../ip-retention';
import { addressWithCity } from './geo-fixtures';

const geo = GeoLookup.default();

function event(context: Record<string, unknown> | null): TrackingEvent {
  return {
    messageId: 'm1',
    type: 'track',
    name: 'Viewed',
    timestamp: new Date(),
    receivedAt: new Date(),
    properties: {},
    context,
    userId: 'u1',
    anonymousId: null,
    previousId: null,
    traits: null,
    personTraits: null,
  };
}

function enriched(context: Record<string, unknown> | null, requestIp: string | null, ipRetention: IpRetention = 'keep') {
  const enricher = new ContextEnricher({ ipRetention, geo, devices: new DeviceTypeParser() });
  const one = event(context);
  enricher.enrich([one], requestIp);
  // What is stored: JSON (undefined fields left out).
  return one.context === null ? null : JSON.parse(JSON.stringify(one.context));
}

function expectedLocation(record: {
  country_code: string;
  state1: string;
  city: string;
  postcode: string;
  latitude: number;
  longitude: number;
}) {
  return {
    country: record.country_code,
    region: record.state1,
    city: record.city,
    postalCode: record.postcode,
    latitude: Math.round(record.latitude * 1e4) / 1e4,
    longitude: Math.round(record.longitude * 1e4) / 1e4,
    source: 'ip',
  };
}

describe('ContextEnricher', () => {
  it('records the request address as context.ip when the client sends none, and places a public one', () => {
    const { ip, record } = addressWithCity(geo);
    expect(record.country_code).toMatch(/^[A-Z]{2}$/);
    expect(enriched(null, ip)).toEqual({ ip, location: expectedLocation(record) });
    expect(enriched({ library: { name: 'x' } }, `::ffff:${ip}`)).toEqual({
      library: { name: 'x' },
      ip,
      location: expectedLocation(record),
    });
  });

  it("uses the client's context.ip (not the request's) for the location, and keeps it", () => {
    const { ip, record } = addressWithCity(geo);
    expect(enriched({ ip }, '127.0.0.1')).toEqual({ ip, location: expectedLocation(record) });
  });

  it('places IPv6 addresses', () => {
    const { ip, record } = addressWithCity(geo, 6);
    expect(enriched({ ip }, null)).toEqual({ ip, location: expectedLocation(record) });
  });

  it('gives private, loopback and link-local addresses no location', () => {
    for (const ip of ['127.0.0.1', '10.1.2.3', '192.168.0.10', '172.20.1.1', '169.254.1.1', '100.64.0.1', '::1', 'fd00::1', 'fe80::1'])
      expect(enriched(null, ip)).toEqual({ ip });
  });

  it('fills only the location fields the client did not send, and never overwrites one', () => {
    const { ip, record } = addressWithCity(geo);
    expect(enriched({ ip, location: { country: 'ZZ', city: 'Atlantis', latitude: null } }, null)).toEqual({
      ip,
      location: { ...expectedLocation(record), country: 'ZZ', city: 'Atlantis' },
    });
    const complete = { country: 'FR', region: 'Île-de-France', city: 'Paris', postalCode: '75001', latitude: 48.86, longitude: 2.34 };
    expect(enriched({ ip, location: complete }, null)).toEqual({ ip, location: complete });
    expect(enriched({ ip, location: 'Paris' }, null)).toEqual({ ip, location: 'Paris' });
  });

  it('does not write into a location object shared by several events (a batch context)', () => {
    const { ip } = addressWithCity(geo);
    const shared = { city: 'Atlantis' };
    const enricher = new ContextEnricher({ ipRetention: 'keep', geo, devices: null });
    const events = [event({ ip, location: shared }), event({ ip: '10.0.0.1', location: shared })];
    enricher.enrich(events, null);
    expect(shared).toEqual({ city: 'Atlantis' });
    expect(events[0].context?.['location']).toMatchObject({ city: 'Atlantis', source: 'ip' });
    expect(events[1].context?.['location']).toBe(shared);
  });

  it('truncates the stored address (IPv4 /24, IPv6 /48) after placing it with the full one', () => {
    const v4 = addressWithCity(geo);
    const v6 = addressWithCity(geo, 6);
    expect(enriched(null, v4.ip, 'truncate')).toEqual({ ip: truncateIp(v4.ip), location: expectedLocation(v4.record) });
    expect(truncateIp(v4.ip)).toMatch(/\.0$/);
    expect(enriched({ ip: v6.ip }, null, 'truncate')).toEqual({ ip: truncateIp(v6.ip), location: expectedLocation(v6.record) });
  });

  it('drops the stored address after placing it', () => {
    const { ip, record } = addressWithCity(geo);
    expect(enriched(null, ip, 'drop')).toEqual({ location: expectedLocation(record) });
    expect(enriched({ ip, userAgent: 'curl/8.5.0' }, '127.0.0.1', 'drop')).toEqual({
      userAgent: 'curl/8.5.0',
      location: expectedLocation(record),
    });
  });

  it('keeps a context.ip that is not an address as sent, but truncation drops it (it cannot be truncated)', () => {
    expect(enriched({ ip: 'unknown' }, '127.0.0.1', 'keep')).toEqual({ ip: 'unknown' });
    expect(enriched({ ip: 'unknown' }, '127.0.0.1', 'truncate')).toEqual({});
  });

  it.each([
    [
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
      'mobile',
    ],
    ['Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36', 'mobile'],
    [
      'Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1',
      'tablet',
    ],
    ['Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36', 'tablet'],
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36', 'desktop'],
    ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15', 'desktop'],
    [
      'Mozilla/5.0 (SMART-TV; Linux; Tizen 6.0) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/4.0 Chrome/76.0.3809.146 TV Safari/537.36',
      'tv',
    ],
    ['Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', 'bot'],
  ])('device type of %s is %s', (userAgent, type) => {
    expect(enriched({ userAgent }, null)).toEqual({ userAgent, device: { type } });
    // A second time from the parser's cache: the same answer.
    expect(enriched({ userAgent, device: { model: 'x' } }, null)).toEqual({ userAgent, device: { model: 'x', type } });
  });

  it('leaves the device alone when the client sent a type, or the agent tells nothing', () => {
    const iphone = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148';
    expect(enriched({ userAgent: iphone, device: { type: 'ios' } }, null)).toEqual({ userAgent: iphone, device: { type: 'ios' } });
    expect(enriched({ userAgent: 'curl/8.5.0' }, null)).toEqual({ userAgent: 'curl/8.5.0' });
    expect(enriched({ userAgent: 42 }, null)).toEqual({ userAgent: 42 });
  });

  it('leaves an event without context and without a request address untouched', () => {
    expect(enriched(null, null)).toBeNull();
  });
});

describe('IP addresses', () => {
  it.each([
    ['203.0.113.7', '203.0.113.0'],
    ['8.8.8.8', '8.8.8.0'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1::'],
    ['2001:0db8:0001::1', '2001:db8:1::'],
    ['2a00:1450::1', '2a00:1450::'],
    ['2a00::1', '2a00::'],
    ['::ffff:1.2.3.4', '::'],
  ])('truncates %s to %s', (ip, truncated) => {
    expect(truncateIp(ip)).toBe(truncated);
  });

  it('normalises socket addresses and refuses what is not an address', () => {
    expect(normalizeIp('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(normalizeIp('2001:DB8::1')).toBe('2001:db8::1');
    expect(normalizeIp('localhost')).toBeNull();
    expect(normalizeIp('1.2.3.4, 5.6.7.8')).toBeNull();
    expect(normalizeIp(12)).toBeNull();
  });

  it('tells public from non-public addresses', () => {
    expect(isNonPublicIp('8.8.8.8')).toBe(false);
    expect(isNonPublicIp('2a00:1450::1')).toBe(false);
    expect(isNonPublicIp('172.31.255.255')).toBe(true);
    expect(isNonPublicIp('172.32.0.1')).toBe(false);
    expect(isNonPublicIp('fc12::1')).toBe(true);
  });
});
