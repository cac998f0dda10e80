import { z } from 'zod';
import { SendgridFake, startSendgridFake } from '../fake/sendgrid-fake';
import openapi from './fixtures/sendgrid-openapi.json';

/** The fake against SendGrid's OpenAPI files: every route is a documented operation, answers have the documented shape. */
const schema = (name: keyof typeof openapi.responses) => z.fromJSONSchema(openapi.responses[name] as never);
const auth = { authorization: 'Bearer SG.openapi-check', 'content-type': 'application/json' };

describe('sendgrid fake vs the OpenAPI files', () => {
  let fake: SendgridFake;
  beforeAll(async () => {
    fake = await startSendgridFake({ pendingPolls: 0 });
  });
  afterAll(async () => {
    await fake.stop();
  });

  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${fake.url}${path}`, {
      method,
      headers: auth,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  };
  const expectShape = (name: keyof typeof openapi.responses, body: unknown) =>
    expect(schema(name).safeParse(body).error?.issues).toBeUndefined();

  it('serves only documented operations', () => {
    const documented = Object.keys(openapi.operations);
    for (const route of fake.routes) expect(documented).toContain(route.replace(/:(\w+)/g, '{$1}'));
  });

  it('answers in the documented shapes', async () => {
    expectShape('scopes', (await call('GET', '/v3/scopes')).body);
    const created = await call('POST', '/v3/marketing/lists', { name: 'shape check' });
    expect(created.status).toBe(201);
    expectShape('list', created.body);
    expectShape('list', (await call('GET', `/v3/marketing/lists/${created.body.id}`)).body);

    const put = await call('PUT', '/v3/marketing/contacts', {
      list_ids: [created.body.id],
      contacts: [{ email: 'a@example.com' }, { email: 'broken' }],
    });
    expect(put.status).toBe(202);
    expectShape('jobAccepted', put.body);
    const job = await call('GET', `/v3/marketing/contacts/imports/${put.body.job_id}`);
    expectShape('contactImport', job.body);
    expect(job.body.status).toBe('errored');

    const search = await call('POST', '/v3/marketing/contacts/search/emails', { emails: ['a@example.com', 'nobody@example.com'] });
    expectShape('searchEmails', search.body);
    expect(search.body.result['nobody@example.com']).toEqual({ error: 'contact not found' });

    const removal = await call(
      'DELETE',
      `/v3/marketing/lists/${created.body.id}/contacts?contact_ids=${search.body.result['a@example.com'].contact.id}`,
    );
    expect(removal.status).toBe(202);
    expectShape('jobAccepted', removal.body);
  });

  it('refuses in the documented error shape', async () => {
    const unauthorized = await fetch(`${fake.url}/v3/scopes`);
    expect(unauthorized.status).toBe(401);
    expectShape('errorResponse', await unauthorized.json());
    const badMail = await call('POST', '/v3/mail/send', {
      personalizations: [{ to: [{ email: 'nope' }] }],
      from: { email: 'news@shop.example' },
      subject: 's',
      content: [{ type: 'text/plain', value: 'x' }],
    });
    expect(badMail.status).toBe(400);
    expectShape('errorResponse', badMail.body);
    expect(badMail.body.errors[0].field).toBe('personalizations.0.to.0.email');
  });
});
