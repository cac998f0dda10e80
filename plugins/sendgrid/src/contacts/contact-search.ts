import type { Client } from '@sendgrid/client';
import { sendgridFailure, sendgridRequest } from '../sendgrid-client';

/** A contact as "Get Contacts by Emails" returns it (ContactDetails3), the fields we read. */
export interface FoundContact {
  id: string;
  email: string;
  list_ids: string[];
}

/** POST /v3/marketing/contacts/search/emails takes up to 100 addresses a request. */
export const EMAILS_PER_SEARCH = 100;
/** Each searched address: `maxLength: 100` (ListContactByEmail), and "a 400 status code is returned if any searched addresses are invalid". */
export const MAX_SEARCH_EMAIL_LENGTH = 100;
const SEARCHABLE_EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * Whether "Get Contacts by Emails" can look this address up: one invalid or over-long address
 * makes SendGrid refuse the whole request (400), so such addresses are never sent.
 */
export function isSearchableEmail(email: string): boolean {
  return email.length > 0 && email.length <= MAX_SEARCH_EMAIL_LENGTH && SEARCHABLE_EMAIL.test(email);
}

/**
 * Looks contacts up by e-mail, 100 a request. A 404 means none of that request's addresses is a
 * contact; addresses not found come back with an `error` instead of a `contact`. Addresses the
 * search cannot take (`isSearchableEmail`) are not sent and come back not found.
 * @returns lower-cased e-mail → contact, for the addresses that are contacts
 */
export async function findContacts(client: Client, emails: readonly string[]): Promise<Map<string, FoundContact>> {
  const found = new Map<string, FoundContact>();
  const searchable = [...new Set(emails.filter(isSearchableEmail))];
  for (let start = 0; start < searchable.length; start += EMAILS_PER_SEARCH) {
    const batch = searchable.slice(start, start + EMAILS_PER_SEARCH);
    const result = await searchEmails(client, batch);
    for (const [email, entry] of Object.entries(result)) {
      if (entry.contact)
        found.set(email.toLowerCase(), { id: entry.contact.id, email: entry.contact.email, list_ids: entry.contact.list_ids ?? [] });
    }
  }
  return found;
}

type SearchResult = Record<string, { contact?: FoundContact; error?: string }>;

async function searchEmails(client: Client, emails: string[]): Promise<SearchResult> {
  try {
    const { body } = await sendgridRequest<{ result?: SearchResult }>(client, {
      method: 'POST',
      url: '/v3/marketing/contacts/search/emails',
      body: { emails },
    });
    return body.result ?? {};
  } catch (error) {
    if (isNotFound(error)) return {};
    throw error;
  }
}

// sendgridRequest maps failures to connector errors; the 404 of "none found" keeps its vendor code.
function isNotFound(error: unknown): boolean {
  return sendgridFailure(error)?.status === 404 || (error as { vendorCode?: string } | undefined)?.vendorCode === 'HTTP 404';
}
