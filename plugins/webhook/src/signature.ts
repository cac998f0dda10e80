import { createHmac, timingSafeEqual } from 'node:crypto';

/** Header carrying `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`. */
export const SIGNATURE_HEADER = 'X-Audiencekit-Signature';

/**
 * Signs a body the way receivers verify it (Stripe's scheme: the timestamp is signed with the body,
 * so a captured request cannot be replayed later with a fresh timestamp).
 * @example signBody('{"a":1}', 'whsec_…', 1764576000) // 't=1764576000,v1=5f2c…'
 */
export function signBody(body: string, secret: string, unixSeconds: number): string {
  const digest = createHmac('sha256', secret).update(`${unixSeconds}.${body}`, 'utf8').digest('hex');
  return `t=${unixSeconds},v1=${digest}`;
}

/**
 * What a receiver runs: true when the header signs this exact raw body with this secret and the
 * timestamp is within `toleranceSeconds` of `now` (default five minutes).
 */
export function verifySignature(header: string, body: string, secret: string, now = Date.now(), toleranceSeconds = 300): boolean {
  const parts = Object.fromEntries(header.split(',').map((part) => part.split('=', 2) as [string, string]));
  const t = Number(parts.t);
  if (!Number.isInteger(t) || typeof parts.v1 !== 'string') return false;
  if (Math.abs(now / 1000 - t) > toleranceSeconds) return false;
  const expected = Buffer.from(signBody(body, secret, t).split('v1=')[1], 'hex');
  const given = Buffer.from(parts.v1, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
