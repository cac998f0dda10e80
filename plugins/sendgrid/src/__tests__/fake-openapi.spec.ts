import { SendgridFake, SENDGRID_SPEC_DOCUMENTS, startSendgridFake } from '../fake/sendgrid-fake';
import { OpenApiRequestValidator } from '@audiencekit/connector-sdk/testing';

/**
 * The fake's answers against SendGrid's own OpenAPI operations (plugins/sendgrid/spec): every route
 * is a documented operation, and every answer has a documented status and the body schema of that
 * response (ErrorResponse for refusals).
 */
const auth = { authorization: 'Bearer SG.openapi-check', 'content-type': 'application/json' };
const spec = new OpenApiRequestValidator(SENDGRID_SPEC_DOCUMENTS);

describe('sendgrid fake vs the OpenAPI files', () => {
  let fake: SendgridFake;
  beforeAll(async () => {
    fake = await startSendgridFake({ pendingPolls: 1 });
  });
  afterAll(async () => {
    await fake.stop();
  });

  /** Calls the fake and checks the answer against the documented responses of the operation. */
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = auth) => {
    const response = await fetch(`${fake.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await response.text();
    const parsed = text ? JSON.parse(text) : undefined;
    expect({
      [`${method} ${path} ${response.status}`]: spec.validateResponse({ method, path: path.split('?')[0] }, response.status, parsed),
    }).toEqual({
      [`${method} ${path} ${response.status}`]: [],
    });
    return { status: response.status, body: parsed };
  };

  it('serves only documented operations', () => {
    const documented = spec.operationNames();
    for (const route of fake.routes) expect(documented).toContain(route.replace(/:(\w+)/g, '{$1}'));
  });

  it('answers every operation with a documented status and body', async () => {
    expect((await call('GET', '/v3/scopes')).status).toBe(200);
    const created = await call('POST', '/v3/marketing/lists', { name: 'shape check' });
    expect(created.status).toBe(201);
    expect((await call('GET', `/v3/marketing/lists/${created.body.id}`)).status).toBe(200);
    expect((await call('GET', '/v3/marketing/lists?page_size=1')).status).toBe(200);

    const put = await call('PUT', '/v3/marketing/contacts', {
      list_ids: [created.body.id],
      contacts: [{ email: 'a@example.com' }, { email: 'broken' }],
    });
    expect(put.status).toBe(202);
    expect((await call('GET', `/v3/marketing/contacts/imports/${put.body.job_id}`)).body.status).toBe('pending');
    const job = await call('GET', `/v3/marketing/contacts/imports/${put.body.job_id}`);
    expect(job.body.status).toBe('errored');

    const search = await call('POST', '/v3/marketing/contacts/search/emails', { emails: ['a@example.com', 'nobody@example.com'] });
    expect(search.body.result['nobody@example.com']).toEqual({ error: 'contact not found' });
    const removal = await call(
      'DELETE',
      `/v3/marketing/lists/${created.body.id}/contacts?contact_ids=${search.body.result['a@example.com'].contact.id}`,
    );
    expect(removal.status).toBe(202);
    const mail = await call('POST', '/v3/mail/send', {
      personalizations: [{ to: [{ email: 'a@example.com' }] }],
      from: { email: 'news@shop.example' },
      subject: 's',
      content: [{ type: 'text/plain', value: 'x' }],
    });
    expect(mail.status).toBe(202);
  });

  it('refuses with documented statuses and the ErrorResponse shape', async () => {
    expect((await call('GET', '/v3/scopes', undefined, {})).status).toBe(401);
    expect((await call('GET', '/v3/marketing/lists/no-such-list')).status).toBe(404);
    expect((await call('POST', '/v3/marketing/lists', { name: '' })).status).toBe(400);
    expect((await call('PUT', '/v3/marketing/contacts', { contacts: [{ first_name: 'x' }] })).status).toBe(400);
    expect((await call('POST', '/v3/marketing/contacts/search/emails', { emails: ['nobody@example.com'] })).status).toBe(404);
    expect((await call('POST', '/v3/marketing/contacts/search/emails', { emails: ['broken'] })).status).toBe(400);
    expect((await call('DELETE', '/v3/marketing/lists/x/contacts?contact_ids=y')).status).toBe(404);
    const badMail = await call('POST', '/v3/mail/send', {
      personalizations: [{ to: [{ email: 'nope' }] }],
      from: { email: 'news@shop.example' },
      subject: 's',
      content: [{ type: 'text/plain', value: 'x' }],
    });
    expect(badMail.status).toBe(400);
    expect(badMail.body.errors[0].field).toBe('personalizations.0.to.0.email');
  });
});
