import type { RecordOutcome } from '@audiencekit/connector-sdk';
import { SecretBox } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { connectorRuntime, redactDeep, redactText, secretValues } from '../connector-runtime';
import { buildEngine, recordingConnector, seedActivation, seedSegment, syncNow } from './sync-fixtures';

describe('secret redaction (one rule for syncs and connection tests)', () => {
  const secrets = secretValues({ apiKey: 'sk_abc', nested: { token: 'sk_abcdef', pin: 1234 }, list: ['x1'] });

  it('collects every string and number of at least 4 characters, longest first, so a secret containing another is redacted whole', () => {
    // 'x1' is below REDACT_MIN_CHARS: redacting it would mangle every text with those letters.
    expect(secrets).toEqual(['sk_abcdef', 'sk_abc', '1234']);
    expect(redactText('key sk_abcdef and sk_abc, pin 1234', secrets)).toBe('key [redacted] and [redacted], pin [redacted]');
  });

  it('redacts inside nested fields and error messages, and a secret number given as a number', () => {
    expect(redactDeep({ a: ['sk_abc'], b: { c: new Error('bad sk_abcdef') }, n: 5, pin: 1234 }, secrets)).toEqual({
      a: ['[redacted]'],
      b: { c: 'bad [redacted]' },
      n: 5,
      pin: '[redacted]',
    });
  });

  it('builds the runtime of a destination: base URL from AK_CONNECTOR_BASE_URLS (object or slug=url text) and its redact', () => {
    const runtime = connectorRuntime(
      { slug: 'acme' },
      'dest-1',
      { apiKey: 'sk_abcdef' },
      { AK_CONNECTOR_BASE_URLS: 'other=http://x,acme=http://127.0.0.1:9/' },
    );
    expect(runtime.baseUrl).toBe('http://127.0.0.1:9');
    expect(connectorRuntime({ slug: 'acme' }, 'dest-1', {}, { AK_CONNECTOR_BASE_URLS: { acme: 'http://y' } }).baseUrl).toBe('http://y');
    expect(runtime.redact('Bearer sk_abcdef')).toBe('Bearer [redacted]');
  });
});

/**
 * The sync path, end to end: the destination's sealed secrets are opened by the run and what the
 * vendor answers is stored redacted. Its twin for the connection-test path is
 * libs/activation-admin/src/__tests__/connection-test-redaction.spec.ts: same secrets, same text,
 * same expected result (a long key, a 4-digit PIN given as a number, a short region left alone).
 */
describe('the sync path redacts the destination secrets from what the vendor answers', () => {
  const SECRETS = { apiKey: 'sk_live_abcdef', pin: 4711, region: 'eu' };
  const VENDOR_TEXT = 'refused sk_live_abcdef with pin 4711 in eu';
  const EXPECTED = 'refused [redacted] with pin [redacted] in eu';
  const keys = SecretBox.generateKey('k1');
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('stores the rejection reason with the same redaction as a connection test answers', async () => {
    const connector = recordingConnector({
      slug: 'redacting',
      behaviour: (members) =>
        members.map((member): RecordOutcome => ({ profileId: member.profileId, status: 'rejected', reason: VENDOR_TEXT })),
    });
    const engine = buildEngine(db.dataSource, [connector.definition], {}, { AK_SECRETS_KEYS: keys });
    const { segmentId } = await seedSegment(db.dataSource, 1);
    const { activationId, destinationId } = await seedActivation(db.dataSource, { segmentId, connector: 'redacting', mode: 'mirror' });
    const sealed = new SecretBox(keys).seal(JSON.stringify(SECRETS));
    await db.dataSource.query(`UPDATE destinations SET secrets_ciphertext = $2, secrets_key_id = $3 WHERE id = $1`, [
      destinationId,
      sealed.ciphertext,
      sealed.keyId,
    ]);
    const { run } = await syncNow(engine, activationId);
    const rejections: { reason: string }[] = await db.dataSource.query(`SELECT reason FROM sync_rejections WHERE sync_run_id = $1`, [
      run.id,
    ]);
    expect(rejections).toEqual([{ reason: EXPECTED }]);
  });
});
