import { createHash } from 'node:crypto';
import { SecretBox } from '@audiencekit/server-core';
import { auditDigest } from './audit-digest';

// Reference values from Python's hmac/hashlib (RFC 5869 HKDF written out by hand, an independent
// implementation): key ring entry `k1:` + base64 of bytes 0..31, HKDF-SHA256 with an empty salt and
// info "audiencekit privacy audit v1", then HMAC-SHA256 of the identifier under that key.
const KEY_RING = 'k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=';
const DERIVED_KEY = '116e5e2e66bed07b76af034dc7f8d40af5529f250216f5f31ac95a7677c1bada';
const ANN_HMAC = '1ffbe3e74830d41a80f0f28aeda0686a09db0b7594f9da6bf7a80aa084998712';

describe('auditDigest (keyed hash of an erased identifier)', () => {
  it('is HMAC-SHA256 under an HKDF key derived from the ring, with the key id', () => {
    const box = new SecretBox(KEY_RING);
    expect(box.deriveKey('audiencekit privacy audit v1').key.toString('hex')).toBe(DERIVED_KEY);
    expect(auditDigest(box, 'ann@example.com')).toEqual({ keyId: 'k1', hmacSha256: ANN_HMAC });
  });

  it('is not the plain sha256 (which a guessed address re-identifies) and changes with the key', () => {
    const digest = auditDigest(new SecretBox(KEY_RING), 'ann@example.com');
    expect(digest?.hmacSha256).not.toBe(createHash('sha256').update('ann@example.com').digest('hex'));
    expect(auditDigest(new SecretBox(SecretBox.generateKey('k2')), 'ann@example.com')?.hmacSha256).not.toBe(digest?.hmacSha256);
  });

  it('stores nothing when the server has no key ring', () => {
    expect(auditDigest(null, 'ann@example.com')).toBeNull();
  });

  it('after a rotation, the older key (still listed) derives the same audit key', () => {
    const rotated = new SecretBox(`${SecretBox.generateKey('k2')},${KEY_RING}`);
    expect(rotated.deriveKey('audiencekit privacy audit v1', 'k1').key.toString('hex')).toBe(DERIVED_KEY);
    expect(rotated.deriveKey('audiencekit privacy audit v1').keyId).toBe('k2');
  });
});
