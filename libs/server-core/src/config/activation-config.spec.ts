import { SecretBox } from '../secrets/secret-box';
import { ConfigException, loadConfig } from './load-config';

const URL = 'postgres://postgres@127.0.0.1:5432/test';

function problemsOf(env: Record<string, string>): { variable: string; reason: string }[] {
  try {
    loadConfig({ DATABASE_URL: URL, ...env });
  } catch (error) {
    if (error instanceof ConfigException) return error.problems;
    throw error;
  }
  return [];
}

describe('activation settings in the config', () => {
  it('leaves AK_SECRETS_KEYS unset and AK_CONNECTOR_BASE_URLS empty by default', () => {
    const config = loadConfig({ DATABASE_URL: URL });
    expect(config.AK_SECRETS_KEYS).toBeUndefined();
    expect(config.AK_CONNECTOR_BASE_URLS).toEqual({});
  });

  it('accepts a key ring SecretBox can use, and refuses a malformed one by name', () => {
    const ring = `${SecretBox.generateKey('new')},${SecretBox.generateKey('old')}`;
    expect(loadConfig({ DATABASE_URL: URL, AK_SECRETS_KEYS: ring }).AK_SECRETS_KEYS).toBe(ring);
    expect(problemsOf({ AK_SECRETS_KEYS: 'k1:c2hvcnQ=' })).toEqual([
      { variable: 'AK_SECRETS_KEYS', reason: expect.stringContaining('base64 of 32 bytes') },
    ]);
  });

  it('parses connector base URLs, trimming trailing slashes, and names a bad entry', () => {
    expect(
      loadConfig({ DATABASE_URL: URL, AK_CONNECTOR_BASE_URLS: 'sendgrid=http://127.0.0.1:4010/, twilio=https://fake.test/api' })
        .AK_CONNECTOR_BASE_URLS,
    ).toEqual({
      sendgrid: 'http://127.0.0.1:4010',
      twilio: 'https://fake.test/api',
    });
    expect(problemsOf({ AK_CONNECTOR_BASE_URLS: 'sendgrid=ftp://x' })).toEqual([
      { variable: 'AK_CONNECTOR_BASE_URLS', reason: expect.stringContaining('"sendgrid=ftp://x"') },
    ]);
    expect(problemsOf({ AK_CONNECTOR_BASE_URLS: 'http://no-slug' })).toHaveLength(1);
  });

  it('takes AK_PUBLIC_BASE_URL without its trailing slash, and refuses a host Twilio would refuse in every StatusCallback', () => {
    expect(loadConfig({ DATABASE_URL: URL, AK_PUBLIC_BASE_URL: 'https://ak.example.com/prefix/' }).AK_PUBLIC_BASE_URL).toBe(
      'https://ak.example.com/prefix',
    );
    // Twilio error 21609: a StatusCallback whose host name has an underscore is refused, so every SMS send would fail.
    expect(problemsOf({ AK_PUBLIC_BASE_URL: 'https://ak_public.example.com' })).toEqual([
      { variable: 'AK_PUBLIC_BASE_URL', reason: expect.stringContaining('underscore') },
    ]);
    expect(problemsOf({ AK_PUBLIC_BASE_URL: 'ftp://ak.example.com' })).toHaveLength(1);
  });

  it('keeps 90 days of the send ledger by default, takes a whole number of days, and names a bad value', () => {
    expect(loadConfig({ DATABASE_URL: URL }).AK_SEND_LEDGER_RETENTION_DAYS).toBe(90);
    expect(loadConfig({ DATABASE_URL: URL, AK_SEND_LEDGER_RETENTION_DAYS: '30' }).AK_SEND_LEDGER_RETENTION_DAYS).toBe(30);
    for (const bad of ['0', '2.5', 'ninety', '3651'])
      expect(problemsOf({ AK_SEND_LEDGER_RETENTION_DAYS: bad })).toEqual([
        { variable: 'AK_SEND_LEDGER_RETENTION_DAYS', reason: expect.any(String) },
      ]);
  });
});
