import type { Client } from '@sendgrid/client';
import {
  ConnectorContext,
  defineConnector,
  delivered,
  EligibleMember,
  PayloadValidationError,
  RecordOutcome,
  rejected,
} from '@audiencekit/connector-sdk';
import {
  describeErrors,
  sendgridClient,
  sendgridFailure,
  sendgridRequest,
  SendgridSecrets,
  sendgridSecrets,
  toConnectorError,
} from '../sendgrid-client';
import { chunkContacts, ContactChunk, MAX_CONTACTS_PER_REQUEST } from './contact-batches';
import { ContactsSettings, contactsComputedTraitRefs, contactsSettings } from './contacts-settings';
import { ContactImport, DEFAULT_POLL, PollOptions, waitForImport } from './import-jobs';
import { findContacts, MAX_SEARCH_EMAIL_LENGTH } from './contact-search';

type Ctx = ConnectorContext<ContactsSettings, SendgridSecrets>;

interface MarketingList {
  id: string;
  name: string;
  contact_count?: number;
}

export interface SendgridContactsOptions {
  /** How long and how often to poll import jobs (tests pass short delays). */
  poll?: PollOptions;
}

/**
 * SendGrid Marketing Contacts, list model: members are upserted into one list with
 * PUT /v3/marketing/contacts (`list_ids`), the import job is polled, and removals take the
 * contacts off the list (they stay contacts). See README.md for the documents this follows.
 */
export function sendgridContactsConnector(options: SendgridContactsOptions = {}) {
  const poll = options.poll ?? DEFAULT_POLL;
  return defineConnector<ContactsSettings, SendgridSecrets>({
    slug: 'sendgrid',
    displayName: 'SendGrid Marketing Contacts',
    channel: 'email',
    deliveryModel: 'list',
    settings: contactsSettings,
    secrets: sendgridSecrets,
    requiredIdentifiers: ['email'],
    // Batches of one request's worth; SendGrid publishes no fixed request rate (it answers 429
    // with X-RateLimit-Reset), so the core learns it from RetryableError.retryAfterMs.
    limits: { maxBatchSize: MAX_CONTACTS_PER_REQUEST, maxConcurrency: 1 },
    computedTraitRefs: contactsComputedTraitRefs,

    async testConnection(ctx) {
      // GET /v3/scopes: authenticated, cheap, and allowed for every key, even a restricted one.
      await sendgridRequest(sendgridClient(ctx), { method: 'GET', url: '/v3/scopes' });
    },

    async ensureAudience(ctx, input) {
      const client = sendgridClient(ctx);
      const name = input.name.slice(0, 100);
      const existing = await findListByName(client, name);
      if (existing) return { externalId: existing.id };
      const { body } = await sendgridRequest<MarketingList>(client, { method: 'POST', url: '/v3/marketing/lists', body: { name } });
      ctx.logger.info('created SendGrid list', { listId: body.id, name });
      return { externalId: body.id };
    },

    async upsert(ctx, members) {
      const listId = audienceId(ctx);
      const client = sendgridClient(ctx);
      const outcomes: RecordOutcome[] = [];
      for (const chunk of chunkContacts(members, ctx.settings, [listId]))
        outcomes.push(...(await upsertChunk(ctx, client, listId, chunk, poll)));
      return outcomes;
    },

    async remove(ctx, members) {
      const listId = audienceId(ctx);
      const client = sendgridClient(ctx);
      const found = await findContacts(
        client,
        members.map((member) => member.identifiers.email as string),
      );
      const onList = [
        ...new Set(
          members.flatMap((member) => {
            const contact = found.get((member.identifiers.email as string).toLowerCase());
            return contact && contact.list_ids.includes(listId) ? [contact.id] : [];
          }),
        ),
      ];
      for (let start = 0; start < onList.length; start += REMOVE_IDS_PER_REQUEST) {
        const ids = onList.slice(start, start + REMOVE_IDS_PER_REQUEST).join(',');
        await sendgridRequest(client, {
          method: 'DELETE',
          url: `/v3/marketing/lists/${encodeURIComponent(listId)}/contacts`,
          qs: { contact_ids: ids },
        });
      }
      // Not a contact, or not on the list: already where a removal would put it. An address the
      // search cannot take (over 100 characters) may still be a contact on the list: not claimed removed.
      return members.map((member) =>
        (member.identifiers.email as string).length <= MAX_SEARCH_EMAIL_LENGTH
          ? delivered(member)
          : rejected(
              member,
              `SendGrid cannot look up an address over ${MAX_SEARCH_EMAIL_LENGTH} characters (Get Contacts by Emails), so it was not taken off the list`,
              'email_not_searchable',
            ),
      );
    },

    async audienceSize(ctx) {
      const { body } = await sendgridRequest<MarketingList>(sendgridClient(ctx), {
        method: 'GET',
        url: `/v3/marketing/lists/${encodeURIComponent(audienceId(ctx))}`,
      });
      return typeof body.contact_count === 'number' ? body.contact_count : undefined;
    },
  });
}

/** Contact ids (36-character UUIDs) per list-removal request: keeps the query string short. */
const REMOVE_IDS_PER_REQUEST = 100;

function audienceId(ctx: Ctx): string {
  const id = ctx.audience?.externalId;
  if (!id) throw new PayloadValidationError('SendGrid list id missing: ensureAudience must run before upsert/remove');
  return id;
}

