import { randomUUID } from 'node:crypto';
import {
  FakeResponse,
  FakeVendorServer,
  OpenApiRequestValidator,
  OpenApiViolation,
  RecordedRequest,
  startFakeVendor,
} from '@audiencekit/connector-sdk/testing';
import { sendgridSpecValidator } from './sendgrid-spec';

/**
 * A fake of the SendGrid v3 endpoints the two connectors use. Every request is validated against
 * SendGrid's own OpenAPI files (twilio/sendgrid-oai, the operations extracted in ../../spec/):
 * Bearer auth, path, query and body schema (required, minLength/maxLength, maxItems, uniqueItems,
 * formats...), and refused as SendGrid does: 401 / 400 with `errors[]` naming each `field`. On top,
 * what the operations' descriptions document: a contact needs an identifier, search takes valid
 * addresses only (400), removal of unknown contact ids is 404. Every answer carries the
 * `X-RateLimit-Limit/Remaining/Reset` headers of the "Rate Limits" page, and a route over its
 * limit answers 429 `too many requests`. 202 + `job_id` for contact upserts, import jobs that stay
 * `pending` for a while, 202 with X-Message-Id for mail. Runnable on its own: see ../../fake-server.ts.
 */
export interface SendgridFakeOptions {
  /** Accepted API keys (default: any key starting with "SG."). */
  apiKeys?: string[];
  /** Status requests an import job answers `pending` before it finishes (default 1). */
  pendingPolls?: number;
  /** Custom field ids that exist; a contact naming another one is an errored contact (default: any). */
  customFieldIds?: string[];
  /** Lists page size cap of GET /v3/marketing/lists (SendGrid: 1000). */
  maxPageSize?: number;
  /**
   * Requests per refresh period, per endpoint (SendGrid publishes no numbers: each endpoint has
   * its own). Default 10,000 a minute, so only tests that ask for it meet the limit.
   */
  rateLimit?: { limit: number; periodMs?: number };
  /** Clock for the rate-limit periods (default Date.now). */
  now?: () => number;
  port?: number;
}

export interface FakeContact {
  id: string;
  email: string;
  first_name?: string;
  last_name?: string;
  custom_fields: Record<string, unknown>;
  list_ids: string[];
}

export interface FakeList {
  id: string;
  name: string;
}

export interface FakeImportJob {
  id: string;
  job_type: 'upsert' | 'delete';
  pollsLeft: number;
  requested: number;
  created: number;
  updated: number;
  errored: number;
}

/** A mail as SendGrid would deliver it: one per recipient, substitutions applied. */
export interface FakeDeliveredMail {
  to: string;
  from: string;
  subject?: string;
  text?: string;
  html?: string;
  templateId?: string;
  dynamicTemplateData?: Record<string, unknown>;
  customArgs: Record<string, string>;
  messageId: string;
}

export interface SendgridFake {
  server: FakeVendorServer;
  url: string;
  /** The validator built from the committed OpenAPI extracts (the same the fake refuses with). */
  validator: OpenApiRequestValidator;
  /** The routes served, `METHOD /path/:param`. */
  routes: string[];
  contacts: Map<string, FakeContact>;
  lists: Map<string, FakeList>;
  jobs: Map<string, FakeImportJob>;
  mails: FakeDeliveredMail[];
  stop(): Promise<void>;
}

/** "up to 30,000 contacts, or 6MB of data, whichever is lower" (PUT /v3/marketing/contacts). */
export const FAKE_MAX_CONTACTS = 30_000;
export const FAKE_MAX_CONTACT_BYTES = 6_000_000;
export const FAKE_MAX_PERSONALIZATIONS = 1_000;
/** Substitutions, and dynamic template data, per personalization (tsg_mail_v3.json), as JSON bytes. */
export const FAKE_MAX_PERSONALIZATION_DATA_BYTES = 10_000;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** "Each contact needs to include at least one of `email`, `phone_number_id`, `external_id`, or `anonymous_id`" (PUT /v3/marketing/contacts). */
const CONTACT_IDENTIFIERS = ['email', 'phone_number_id', 'external_id', 'anonymous_id'];

