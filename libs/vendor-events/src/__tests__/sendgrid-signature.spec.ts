import { generateKeyPairSync, sign } from 'node:crypto';
import { parseSendgridPublicKey, verifySendgridSignature } from '../sendgrid-signature';

/**
 * The vector of SendGrid's own SDK (sendgrid/sendgrid-nodejs, packages/eventwebhook/src/eventwebhook.spec.js,
 * commit 31bf6a020b7076f003a92b93baf8a054282a9838): a public key, a payload, its signature and timestamp,
 * verified there with starkbank-ecdsa; here with node:crypto.
 */
const PUBLIC_KEY =
  'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEDr2LjtURuePQzplybdC+u4CwrqDqBaWjcMMsTbhdbcwHBcepxo7yAQGhHPTnlvFYPAZFceEu/1FwCM/QmGUhA==';
const OTHER_KEY =
  'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEqTxd43gyp8IOEto2LdIfjRQrIbsd4SXZkLW6jDutdhXSJCWHw8REntlo7aNDthvj+y7GjUuFDb/R1NGe1OPzpA==';
const SIGNATURE = 'MEUCIQCtIHJeH93Y+qpYeWrySphQgpNGNr/U+UyUlBkU6n7RAwIgJTz2C+8a8xonZGi6BpSzoQsbVRamr2nlxFDWYNH2j/0=';
const BAD_SIGNATURE = 'MEUCIQCtIHJeH93Y+qpYeWrySphQgpNGNr/U+UyUlBkU6n7RAwIgJTz2C+8a8xonZGi6BpSzoQsbVRamr2nlxFDWYNH3j/0=';
const TIMESTAMP = '1588788367';
const PAYLOAD = Buffer.from(JSON.stringify({ category: 'example_payload', event: 'test_event', message_id: 'message_id' }));

const keyOf = (base64: string) => {
  const parsed = parseSendgridPublicKey(base64);
  if ('problem' in parsed) throw new Error(parsed.problem);
  return parsed.key;
};

describe('SendGrid Event Webhook signature (ECDSA P-256, SHA-256, over timestamp + raw body)', () => {
  it("verifies SendGrid's own test vector", () => {
    expect(verifySendgridSignature(keyOf(PUBLIC_KEY), SIGNATURE, TIMESTAMP, PAYLOAD)).toBe(true);
  });

  it.each([
    ['another key', OTHER_KEY, SIGNATURE, TIMESTAMP, PAYLOAD],
    ['another payload', PUBLIC_KEY, SIGNATURE, TIMESTAMP, Buffer.from('payload')],
    ['a changed signature', PUBLIC_KEY, BAD_SIGNATURE, TIMESTAMP, PAYLOAD],
    ['another timestamp', PUBLIC_KEY, SIGNATURE, 'timestamp', PAYLOAD],
    ['an empty signature', PUBLIC_KEY, '', TIMESTAMP, PAYLOAD],
    ['a signature that is not DER', PUBLIC_KEY, 'bm90IERFUg==', TIMESTAMP, PAYLOAD],
  ])('refuses %s', (_name, key, signature, timestamp, payload) => {
    expect(verifySendgridSignature(keyOf(key), signature, timestamp, payload)).toBe(false);
  });

  it('verifies what a P-256 key signs over timestamp + body, byte for byte (non-ASCII body)', () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const body = Buffer.from('[{"email":"zoë@example.com","event":"open"}]');
    const signature = sign('sha256', Buffer.concat([Buffer.from('1700000000'), body]), privateKey).toString('base64');
    const key = keyOf(publicKey.export({ format: 'der', type: 'spki' }).toString('base64'));
    expect(verifySendgridSignature(key, signature, '1700000000', body)).toBe(true);
    expect(verifySendgridSignature(key, signature, '1700000001', body)).toBe(false);
  });

  it('names what is wrong with a key that is not a P-256 public key', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
    expect(parseSendgridPublicKey('')).toEqual({ problem: 'is empty' });
    expect(parseSendgridPublicKey('bm90IGEga2V5')).toEqual({ problem: expect.stringContaining('base64 of a DER public key') });
    expect(parseSendgridPublicKey(rsa)).toEqual({ problem: expect.stringContaining('P-256') });
  });
});
