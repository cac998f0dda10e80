import {
  checkCapturedRequests,
  OpenApiDocument,
  OpenApiRequestValidator,
  testContext,
  testMember,
  testMembers,
} from '@audiencekit/connector-sdk/testing';
import { sendgridContactsConnector } from '../contacts/contacts-connector';
import { SendgridFake, startSendgridFake } from '../fake/sendgrid-fake';
import { sendgridEmail } from '../mail/mail-connector';
import mailSpec from '../../spec/tsg_mail_v3.operations.json';
import contactsSpec from '../../spec/tsg_mc_contacts_v3.operations.json';
import listsSpec from '../../spec/tsg_mc_lists_v3.operations.json';
import scopesSpec from '../../spec/tsg_scopes_v3.operations.json';
import sources from '../../spec/sources.json';
import { requiredMethods } from './required-methods';

/**
 * Capture and validate: both connectors run every request type they have against the fake, every
 * request is captured on the wire, and each is checked afterwards against SendGrid's own OpenAPI
 * operations (plugins/sendgrid/spec), read here from the committed files with a validator of this
 * spec's own (not the fake's instance), so the check does not go through the fake's refusal path.
 * Every documented operation the connectors use must be seen, with 0 violations.
 */
const contacts = requiredMethods(
  sendgridContactsConnector({ poll: { delaysMs: [5], maxWaitMs: 5_000 } }),
  'ensureAudience',
  'upsert',
  'remove',
  'audienceSize',
);
const mail = requiredMethods(sendgridEmail, 'send');
const spec = new OpenApiRequestValidator([scopesSpec, listsSpec, contactsSpec, mailSpec] as unknown as OpenApiDocument[]);

describe('sendgrid connectors: every request captured and valid against SendGrid OpenAPI', () => {
  let fake: SendgridFake;
  beforeAll(async () => {
    fake = await startSendgridFake({ pendingPolls: 1, maxPageSize: 2 });
  });
  afterAll(async () => {
    await fake.stop();
  });

  it('runs every request type of both connectors and the captured requests have 0 violations', async () => {
    const secrets = { apiKey: 'SG.capture-check' };
    const contactsContext = (audience?: string) =>
      testContext(contacts, {
        settings: { customFields: { plan: 'e1_T', 'stats.orders': 'e2_N' } },
        secrets,
        baseUrl: fake.url,
        audience: audience ? { externalId: audience } : undefined,
      });
    // Lists: create (POST), then found again across pages (GET with page_size / page_token).
    for (const name of ['other 1', 'other 2', 'other 3']) await contacts.ensureAudience(contactsContext(), { name, activationId: 'a' });
    const { externalId } = await contacts.ensureAudience(contactsContext(), { name: 'audiencekit: capture', activationId: 'act' });
    await expect(contacts.ensureAudience(contactsContext(), { name: 'audiencekit: capture', activationId: 'act' })).resolves.toEqual({
      externalId,
    });
    const ctx = contactsContext(externalId);
    await contacts.testConnection(ctx);

    // Upserts: completed job, an errored job (search by e-mail), names cut to 50 characters, custom fields.
    const members = [
      ...testMembers(3),
      testMember({
        profileId: 'long-names',
        email: 'long@example.com',
        traits: { first_name: 'F'.repeat(80), last_name: 'L'.repeat(80), plan: 'pro', stats: { orders: 4 } },
      }),
    ];
    await contacts.upsert(ctx, members);
    await contacts.upsert(ctx, [
      testMember({ profileId: 'ok', email: 'ok@example.com' }),
      testMember({ profileId: 'bad', email: 'not-an-address' }),
    ]);
    // Removal: search (with an address it must not send), then the list removal; size.
    await contacts.remove(ctx, [members[0], members[3], testMember({ profileId: 'long', email: `${'l'.repeat(95)}@example.com` })]);
    await expect(contacts.audienceSize(ctx)).resolves.toBe(3);

    // Mail Send: plain with substitutions and every setting, a dynamic template, one member rejected before sending.
    const mailContext = testContext(mail, {
      settings: {
        fromEmail: 'news@shop.example',
        fromName: 'Shop',
        replyToEmail: 'help@shop.example',
        categories: ['audiencekit', 'capture'],
        unsubscribeGroupId: 42,
        sandboxMode: true,
      },
      secrets,
      baseUrl: fake.url,
    });
    await mail.testConnection(mailContext);
    const recipients = [
      testMember({ profileId: 'm1', email: 'ada@example.com', traits: { first_name: 'Ada' } }),
      testMember({ profileId: 'm2', email: 'bob@example.com', traits: {} }),
    ];
    const plain = await mail.send(mailContext, {
      members: recipients,
      message: { subject: 'Hi {{first_name}}', text: 'Hello {{first_name}}', html: '<p>Hello {{first_name}}</p>' },
    });
    expect(plain.map((outcome) => outcome.status)).toEqual(['delivered', 'delivered']);
    await mail.send(mailContext, { members: recipients, message: { templateId: 'd-0123456789abcdef0123456789abcdef' } });
    const emptySubject = await mail.send(mailContext, { members: recipients, message: { subject: '{{first_name}}', text: 'x' } });
    expect(Object.fromEntries(emptySubject.map((outcome) => [outcome.profileId, outcome.status]))).toEqual({
      m1: 'delivered',
      m2: 'rejected',
    });

    const { seen, failures } = checkCapturedRequests(spec, fake.server.requests);
    expect(failures).toEqual([]);
    expect(Object.keys(seen).sort()).toEqual(spec.operationNames());
    expect(fake.server.requests.every((request) => request.headers.authorization === `Bearer ${secrets.apiKey}`)).toBe(true);

    // The check is not vacuous: the same capture, with one constraint broken, is reported.
    const [sent] = fake.server.requestsTo('POST /v3/mail/send');
    const broken = structuredClone(sent.body) as { personalizations: { subject?: string }[] };
    broken.personalizations[0].subject = '';
    const tampered = checkCapturedRequests(spec, [{ ...sent, body: broken, rawBody: JSON.stringify(broken) }]);
    expect(tampered.failures.flatMap((failure) => failure.violations.map((violation) => violation.field))).toEqual([
      'personalizations.0.subject',
    ]);
  });

  it('checks against the files sources.json names: repository, path, commit and sha256 recorded in each extract', () => {
    const recorded = [scopesSpec, listsSpec, contactsSpec, mailSpec].map((document) => document['x-audiencekit-source']);
    expect(recorded.map(({ repository, path, commit, sha256, operations }) => ({ repository, path, commit, sha256, operations }))).toEqual(
      sources.sources.map(({ repository, path, commit, sha256, operations }) => ({ repository, path, commit, sha256, operations })),
    );
  });
});