export { SENDGRID_SPEC_DOCUMENTS } from './sendgrid-spec';

export async function startSendgridFake(options: SendgridFakeOptions = {}): Promise<SendgridFake> {
  const state = {
    contacts: new Map<string, FakeContact>(),
    lists: new Map<string, FakeList>(),
    jobs: new Map<string, FakeImportJob>(),
    mails: [] as FakeDeliveredMail[],
  };
  const validator = sendgridSpecValidator();
  const limiter = new RateLimiter(options.rateLimit?.limit ?? 10_000, options.rateLimit?.periodMs ?? 60_000, options.now ?? Date.now);
  // Auth, then the endpoint's rate limit, then the spec, then the operation's own rules; every answer has the X-RateLimit-* headers.
  const authed = (handler: (request: RecordedRequest) => FakeResponse) => (request: RecordedRequest) => {
    const operation = validator.match(request.method, request.path)?.name ?? `${request.method} ${request.path}`;
    const denied = authorize(request, options);
    const rate = limiter.take(operation, !denied);
    const response =
      denied ??
      (rate.exceeded ? errors(429, [{ field: null, message: 'too many requests' }]) : undefined) ??
      specErrors(validator.validate(request).violations) ??
      handler(request);
    return { ...response, headers: { ...rate.headers, ...response.headers } };
  };
  const routes = {
    'GET /v3/scopes': authed(() => ok({ scopes: ['mail.send', 'marketing.read', 'marketing.write'] })),
    'GET /v3/marketing/lists': authed((request) => listLists(state, request, options)),
    'POST /v3/marketing/lists': authed((request) => createList(state, request)),
    'GET /v3/marketing/lists/:id': authed((request) => getList(state, request.params.id)),
    'DELETE /v3/marketing/lists/:id/contacts': authed((request) => removeFromList(state, request)),
    'PUT /v3/marketing/contacts': authed((request) => upsertContacts(state, request, options)),
    'GET /v3/marketing/contacts/imports/:id': authed((request) => importStatus(state, request.params.id)),
    'POST /v3/marketing/contacts/search/emails': authed((request) => searchEmails(state, request)),
    'POST /v3/mail/send': authed((request) => sendMail(state, request)),
  };
  const server = await startFakeVendor({
    port: options.port,
    routes,
    notFound: () => errors(404, [{ field: null, message: 'resource not found' }]),
  });
  return { server, url: server.url, validator, routes: Object.keys(routes), ...state, stop: () => server.stop() };
}

type State = Pick<SendgridFake, 'contacts' | 'lists' | 'jobs' | 'mails'>;

const ok = (body: unknown, status = 200, headers?: Record<string, string>): FakeResponse => ({ status, body, headers });
type ErrorItem = { field?: string | null; message: string; help?: Record<string, unknown> };
const errors = (status: number, items: ErrorItem[]): FakeResponse => ({
  status,
  body: { errors: items.map((item) => ({ field: item.field ?? null, message: item.message, ...(item.help ? { help: item.help } : {}) })) },
});

/**
 * Spec violations as SendGrid answers them: 401 without credentials, 404 for an undocumented
 * operation, else 400 with one `errors[]` item per violation, `field` in SendGrid's dotted form
 * (`personalizations.0.subject`, `contacts.3.email`, the query parameter's name) and `help`
 * naming the rule (the ErrorResponse schema's `help` is an object).
 */
function specErrors(violations: OpenApiViolation[]): FakeResponse | undefined {
  if (violations.length === 0) return undefined;
  if (violations.some((item) => item.location === 'security')) return errors(401, [{ message: 'authorization required' }]);
  if (violations.some((item) => item.location === 'operation')) return errors(404, [{ message: 'resource not found' }]);
  return errors(
    400,
    violations.map((item) => ({ field: item.field || null, message: sendgridMessage(item), help: { rule: item.keyword, ...item.params } })),
  );
}