/** GET /v3/marketing/lists pages through every list (page_size up to 1000, `_metadata.next`). */
async function findListByName(client: Client, name: string): Promise<MarketingList | undefined> {
  let pageToken: string | undefined;
  for (let page = 0; page < 1_000; page += 1) {
    const qs: Record<string, string | number> = { page_size: 1000, ...(pageToken ? { page_token: pageToken } : {}) };
    const { body } = await sendgridRequest<{ result?: MarketingList[]; _metadata?: { next?: string } }>(client, {
      method: 'GET',
      url: '/v3/marketing/lists',
      qs,
    });
    const match = (body.result ?? []).find((list) => list.name === name);
    if (match) return match;
    pageToken = body._metadata?.next ? (new URL(body._metadata.next).searchParams.get('page_token') ?? undefined) : undefined;
    if (!pageToken) return undefined;
  }
  return undefined;
}

/**
 * One PUT, then its import job. A 400 naming contacts (`contacts[3].email`, `contacts.3.email`)
 * rejects those members and sends the rest once more; other refusals fail the batch.
 */
async function upsertChunk(ctx: Ctx, client: Client, listId: string, chunk: ContactChunk, poll: PollOptions): Promise<RecordOutcome[]> {
  let jobId: string;
  const refused: RecordOutcome[] = [];
  try {
    jobId = await putContacts(client, listId, chunk);
  } catch (error) {
    const named = namedContactErrors(error, chunk);
    if (named.size === 0) throw toConnectorError(error, 'PUT /v3/marketing/contacts');
    const rest: ContactChunk = { members: [], contacts: [] };
    chunk.members.forEach((member, index) => {
      const reason = named.get(index);
      if (reason) refused.push(rejected(member, `SendGrid refused the contact: ${reason}`, 'HTTP 400'));
      else {
        rest.members.push(member);
        rest.contacts.push(chunk.contacts[index]);
      }
    });
    if (rest.members.length === 0) return refused;
    chunk = rest;
    jobId = await putContacts(client, listId, chunk).catch((retryError: unknown) => {
      throw toConnectorError(retryError, 'PUT /v3/marketing/contacts');
    });
  }
  const job = await waitForImport(client, jobId, poll, ctx.signal);
  return [...refused, ...(await importOutcomes(ctx, client, listId, chunk, job))];
}

/** PUT /v3/marketing/contacts → 202 `{ job_id }`; errors come back raw so the caller can read `errors[]`. */
async function putContacts(client: Client, listId: string, chunk: ContactChunk): Promise<string> {
  const [, body] = await client.request({
    method: 'PUT',
    url: '/v3/marketing/contacts',
    body: { list_ids: [listId], contacts: chunk.contacts },
  });
  return String((body as { job_id?: unknown }).job_id);
}

const CONTACT_FIELD = /^contacts(?:\[(\d+)\]|\.(\d+))/;

function namedContactErrors(error: unknown, chunk: ContactChunk): Map<number, string> {
  const failure = sendgridFailure(error);
  const named = new Map<number, string>();
  if (!failure || failure.status !== 400) return named;
  for (const item of failure.errors) {
    const match = CONTACT_FIELD.exec(item.field ?? '');
    if (!match) return new Map(); // an error about the whole request: no per-member answer
    const index = Number(match[1] ?? match[2]);
    if (index < chunk.contacts.length) named.set(index, describeErrors([item]));
  }
  return named;
}

/**
 * completed → delivered; failed → every member rejected; errored → SendGrid does not say which
 * contacts failed in the status itself (the errors file is a download for people), so the members
 * are looked up with "Get Contacts by Emails": on the list → delivered, otherwise rejected.
 * Still pending when the wait ran out → delivered: SendGrid accepted the upsert (202).
 */
async function importOutcomes(ctx: Ctx, client: Client, listId: string, chunk: ContactChunk, job: ContactImport): Promise<RecordOutcome[]> {
  const vendorId = job.id;
  if (job.status === 'completed') return chunk.members.map((member) => delivered(member, vendorId));
  if (job.status === 'failed') {
    ctx.logger.warn('SendGrid import job failed', { jobId: job.id, errorsUrl: job.results?.errors_url });
    return chunk.members.map((member) => rejected(member, `SendGrid import job ${job.id} failed`, 'import_failed'));
  }
  if (job.status === 'errored') {
    ctx.logger.warn('SendGrid import job finished with errors', {
      jobId: job.id,
      errored: job.results?.errored_count,
      errorsUrl: job.results?.errors_url,
    });
    return verifyOnList(client, listId, chunk.members, job);
  }
  ctx.logger.warn('SendGrid import job still pending; counted as accepted', { jobId: job.id, status: job.status });
  return chunk.members.map((member) => delivered(member, vendorId));
}

async function verifyOnList(client: Client, listId: string, members: EligibleMember[], job: ContactImport): Promise<RecordOutcome[]> {
  const found = await findContacts(
    client,
    members.map((member) => member.identifiers.email as string),
  );
  return members.map((member) => {
    const contact = found.get((member.identifiers.email as string).toLowerCase());
    if (contact && contact.list_ids.includes(listId)) return delivered(member, job.id);
    return rejected(
      member,
      `SendGrid import job ${job.id} errored on this contact (see errors_url: ${job.results?.errors_url ?? 'none'})`,
      'import_errored',
    );
  });
}
