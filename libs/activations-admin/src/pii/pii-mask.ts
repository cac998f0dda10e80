import type { ApiKeyRole } from '@audiencekit/persistence';

const EMAIL = /([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})/g;
// E.164-looking numbers (a plus and 8–15 digits): what we store and what vendors echo back.
const PHONE = /\+(\d{2})(\d{3,10})(\d{3})\b/g;

/** Only admin keys read identifiers in the clear; everyone else sees them masked. */
export function mayReadPii(role: ApiKeyRole | undefined): boolean {
  return role === 'admin';
}

/** `alice@example.com` → `a***@example.com`: the domain stays (it says which mailbox provider refused). */
export function maskEmail(email: string): string {
  return email.replace(EMAIL, (_match, first: string, domain: string) => `${first}***@${domain}`);
}

/** `+447700900123` → `+44*******123`: country code and last three digits, enough to tell two apart. */
export function maskPhone(phone: string): string {
  return phone.replace(PHONE, (_match, country: string, middle: string, last: string) => `+${country}${'*'.repeat(middle.length)}${last}`);
}

/** Masks every email address and phone number found in a string. */
export function maskIdentifiers(text: string): string {
  return maskPhone(maskEmail(text));
}

/**
 * A copy of a response body with every identifier-looking string masked (errors, samples and
 * vendor messages are free text, so masking walks the whole value rather than known fields).
 */
export function maskPiiDeep<T>(value: T): T {
  if (typeof value === 'string') return maskIdentifiers(value) as T;
  if (Array.isArray(value)) return value.map((item) => maskPiiDeep(item)) as T;
  if (value instanceof Date || value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, maskPiiDeep(item)])) as T;
}

/** The body as this key may see it. */
export function forRole<T>(value: T, role: ApiKeyRole | undefined): T {
  return mayReadPii(role) ? value : maskPiiDeep(value);
}