/** Mail Send's own wording where SendGrid documents it (tsg_mail_v3.json examples and error pages); the schema's otherwise. */
function sendgridMessage(violation: OpenApiViolation): string {
  const { field, keyword } = violation;
  if (keyword === 'minLength' && /^(personalizations\.\d+\.)?subject$/.test(field))
    return 'The subject of your email must be a string at least one character in length.';
  if (keyword === 'format' && /^personalizations\.\d+\.(to|cc|bcc)\.\d+\.email$/.test(field)) return 'Does not contain a valid address.';
  if (keyword === 'format' && field === 'from.email') return 'The from email does not contain a valid address.';
  if (keyword === 'maxItems' && field === 'personalizations')
    return 'The personalizations field must have no more than 1000 personalizations.';
  return violation.message;
}

/** Fixed refresh periods per endpoint, as the "Rate Limits" page describes them. */
class RateLimiter {
  private readonly periods = new Map<string, { start: number; used: number }>();
  constructor(
    private readonly limit: number,
    private readonly periodMs: number,
    private readonly now: () => number,
  ) {}

  take(key: string, count: boolean): { exceeded: boolean; headers: Record<string, string> } {
    const now = this.now();
    let period = this.periods.get(key);
    if (!period || now >= period.start + this.periodMs) {
      period = { start: now - (now % this.periodMs), used: 0 };
      this.periods.set(key, period);
    }
    const exceeded = count && period.used >= this.limit;
    if (count && !exceeded) period.used += 1;
    return {
      exceeded,
      headers: {
        'X-RateLimit-Limit': String(this.limit),
        'X-RateLimit-Remaining': String(Math.max(0, this.limit - period.used)),
        'X-RateLimit-Reset': String(Math.ceil((period.start + this.periodMs) / 1000)),
      },
    };
  }
}

function authorize(request: RecordedRequest, options: SendgridFakeOptions): FakeResponse | undefined {
  const header = String(request.headers.authorization ?? '');
  const key = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
  const valid = options.apiKeys ? options.apiKeys.includes(key) : key.startsWith('SG.');
  if (!header) return errors(401, [{ message: 'authorization required' }]);
  if (!valid) return errors(401, [{ message: 'The provided authorization grant is invalid, expired, or revoked' }]);
  return undefined;
}

function listLists(state: State, request: RecordedRequest, options: SendgridFakeOptions): FakeResponse {
  const pageSize = Math.min(Number(request.query.page_size ?? 100), options.maxPageSize ?? 1000);
  if (!(pageSize >= 1)) return errors(400, [{ field: 'page_size', message: 'page_size must be between 1 and 1000' }]);
  const offset = Number(request.query.page_token ?? 0) || 0;
  const all = [...state.lists.values()];
  const page = all.slice(offset, offset + pageSize).map((list) => listBody(state, list));
  const self = `/v3/marketing/lists?page_size=${pageSize}&page_token=${offset || ''}`;
  const next =
    offset + pageSize < all.length
      ? `https://api.sendgrid.com/v3/marketing/lists?page_size=${pageSize}&page_token=${offset + pageSize}`
      : undefined;
  return ok({ result: page, _metadata: { self: `https://api.sendgrid.com${self}`, ...(next ? { next } : {}), count: all.length } });
}

function createList(state: State, request: RecordedRequest): FakeResponse {
  const name = (request.body as { name?: unknown } | undefined)?.name;
  if (typeof name !== 'string' || name.length < 1 || name.length > 100)
    return errors(400, [{ field: 'name', message: 'name is required and must be 1 to 100 characters' }]);
  const list = { id: randomUUID(), name };
  state.lists.set(list.id, list);
  return ok(listBody(state, list), 201);
}

