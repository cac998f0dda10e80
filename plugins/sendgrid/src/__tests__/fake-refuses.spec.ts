import { SendgridFake, startSendgridFake } from '../fake/sendgrid-fake';
import mailSpec from '../../spec/tsg_mail_v3.operations.json';

/**
 * The fake refuses what SendGrid's own OpenAPI operations (plugins/sendgrid/spec) refuse, over raw
 * HTTP: one sample per constraint (required, minLength/maxLength, minItems/maxItems, uniqueItems,
 * enum, format, type of additional properties, minimum/maximum of a query parameter, a required
 * query parameter, the security scheme) and the rules the operations' descriptions state, each
 * with SendGrid's status and `{ errors: [{ field, message, help? }] }`.
 */
const KEY = 'SG.refusal-check';
const errorItem = mailSpec.components.schemas.ErrorResponse.properties.errors.items.properties;

describe('sendgrid fake refuses invalid requests as SendGrid does', () => {
  let fake: SendgridFake;
  let listId: string;
  beforeAll(async () => {
    fake = await startSendgridFake({ pendingPolls: 0 });
    listId = (await call('POST', '/v3/marketing/lists', { name: 'refusals' })).body.id;
  });
  afterAll(async () => {
    await fake.stop();
  });

  async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const response = await fetch(`${fake.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
  }

  const mail = (overrides: Record<string, unknown> = {}, personalization: Record<string, unknown> = {}) => ({
    personalizations: [{ to: [{ email: 'ada@example.com' }], ...personalization }],
    from: { email: 'news@shop.example' },
    subject: 'Hello',
    content: [{ type: 'text/plain', value: 'Hi' }],
    ...overrides,
  });
  const contact = (fields: Record<string, unknown>) => ({ list_ids: [listId], contacts: [fields] });

  /** status, then the fields named, in SendGrid's error shape (only keys the ErrorResponse schema has). */
  async function expectRefused(request: Promise<{ status: number; body: any }>, status: number, fields: (string | null)[]) {
    const { status: got, body } = await request;
    expect(got).toBe(status);
    expect(Array.isArray(body.errors)).toBe(true);
    for (const item of body.errors) {
      expect(typeof item.message).toBe('string');
      for (const key of Object.keys(item)) expect(Object.keys(errorItem)).toContain(key);
    }
    expect(body.errors.map((item: { field: string | null }) => item.field)).toEqual(fields);
  }

  it.each([
    ['required (from)', () => mail({ from: undefined }), ['from']],
    ['required (personalizations.to)', () => mail({ personalizations: [{ subject: 'x' }] }), ['personalizations.0.to']],
    [
      'maxItems (1,000 personalizations)',
      () => mail({ personalizations: Array.from({ length: 1001 }, () => ({ to: [{ email: 'a@example.com' }] })) }),
      ['personalizations'],
    ],
    ['minLength (subject)', () => mail({}, { subject: '' }), ['personalizations.0.subject']],
    ['minLength (content value)', () => mail({ content: [{ type: 'text/plain', value: '' }] }), ['content.0.value']],
    ['required (content value)', () => mail({ content: [{ type: 'text/plain' }] }), ['content.0.value']],
    ['uniqueItems (categories)', () => mail({ categories: ['news', 'news'] }), ['categories']],
    ['format email (to)', () => mail({}, { to: [{ email: 'not-an-address' }] }), ['personalizations.0.to.0.email']],
    ['format email (from)', () => mail({ from: { email: 'nobody' } }), ['from.email']],
    [
      'enum (attachment disposition)',
      () => mail({ attachments: [{ content: 'eA==', filename: 'a.txt', disposition: 'sideways' }] }),
      ['attachments.0.disposition'],
    ],
    [
      'type of additional properties (substitution values are strings)',
      () => mail({}, { substitutions: { '-n-': 5 } }),
      ['personalizations.0.substitutions.-n-'],
    ],
    ['type (send_at is an integer)', () => mail({ send_at: 'tomorrow' }), ['send_at']],
  ])('Mail Send: %s → 400 naming the field', async (_name, body, fields) => {
    await expectRefused(call('POST', '/v3/mail/send', body()), 400, fields);
    expect(fake.mails).toHaveLength(0);
  });

  it.each([
    ['no identifier (email, phone_number_id, external_id or anonymous_id)', () => contact({ first_name: 'Ada' }), ['contacts.0']],
    ['maxLength (first_name 50)', () => contact({ email: 'ada@example.com', first_name: 'a'.repeat(51) }), ['contacts.0.first_name']],
    ['maxLength (email 254)', () => contact({ email: `${'a'.repeat(250)}@example.com` }), ['contacts.0.email']],
    [
      'maxItems (alternate_emails 5)',
      () => contact({ email: 'ada@example.com', alternate_emails: ['1@x.io', '2@x.io', '3@x.io', '4@x.io', '5@x.io', '6@x.io'] }),
      ['contacts.0.alternate_emails'],
    ],
    ['minItems (contacts)', () => ({ list_ids: [listId], contacts: [] }), ['contacts']],
    ['required (contacts)', () => ({ list_ids: [listId] }), ['contacts']],
    ['format uuid (list_ids)', () => ({ list_ids: ['not-a-uuid'], contacts: [{ email: 'ada@example.com' }] }), ['list_ids.0']],
  ])('Add or Update a Contact: %s → 400 naming the field', async (_name, body, fields) => {
    await expectRefused(call('PUT', '/v3/marketing/contacts', body()), 400, fields);
    expect(fake.contacts.size).toBe(0);
  });

  it('Create List: minLength and maxLength of name → 400', async () => {
    await expectRefused(call('POST', '/v3/marketing/lists', { name: '' }), 400, ['name']);
    await expectRefused(call('POST', '/v3/marketing/lists', { name: 'n'.repeat(101) }), 400, ['name']);
  });

  it('Get All Lists: page_size outside 1–1000 → 400 naming the query parameter', async () => {
    await expectRefused(call('GET', '/v3/marketing/lists?page_size=0'), 400, ['page_size']);
    await expectRefused(call('GET', '/v3/marketing/lists?page_size=1001'), 400, ['page_size']);
    expect((await call('GET', '/v3/marketing/lists?page_size=1000')).status).toBe(200);
  });

  it('Remove Contacts from a List: contact_ids is required (400); unknown contact ids → 404', async () => {
    await expectRefused(call('DELETE', `/v3/marketing/lists/${listId}/contacts`), 400, ['contact_ids']);
    await expectRefused(call('DELETE', `/v3/marketing/lists/${listId}/contacts?contact_ids=no-such-contact`), 404, ['contact_ids']);
  });

  it('Get Contacts by Emails: an address over 100 characters or an invalid one → 400, not 404; none found → 404', async () => {
    await expectRefused(call('POST', '/v3/marketing/contacts/search/emails', { emails: [`${'a'.repeat(90)}@example.com`] }), 400, [
      'emails.0',
    ]);
    await expectRefused(call('POST', '/v3/marketing/contacts/search/emails', { emails: ['nobody@example.com', 'broken'] }), 400, [
      'emails.1',
    ]);
    await expectRefused(call('POST', '/v3/marketing/contacts/search/emails', {}), 400, ['emails']);
    await expectRefused(call('POST', '/v3/marketing/contacts/search/emails', { emails: ['nobody@example.com'] }), 404, [null]);
  });

  it('the security scheme: no bearer token → 401; a key the account does not have → 401', async () => {
    await expectRefused(call('GET', '/v3/scopes', undefined, { authorization: '' }), 401, [null]);
    await expectRefused(call('GET', '/v3/scopes', undefined, { authorization: 'Basic eDp5' }), 401, [null]);
    await expectRefused(call('GET', '/v3/scopes', undefined, { authorization: 'Bearer not-a-sendgrid-key' }), 401, [null]);
  });

  it('an undocumented operation → 404 in the errors[] shape', async () => {
    await expectRefused(call('GET', '/v3/marketing/segments'), 404, [null]);
  });

  it('a content type the operation does not take → 400', async () => {
    const response = await fetch(`${fake.url}/v3/mail/send`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'text/plain' },
      body: 'hello',
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { errors: { field: string }[] }).errors[0].field).toBe('Content-Type');
  });

  it('sends X-RateLimit-Limit/Remaining/Reset on every answer, refusals included, and 429 "too many requests" past the limit', async () => {
    let now = 1_700_000_000_000;
    const limited = await startSendgridFake({ rateLimit: { limit: 2, periodMs: 60_000 }, now: () => now });
    try {
      const get = () => fetch(`${limited.url}/v3/scopes`, { headers: { authorization: `Bearer ${KEY}` } });
      const answers = [await get(), await get(), await get()];
      expect(answers.map((answer) => answer.status)).toEqual([200, 200, 429]);
      expect(answers.map((answer) => answer.headers.get('x-ratelimit-remaining'))).toEqual(['1', '0', '0']);
      for (const answer of answers) {
        expect(answer.headers.get('x-ratelimit-limit')).toBe('2');
        expect(answer.headers.get('x-ratelimit-reset')).toBe(String(Math.ceil((now - (now % 60_000) + 60_000) / 1000)));
      }
      expect(await answers[2].json()).toEqual({ errors: [{ field: null, message: 'too many requests' }] });
      // Each endpoint has its own period; a refused request carries the headers too.
      const refused = await fetch(`${limited.url}/v3/mail/send`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
        body: '{}',
      });
      expect(refused.status).toBe(400);
      expect(refused.headers.get('x-ratelimit-remaining')).toBe('1');
      now += 60_000;
      expect((await get()).status).toBe(200);
    } finally {
      await limited.stop();
    }
  });
});
