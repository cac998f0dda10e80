import { createPublicKey, KeyObject, verify } from 'node:crypto';

/** Headers of SendGrid's Signed Event Webhook ("Getting Started with the Event Webhook Security Features"). */
export const SENDGRID_SIGNATURE_HEADER = 'x-twilio-email-event-webhook-signature';
export const SENDGRID_TIMESTAMP_HEADER = 'x-twilio-email-event-webhook-timestamp';

/**
 * The verification key SendGrid shows for a signed Event Webhook: base64 of the DER
 * SubjectPublicKeyInfo of an ECDSA P-256 key. Returns the key, or the reason it is not one.
 */
export function parseSendgridPublicKey(base64: string): { key: KeyObject } | { problem: string } {
  const der = Buffer.from(base64.trim(), 'base64');
  if (der.length === 0) return { problem: 'is empty' };
  try {
    const key = createPublicKey({ key: der, format: 'der', type: 'spki' });
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1')
      return { problem: 'must be an ECDSA P-256 public key (the verification key SendGrid shows)' };
    return { key };
  } catch {
    return { problem: 'must be the base64 of a DER public key (the verification key SendGrid shows)' };
  }
}

/**
 * SendGrid's rule: the signature (base64 of a DER ECDSA signature, SHA-256) covers the timestamp
 * header's value followed by the raw request body, byte for byte. This is what
 * `@sendgrid/eventwebhook`'s `verifySignature` checks (with starkbank-ecdsa); node:crypto's
 * OpenSSL does the same verification without the extra dependency.
 */
export function verifySendgridSignature(key: KeyObject, signature: string, timestamp: string, rawBody: Buffer): boolean {
  const signed = Buffer.concat([Buffer.from(timestamp, 'utf8'), rawBody]);
  const der = Buffer.from(signature, 'base64');
  if (der.length === 0) return false;
  try {
    return verify('sha256', signed, { key, dsaEncoding: 'der' }, der);
  } catch {
    return false;
  }
}