function getList(state: State, id: string): FakeResponse {
  const list = state.lists.get(id);
  // GetMarketingList documents its 404 as a bare array of errors (tsg_mc_lists_v3.json), unlike the other operations.
  if (!list) return { status: 404, body: [{ field: 'id', message: 'list not found' }] };
  return ok(listBody(state, list));
}

function listBody(state: State, list: FakeList) {
  const count = [...state.contacts.values()].filter((contact) => contact.list_ids.includes(list.id)).length;
  return {
    id: list.id,
    name: list.name,
    contact_count: count,
    _metadata: { self: `https://api.sendgrid.com/v3/marketing/lists/${list.id}` },
  };
}

function removeFromList(state: State, request: RecordedRequest): FakeResponse {
  const list = state.lists.get(request.params.id);
  if (!list) return errors(404, [{ field: 'id', message: 'list not found' }]);
  const ids = (request.query.contact_ids ?? '').split(',').filter(Boolean);
  if (ids.length === 0) return errors(400, [{ field: 'contact_ids', message: 'contact_ids is required' }]);
  const known = new Set([...state.contacts.values()].map((contact) => contact.id));
  const unknown = ids.filter((id) => !known.has(id));
  if (unknown.length > 0) return errors(404, [{ field: 'contact_ids', message: `contacts not found: ${unknown.join(',')}` }]);
  for (const contact of state.contacts.values())
    if (ids.includes(contact.id)) contact.list_ids = contact.list_ids.filter((id) => id !== list.id);
  return ok({ job_id: randomUUID() }, 202);
}

function upsertContacts(state: State, request: RecordedRequest, options: SendgridFakeOptions): FakeResponse {
  if (Buffer.byteLength(request.rawBody) > FAKE_MAX_CONTACT_BYTES)
    return errors(413, [{ field: null, message: 'request body exceeds 6MB' }]);
  const body = request.body as { list_ids?: unknown; contacts?: unknown } | undefined;
  const contacts = body?.contacts;
  if (!Array.isArray(contacts) || contacts.length < 1 || contacts.length > FAKE_MAX_CONTACTS) {
    return errors(400, [{ field: 'contacts', message: `contacts must hold 1 to ${FAKE_MAX_CONTACTS} items` }]);
  }
  const unidentified = (contacts as Record<string, unknown>[]).flatMap((contact, index) =>
    CONTACT_IDENTIFIERS.some((key) => typeof contact[key] === 'string' && contact[key] !== '')
      ? []
      : [{ field: `contacts.${index}`, message: `a contact needs at least one of ${CONTACT_IDENTIFIERS.join(', ')}` }],
  );
  if (unidentified.length > 0) return errors(400, unidentified);
  const listIds = Array.isArray(body?.list_ids) ? (body.list_ids as string[]) : [];
  const missing = listIds.filter((id) => !state.lists.has(id));
  if (missing.length > 0)
    return errors(
      404,
      missing.map((id) => ({ field: 'list_ids', message: `list ${id} does not exist` })),
    );
  const job: FakeImportJob = {
    id: randomUUID(),
    job_type: 'upsert',
    pollsLeft: options.pendingPolls ?? 1,
    requested: contacts.length,
    created: 0,
    updated: 0,
    errored: 0,
  };
  for (const contact of contacts as Record<string, unknown>[]) applyContact(state, job, contact, listIds, options);
  state.jobs.set(job.id, job);
  return ok({ job_id: job.id }, 202);
}

