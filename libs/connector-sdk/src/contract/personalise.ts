import { createHash } from 'node:crypto';
import { memberValue } from './computed-values';
import type { MemberData } from './members';

const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_.$-]+)\s*\}\}/g;

/**
 * Fills `{{trait}}` placeholders of a template with a member's traits (dotted paths reach nested
 * traits) and `{{computed.<key>}}` with its computed and SQL trait values (`memberValue`). A missing
 * value renders as an empty string, never as "undefined".
 * @example renderTemplate('Hi {{first_name}}, you spent {{computed.spend_90d}}', member) // 'Hi Ada, you spent 120'
 */
export function renderTemplate(template: string, member: Pick<MemberData, 'traits' | 'computed'>): string {
  return template.replace(PLACEHOLDER, (_match, path: string) => {
    const value = memberValue(member, path);
    return value === undefined || value === null ? '' : String(value);
  });
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** True for a lower-case hex SHA-256 digest: such a value is already hashed and must not be hashed again. */
export const isSha256Hex = (value: string): boolean => SHA256_HEX.test(value);

/** SHA-256 of the UTF-8 bytes, lower-case hex: what Meta and Google ask for. Already-hashed input is returned as is. */
export function sha256Hex(value: string): string {
  if (isSha256Hex(value)) return value;
  return createHash('sha256').update(value, 'utf8').digest('hex');
}
