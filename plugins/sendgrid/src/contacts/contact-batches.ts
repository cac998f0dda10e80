import { EligibleMember, memberValue } from '@audiencekit/connector-sdk';
import type { ContactsSettings } from './contacts-settings';

/** PUT /v3/marketing/contacts takes "up to 30,000 contacts, or 6MB of data, whichever is lower". */
export const MAX_CONTACTS_PER_REQUEST = 30_000;
/** 6 MB read as decimal megabytes, the stricter reading, for the whole JSON body. */
export const MAX_REQUEST_BYTES = 6_000_000;

/** A contact as ContactRequest in SendGrid's OpenAPI file (tsg_mc_contacts_v3.json). */
export interface ContactRequest {
  email: string;
  first_name?: string;
  last_name?: string;
  custom_fields?: Record<string, string | number>;
}

export interface ContactChunk {
  members: EligibleMember[];
  contacts: ContactRequest[];
}

/** A member's contact: e-mail, names and the mapped custom fields (trait → SendGrid field id). */
export function toContact(member: EligibleMember, settings: ContactsSettings): ContactRequest {
  const contact: ContactRequest = { email: member.identifiers.email as string };
  const firstName = textTrait(member, settings.firstNameTrait);
  const lastName = textTrait(member, settings.lastNameTrait);
  if (firstName !== undefined) contact.first_name = firstName.slice(0, 50);
  if (lastName !== undefined) contact.last_name = lastName.slice(0, 50);
  const customFields: Record<string, string | number> = {};
  for (const [trait, fieldId] of Object.entries(settings.customFields)) {
    const value = fieldValue(traitAt(member, trait));
    if (value !== undefined) customFields[fieldId] = value;
  }
  if (Object.keys(customFields).length > 0) contact.custom_fields = customFields;
  return contact;
}

/**
 * Splits members into requests of at most 30,000 contacts and 6 MB of JSON each, in order. The
 * body is `{"list_ids":[…],"contacts":[…]}`: its fixed part plus each contact and its comma.
 */
export function chunkContacts(
  members: readonly EligibleMember[],
  settings: ContactsSettings,
  listIds: string[],
  maxBytes = MAX_REQUEST_BYTES,
): ContactChunk[] {
  const fixedBytes = Buffer.byteLength(JSON.stringify({ list_ids: listIds, contacts: [] }));
  const chunks: ContactChunk[] = [];
  let current: ContactChunk = { members: [], contacts: [] };
  let bytes = fixedBytes;
  for (const member of members) {
    const contact = toContact(member, settings);
    const size = Buffer.byteLength(JSON.stringify(contact)) + 1;
    const full = current.contacts.length >= MAX_CONTACTS_PER_REQUEST || (current.contacts.length > 0 && bytes + size > maxBytes);
    if (full) {
      chunks.push(current);
      current = { members: [], contacts: [] };
      bytes = fixedBytes;
    }
    current.members.push(member);
    current.contacts.push(contact);
    bytes += size;
  }
  if (current.contacts.length > 0) chunks.push(current);
  return chunks;
}

/** A trait path, or `computed.<key>` for a computed or SQL trait (the SDK's `memberValue`). */
function traitAt(member: EligibleMember, path: string): unknown {
  return memberValue(member, path);
}

function textTrait(member: EligibleMember, path: string): string | undefined {
  const value = traitAt(member, path);
  return value === undefined || value === null || value === '' ? undefined : String(value);
}

/** SendGrid custom fields are Text, Number or Date: numbers stay numbers, dates become ISO text. */
function fieldValue(value: unknown): string | number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}