/** Import semantics: keyed by lower-cased e-mail; an invalid address or unknown field id errors that contact only. */
function applyContact(
  state: State,
  job: FakeImportJob,
  input: Record<string, unknown>,
  listIds: string[],
  options: SendgridFakeOptions,
): void {
  const email = typeof input.email === 'string' ? input.email.toLowerCase() : '';
  const fields = (input.custom_fields ?? {}) as Record<string, unknown>;
  const known = options.customFieldIds;
  const unknownField = known ? Object.keys(fields).some((id) => !known.includes(id)) : false;
  if ((email !== '' && !EMAIL.test(email)) || unknownField) {
    job.errored += 1;
    return;
  }
  // Keyed by e-mail; a contact identified otherwise by its first other identifier.
  const other = CONTACT_IDENTIFIERS.find((key) => key !== 'email' && typeof input[key] === 'string' && input[key] !== '');
  const key = email || `${other}:${String(other ? input[other] : '')}`;
  const existing = state.contacts.get(key);
  const contact: FakeContact = existing ?? { id: randomUUID(), email, custom_fields: {}, list_ids: [] };
  if (typeof input.first_name === 'string') contact.first_name = input.first_name;
  if (typeof input.last_name === 'string') contact.last_name = input.last_name;
  contact.custom_fields = { ...contact.custom_fields, ...fields };
  contact.list_ids = [...new Set([...contact.list_ids, ...listIds])];
  state.contacts.set(key, contact);
  if (existing) job.updated += 1;
  else job.created += 1;
}

function importStatus(state: State, id: string): FakeResponse {
  const job = state.jobs.get(id);
  if (!job) return errors(404, [{ field: 'id', message: 'job not found' }]);
  if (job.pollsLeft > 0) {
    job.pollsLeft -= 1;
    return ok({
      id: job.id,
      status: 'pending',
      job_type: job.job_type,
      results: { requested_count: job.requested },
      started_at: new Date().toISOString(),
    });
  }
  const status = job.errored === 0 ? 'completed' : job.errored === job.requested ? 'failed' : 'errored';
  return ok({
    id: job.id,
    status,
    job_type: job.job_type,
    results: {
      requested_count: job.requested,
      created_count: job.created,
      updated_count: job.updated,
      errored_count: job.errored,
      ...(job.errored > 0 ? { errors_url: `https://example.invalid/imports/${job.id}/errors.csv` } : {}),
    },
    started_at: new Date().toISOString(),
    finished_at: new Date().toISOString(),
  });
}

