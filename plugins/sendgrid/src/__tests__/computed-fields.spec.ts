import { testContext, testMember } from '@audiencekit/connector-sdk/testing';
import { z } from 'zod';
import { contactsComputedTraitRefs, contactsSettings } from '../contacts/contacts-settings';
import { sendgridContactsConnector } from '../contacts/contacts-connector';
import { SendgridFake, startSendgridFake } from '../fake/sendgrid-fake';
import { sendgridEmail } from '../mail/mail-connector';
import mailSendSchema from './fixtures/mail-send.schema.json';
import putContactsSchema from './fixtures/put-contacts.schema.json';
import { requiredMethods } from './required-methods';

/**
 * Computed and SQL traits (issue #20) through SendGrid: `computed.<key>` as a custom field's source
 * on PUT /v3/marketing/contacts (the fake knows only the declared field ids and errors a contact
 * with another), and `{{computed.<key>}}` in Mail Send subjects, content and dynamic templates.
 */
describe('sendgrid: computed traits as custom fields and in templates', () => {
  let fake: SendgridFake;
  beforeEach(async () => {
    fake = await startSendgridFake({ customFieldIds: ['e1_N', 'e2_T', 'e3_T'] });
  });
  afterEach(async () => {
    await fake.stop();
  });

  const secrets = { apiKey: 'SG.computed-key' };
  const putBody = z.fromJSONSchema(putContactsSchema.schema as never);
  const mailBody = z.fromJSONSchema(mailSendSchema.schema as never);

  it('declares the computed keys its settings map, with the settings path', () => {
    const settings = contactsSettings.parse({
      customFields: { 'computed.total_spend_90d': 'e1_N', plan: 'e2_T', 'computed.favourite_category': 'e3_T', 'computed.Bad': 'x' },
      firstNameTrait: 'computed.nickname',
    });
    expect(contactsComputedTraitRefs(settings)).toEqual([
      { key: 'total_spend_90d', path: 'customFields.computed.total_spend_90d' },
      { key: 'favourite_category', path: 'customFields.computed.favourite_category' },
      { key: 'nickname', path: 'firstNameTrait' },
    ]);
    expect(contactsComputedTraitRefs(contactsSettings.parse({}))).toEqual([]);
  });

  it('upserts contacts with computed values in their custom fields (numbers stay numbers, missing ones are left out)', async () => {
    const connector = requiredMethods(sendgridContactsConnector({ poll: { delaysMs: [5], maxWaitMs: 5_000 } }), 'ensureAudience', 'upsert');
    const settings = { customFields: { 'computed.total_spend_90d': 'e1_N', plan: 'e2_T', 'computed.favourite_category': 'e3_T' } };
    const base = testContext(connector, { settings, secrets, baseUrl: fake.url });
    const { externalId } = await connector.ensureAudience(base, { name: 'audiencekit: spenders', activationId: 'act-c' });
    const ctx = testContext(connector, { settings, secrets, baseUrl: fake.url, audience: { externalId } });
    const outcomes = await connector.upsert(ctx, [
      testMember({
        profileId: 'p1',
        email: 'ada@example.com',
        traits: { plan: 'pro' },
        computed: { total_spend_90d: 120.5, favourite_category: 'shoes' },
      }),
      testMember({ profileId: 'p2', email: 'bob@example.com', traits: {}, computed: {} }),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['delivered', 'delivered']);
    const [put] = fake.server.requestsTo('PUT /v3/marketing/contacts');
    expect((put.body as { contacts: unknown[] }).contacts).toEqual([
      { email: 'ada@example.com', custom_fields: { e1_N: 120.5, e2_T: 'pro', e3_T: 'shoes' } },
      { email: 'bob@example.com' },
    ]);
    expect(putBody.safeParse(put.body).error?.issues).toBeUndefined();
    expect(fake.contacts.get('ada@example.com')?.custom_fields).toEqual({ e1_N: 120.5, e2_T: 'pro', e3_T: 'shoes' });
  });

  it('renders {{computed.<key>}} in subject and content, and hands computed values to a dynamic template', async () => {
    const mail = requiredMethods(sendgridEmail, 'send');
    const ctx = testContext(sendgridEmail, { settings: { fromEmail: 'news@shop.example' }, secrets, baseUrl: fake.url });
    const member = testMember({
      profileId: 'p1',
      email: 'ada@example.com',
      traits: { first_name: 'Ada' },
      computed: { total_spend_90d: 120.5 },
    });
    await mail.send(ctx, {
      members: [member],
      message: { subject: '{{first_name}}, you spent {{computed.total_spend_90d}}', html: '<p>Spent: {{computed.total_spend_90d}}</p>' },
    });
    await mail.send(ctx, { members: [member], message: { templateId: 'd-0123456789abcdef', computedKeys: ['total_spend_90d'] } });
    const [plain, dynamic] = fake.server.requestsTo('POST /v3/mail/send');
    expect(mailBody.safeParse(plain.body).error?.issues).toBeUndefined();
    expect(mailBody.safeParse(dynamic.body).error?.issues).toBeUndefined();
    expect(fake.mails[0].subject).toBe('Ada, you spent 120.5');
    expect(fake.mails[0].html).toBe('<p>Spent: 120.5</p>');
    expect(fake.mails[1].dynamicTemplateData).toEqual({ first_name: 'Ada', computed: { total_spend_90d: 120.5 } });
  });

  it('keeps the other keys of a trait object named computed in dynamic template data (computed values win)', async () => {
    const mail = requiredMethods(sendgridEmail, 'send');
    const ctx = testContext(sendgridEmail, { settings: { fromEmail: 'news@shop.example' }, secrets, baseUrl: fake.url });
    const member = testMember({
      profileId: 'p1',
      email: 'ada@example.com',
      traits: { computed: { legacy: 'kept', total_spend_90d: 'stale' } },
      computed: { total_spend_90d: 120.5 },
    });
    await mail.send(ctx, { members: [member], message: { templateId: 'd-0123456789abcdef', computedKeys: ['total_spend_90d'] } });
    expect(fake.mails[0].dynamicTemplateData).toEqual({ computed: { legacy: 'kept', total_spend_90d: 120.5 } });
  });
});
