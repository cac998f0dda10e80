import { isSha256Hex, sha256Hex } from '@audiencekit/connector-sdk';
import type { MemberData } from '@audiencekit/connector-sdk';

/** Multi-key schema of every upload: one row per member, `''` where an identifier is missing. */
export const META_SCHEMA = ['EMAIL', 'PHONE'] as const;

/** Meta's rule for EMAIL: trim leading and trailing whitespace, lower-case. */
export const normalizeMetaEmail = (value: string): string => value.trim().toLowerCase();

/**
 * Meta's rule for PHONE: digits only (no `+`, spaces, dashes or letters), no leading zeros, with the
 * country code. Values arrive in E.164 from the core, so the country code is already there.
 * @example normalizeMetaPhone('+1 (650) 555-1212') // '16505551212'
 */
export const normalizeMetaPhone = (value: string): string => value.replace(/\D/g, '').replace(/^0+/, '');

/**
 * Normalised SHA-256 hex of an identifier, or undefined when nothing is left after normalising.
 * A value that already is a SHA-256 hex digest (any case) is passed through, never hashed twice.
 */
export function hashMetaIdentifier(kind: 'email' | 'phone', value: string): string | undefined {
  const candidate = value.trim().toLowerCase();
  if (isSha256Hex(candidate)) return candidate;
  const normalised = kind === 'email' ? normalizeMetaEmail(value) : normalizeMetaPhone(value);
  return normalised === '' ? undefined : sha256Hex(normalised);
}

/** The `[EMAIL, PHONE]` row of a member, hashed; undefined when the member has neither. */
export function metaRow(member: Pick<MemberData, 'identifiers'>): [string, string] | undefined {
  const email = member.identifiers.email === undefined ? undefined : hashMetaIdentifier('email', member.identifiers.email);
  const phone = member.identifiers.phone === undefined ? undefined : hashMetaIdentifier('phone', member.identifiers.phone);
  if (email === undefined && phone === undefined) return undefined;
  return [email ?? '', phone ?? ''];
}