function searchEmails(state: State, request: RecordedRequest): FakeResponse {
  const emails = (request.body as { emails?: unknown } | undefined)?.emails;
  if (!Array.isArray(emails) || emails.length === 0) return errors(400, [{ field: 'emails', message: 'emails is required' }]);
  if (emails.length > 100) return errors(400, [{ field: 'emails', message: 'at most 100 emails a request' }]);
  // "Empty strings are excluded from the search"; "A 400 status code is returned if any searched addresses are invalid."
  const searched = (emails as string[]).filter((email) => email !== '');
  const invalid = searched.flatMap((email, index) =>
    EMAIL.test(email) ? [] : [{ field: `emails.${index}`, message: `${email} is not a valid email address` }],
  );
  if (invalid.length > 0) return errors(400, invalid);
  const result: Record<string, unknown> = {};
  let matched = 0;
  for (const email of searched) {
    const contact = state.contacts.get(String(email).toLowerCase());
    if (contact) matched += 1;
    result[String(email).toLowerCase()] = contact
      ? { contact: { ...contact, segment_ids: [], created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z' } }
      : { error: 'contact not found' };
  }
  if (matched === 0) return errors(404, [{ message: 'No contacts found' }]);
  return ok({ result });
}

interface MailBody {
  personalizations?: {
    to?: { email?: string }[];
    subject?: string;
    substitutions?: Record<string, string>;
    dynamic_template_data?: Record<string, unknown>;
    custom_args?: Record<string, string>;
  }[];
  from?: { email?: string };
  subject?: string;
  content?: { type?: string; value?: string }[];
  template_id?: string;
}

/** Validates like Mail Send (errors name `personalizations.{i}.to.{j}.email`), then "delivers" each personalization. */
function sendMail(state: State, request: RecordedRequest): FakeResponse {
  const body = (request.body ?? {}) as MailBody;
  const problems = mailProblems(body);
  if (problems.length > 0) return errors(400, problems);
  const messageId = randomUUID().replace(/-/g, '').slice(0, 22);
  for (const personalization of body.personalizations ?? []) {
    for (const to of personalization.to ?? []) state.mails.push(deliveredMail(body, personalization, String(to.email), messageId));
  }
  return { status: 202, headers: { 'X-Message-Id': messageId } };
}

function mailProblems(body: MailBody): { field: string | null; message: string }[] {
  const problems: { field: string | null; message: string }[] = [];
  const personalizations = body.personalizations;
  if (!Array.isArray(personalizations) || personalizations.length === 0)
    problems.push({
      field: 'personalizations',
      message: 'The personalizations field is required and must have at least one personalization.',
    });
  else if (personalizations.length > FAKE_MAX_PERSONALIZATIONS)
    problems.push({ field: 'personalizations', message: 'The personalizations field must have no more than 1000 personalizations.' });
  if (!body.from?.email || !EMAIL.test(body.from.email))
    problems.push({ field: 'from.email', message: 'The from email does not contain a valid address.' });
  if (!body.template_id && !(Array.isArray(body.content) && body.content.some((part) => part.value)))
    problems.push({ field: 'content', message: 'Unless a valid template_id is provided, the content parameter is required.' });
  (Array.isArray(personalizations) ? personalizations : []).forEach((personalization, index) => {
    (personalization.to ?? []).forEach((to, toIndex) => {
      if (!to.email || !EMAIL.test(to.email))
        problems.push({ field: `personalizations.${index}.to.${toIndex}.email`, message: 'Does not contain a valid address.' });
    });
    if (!body.template_id && !personalization.subject && !body.subject)
      problems.push({ field: `personalizations.${index}.subject`, message: 'The subject is required.' });
    problems.push(...personalizationDataProblems(personalization, index));
  });
  return problems;
}

/** `subject` has `minLength: 1`; substitutions and dynamic_template_data at most 10,000 bytes each (tsg_mail_v3.json). */
function personalizationDataProblems(
  personalization: NonNullable<MailBody['personalizations']>[number],
  index: number,
): { field: string; message: string }[] {
  const problems: { field: string; message: string }[] = [];
  if (personalization.subject === '')
    problems.push({
      field: `personalizations.${index}.subject`,
      message: 'The subject of your email must be a string at least one character in length.',
    });
  const sized = { substitutions: personalization.substitutions, dynamic_template_data: personalization.dynamic_template_data };
  for (const [field, data] of Object.entries(sized)) {
    if (data !== undefined && Buffer.byteLength(JSON.stringify(data)) > FAKE_MAX_PERSONALIZATION_DATA_BYTES)
      problems.push({
        field: `personalizations.${index}.${field}`,
        message: `The total size of your ${field} must be less than ${FAKE_MAX_PERSONALIZATION_DATA_BYTES} bytes per personalization object.`,
      });
  }
  return problems;
}

function deliveredMail(
  body: MailBody,
  personalization: NonNullable<MailBody['personalizations']>[number],
  to: string,
  messageId: string,
): FakeDeliveredMail {
  const substitute = (value: string | undefined) =>
    value === undefined
      ? undefined
      : Object.entries(personalization.substitutions ?? {}).reduce((text, [key, replacement]) => text.split(key).join(replacement), value);
  const part = (type: string) => body.content?.find((item) => item.type === type)?.value;
  return {
    to,
    from: String(body.from?.email),
    subject: substitute(personalization.subject ?? body.subject),
    text: substitute(part('text/plain')),
    html: substitute(part('text/html')),
    templateId: body.template_id,
    dynamicTemplateData: personalization.dynamic_template_data,
    customArgs: personalization.custom_args ?? {},
    messageId,
  };
}
