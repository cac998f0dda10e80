import { createHmac } from 'node:crypto';
import type { SecretBox } from '@audiencekit/server-core';

/** HKDF `info` of the audit key; bump the version to change the derivation. */
export const AUDIT_DIGEST_PURPOSE = 'audiencekit privacy audit v1';

/** A keyed hash of an erased identifier, and the id of the ring key its HMAC key was derived from. */
export interface AuditDigest {
  keyId: string;
  hmacSha256: string;
}

/**
 * The audit record's fingerprint of an erased identifier: HMAC-SHA256 under a key derived from the
 * secrets key ring (AK_SECRETS_KEYS), never a plain hash — an unsalted sha256 of an email is
 * re-identified by hashing guessed addresses. With the key, the server can still answer "was this
 * address erased?"; without it the value means nothing. No key ring configured → null (no hash).
 *
 * @example auditDigest(new SecretBox('k1:…'), 'ann@example.com') // { keyId: 'k1', hmacSha256: '3f…' }
 */
export function auditDigest(box: SecretBox | null, value: string): AuditDigest | null {
  if (!box) return null;
  const { keyId, key } = box.deriveKey(AUDIT_DIGEST_PURPOSE);
  return { keyId, hmacSha256: createHmac('sha256', key).update(value, 'utf8').digest('hex') };
}
