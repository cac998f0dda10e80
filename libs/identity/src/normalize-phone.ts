import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';

/**
 * Normalises a phone number to E.164 (`+447911123456`) with libphonenumber-js (the JavaScript port
 * of Google's libphonenumber metadata). A number without a leading `+` needs `defaultCountry`
 * (ISO 3166 alpha-2, e.g. 'GB'); without it such numbers are ambiguous and return null, as do
 * numbers that are not valid for their country.
 *
 * @example normalizePhone('+44 7911 123456') // '+447911123456'
 * @example normalizePhone('07911 123456', 'GB') // '+447911123456'
 * @example normalizePhone('07911 123456') // null
 */
export function normalizePhone(raw: unknown, defaultCountry?: string): string | null {
  if (typeof raw !== 'string' && typeof raw !== 'number') return null;
  const text = String(raw).trim();
  if (text.length === 0 || text.length > 64) return null;
  const parsed = parsePhoneNumberFromString(text, defaultCountry as CountryCode | undefined);
  if (!parsed || !parsed.isValid()) return null;
  return parsed.number;
}
