// Deliberately loose: one "@" with something on both sides and no whitespace. Stricter checks
// (RFC 5322) reject addresses real mail servers accept; the goal here is one spelling per address.
const EMAIL_SHAPE = /^[^\s@]+@[^\s@]+$/;
const MAX_EMAIL_LENGTH = 320;

/**
 * Normalises an email address for identity matching: trimmed and lower-cased.
 * Returns null when the value is not a string that looks like an address.
 *
 * @example normalizeEmail('  Ann.Lee@Example.COM ') // 'ann.lee@example.com'
 * @example normalizeEmail('not an email') // null
 */
export function normalizeEmail(raw: unknown): string | null {
  if (typeof raw !== 'string') return null;
  const email = raw.trim().toLowerCase();
  if (email.length > MAX_EMAIL_LENGTH || !EMAIL_SHAPE.test(email)) return null;
  return email;
}
