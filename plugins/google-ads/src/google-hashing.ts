import { isSha256Hex, sha256Hex } from '@audiencekit/connector-sdk';
import type { MemberData } from '@audiencekit/connector-sdk';
import type { GoogleSettings } from './google-settings';

/** `UserIdentifier` of the Data Manager API, JSON names (user_data.proto): exactly one field set. */
export type UserIdentifier =
  | { emailAddress: string }
  | { phoneNumber: string }
  | { address: { givenName: string; familyName: string; regionCode: string; postalCode: string } };

const GMAIL_DOMAINS = new Set(['gmail.com', 'googlemail.com']);

/**
 * Google's e-mail rule: no whitespace anywhere, lower-case; for gmail.com / googlemail.com also no
 * dots in the local part and nothing from a `+` on.
 * @example normalizeGoogleEmail('Cloudy.SanFrancisco+shopping@gmail.com') // 'cloudysanfrancisco@gmail.com'
 */
export function normalizeGoogleEmail(value: string): string {
  const email = value.replace(/\s+/g, '').toLowerCase();
  const at = email.lastIndexOf('@');
  if (at < 0) return email;
  const [local, domain] = [email.slice(0, at), email.slice(at + 1)];
  if (!GMAIL_DOMAINS.has(domain)) return email;
  return `${local.split('+')[0].replace(/\./g, '')}@${domain}`;
}

/**
 * Google's phone rule: E.164, a `+`, the country code, then digits only.
 * @example normalizeGoogleE164('+1 (800) 555-0100') // '+18005550100'
 */
export function normalizeGoogleE164(value: string): string | undefined {
  const digits = value.replace(/\D/g, '').replace(/^0+/, '');
  return digits === '' ? undefined : `+${digits}`;
}

/** Names: trimmed, lower-case, no punctuation (Google: "all lowercase, with no punctuation"). */
export const normalizeGoogleName = (value: string): string =>
  value
    .trim()
    .toLowerCase()
    .replace(/[\p{P}\p{S}]/gu, '')
    .replace(/\s+/g, ' ');

/** SHA-256 hex of the normalised value; an already-hashed value (any case) passes through, never hashed twice. */
export function hashGoogle(value: string, normalise: (raw: string) => string | undefined): string | undefined {
  const candidate = value.trim().toLowerCase();
  if (isSha256Hex(candidate)) return candidate;
  const normalised = normalise(value);
  return normalised ? sha256Hex(normalised) : undefined;
}

/** The member's identifiers as Google takes them: e-mail and phone hashed, the address with hashed names but plain region and postal code. */
export function userIdentifiers(
  member: Pick<MemberData, 'identifiers' | 'traits'>,
  traits: GoogleSettings['addressTraits'],
): UserIdentifier[] {
  const identifiers: UserIdentifier[] = [];
  const email = member.identifiers.email === undefined ? undefined : hashGoogle(member.identifiers.email, normalizeGoogleEmail);
  if (email) identifiers.push({ emailAddress: email });
  const phone = member.identifiers.phone === undefined ? undefined : hashGoogle(member.identifiers.phone, normalizeGoogleE164);
  if (phone) identifiers.push({ phoneNumber: phone });
  const address = addressOf(member.traits, traits);
  if (address) identifiers.push({ address });
  return identifiers;
}

function addressOf(values: MemberData['traits'], traits: GoogleSettings['addressTraits']) {
  const text = (key: string) => (typeof values[key] === 'string' || typeof values[key] === 'number' ? String(values[key]).trim() : '');
  const givenName = hashGoogle(text(traits.givenName), normalizeGoogleName);
  const familyName = hashGoogle(text(traits.familyName), normalizeGoogleName);
  const regionCode = text(traits.regionCode).toUpperCase();
  const postalCode = text(traits.postalCode);
  // Google matches the address only as a whole: all four parts, and a real ISO 3166-1 alpha-2 region.
  if (!givenName || !familyName || !/^[A-Z]{2}$/.test(regionCode) || postalCode === '') return undefined;
  return { givenName, familyName, regionCode, postalCode };
}
