import { z } from 'zod';
import { changedHostSettings, hostSettingPaths, redactUrl, redactUrlsDeep, refusedHostSettings } from './url-settings';

const schema = z.toJSONSchema(
  z.object({
    url: z.url(),
    name: z.string(),
    apiHost: z.string().optional(),
    nested: z.object({ tokenEndpoint: z.string(), count: z.number() }),
    callbacks: z.array(z.object({ target: z.url() })).default([]),
  }),
  { io: 'input', unrepresentable: 'any' },
);

describe('hostSettingPaths', () => {
  it('finds uri-formatted strings and fields named like hosts, nested and in arrays', () => {
    expect(hostSettingPaths(schema).sort()).toEqual(['apiHost', 'callbacks[].target', 'nested.tokenEndpoint', 'url']);
  });
});

describe('refusedHostSettings (save-time decision, no DNS)', () => {
  const none = () => [];
  it.each([
    ['url', { url: 'http://127.0.0.1:8080/x' }],
    ['url', { url: 'http://[::1]/x' }],
    ['url', { url: 'http://169.254.169.254/latest' }],
    ['url', { url: 'http://2852039166/latest' }],
    ['url', { url: 'http://localhost:5432/' }],
    ['apiHost', { apiHost: '10.0.0.7' }],
    ['nested.tokenEndpoint', { nested: { tokenEndpoint: 'https://[64:ff9b::a9fe:a9fe]/token' } }],
    ['callbacks[].target', { callbacks: [{ target: 'https://example.com/ok' }, { target: 'http://192.168.1.1/' }] }],
  ])('refuses %s in %j', (path, settings) => {
    expect(refusedHostSettings(schema, settings, none)).toEqual([{ path, message: expect.stringMatching(/private|loopback/) }]);
  });

  it('passes public hosts, host names (checked at connect time) and allow-listed hosts', () => {
    expect(refusedHostSettings(schema, { url: 'https://hooks.example.com/x', apiHost: 'api.example.com' }, none)).toEqual([]);
    expect(refusedHostSettings(schema, { url: 'http://127.0.0.1:8080/x' }, () => ['127.0.0.1'])).toEqual([]);
  });
});

describe('redactUrl', () => {
  it.each([
    ['https://user:pass@hooks.example.com/path?token=abc#frag', 'https://***:***@hooks.example.com/path?***#***'],
    ['https://token@hooks.example.com/p', 'https://***@hooks.example.com/p'],
    ['https://hooks.example.com/p?sig=1', 'https://hooks.example.com/p?***'],
    ['https://hooks.example.com/p', 'https://hooks.example.com/p'],
    ['not a url', 'not a url'],
    ['first_name', 'first_name'],
  ])('%s → %s', (input, expected) => expect(redactUrl(input)).toBe(expected));

  it('redacts every URL in nested settings and leaves the rest', () => {
    expect(redactUrlsDeep({ url: 'https://a:b@x.example/?k=1', n: 3, list: ['https://y.example/?q=2'], flag: true })).toEqual({
      url: 'https://***:***@x.example/?***',
      n: 3,
      list: ['https://y.example/?***'],
      flag: true,
    });
  });
});

describe('changedHostSettings', () => {
  it('names the host-like fields whose value changed, and only those', () => {
    const before = { url: 'https://a.example/x', name: 'n', nested: { tokenEndpoint: 'https://t.example' } };
    expect(changedHostSettings(schema, before, { ...before, name: 'other' })).toEqual([]);
    expect(changedHostSettings(schema, before, { ...before, url: 'https://b.example/x' })).toEqual(['url']);
    expect(changedHostSettings(schema, before, { ...before, url: 'https://a.example/y', nested: {} })).toEqual([
      'url',
      'nested.tokenEndpoint',
    ]);
  });
});
