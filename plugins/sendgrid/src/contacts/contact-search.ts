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

/**
 * Looks contacts up by e-mail, 100 a request. A 404 means none of that request's addresses is a
 * contact; addresses not found come back with an `error` instead of a `contact`.
 * @returns lower-cased e-mail → contact, for the addresses that are contacts
 */
export async function findContacts(client: Client, emails: readonly string[]): Promise<Map<string, FoundContact>> {
  const found = new Map<string, FoundContact>();
  for (let start = 0; start < emails.length; start += EMAILS_PER_SEARCH) {
    const batch = emails.slice(start, start + EMAILS_PER_SEARCH);
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
