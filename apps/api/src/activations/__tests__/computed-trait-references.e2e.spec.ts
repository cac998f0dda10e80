import { randomUUID } from 'node:crypto';
import { REGISTERED_CONNECTORS } from '@audiencekit/connector-registry';
import { DestinationEntity } from '@audiencekit/persistence';
import { EXAMPLE_SEGMENTS } from '@audiencekit/segments-domain';
import { ApiKeyService } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import type { RunningApi } from '../../../test/api-test-app';
import { callApi, startActivationsTestApi } from './activations-test-app';

/**
 * Computed and SQL traits (issue #20) named by destination settings (SendGrid `computed.<key>`
 * custom fields, the webhook's `computedTraits`) and by activation messages (`{{computed.<key>}}`,
 * `computedKeys`) must exist when saved: 400 naming each path otherwise, nothing written.
 */
describe('computed trait references in destinations and activations', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let admin = '';
  const call = (method: string, path: string, body?: unknown) => callApi(api.baseUrl, admin, method, path, body);
  const destinationCount = async () => db.dataSource.getRepository(DestinationEntity).count();

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startActivationsTestApi(db.url, { connectors: [...REGISTERED_CONNECTORS] });
    admin = (await api.app.get(ApiKeyService).create('admin', 'admin')).secret;
    // A key is known once a computed trait, a SQL trait's column or stored values have it.
    const [profile] = await db.dataSource.query(`INSERT INTO profiles (traits) VALUES ('{}') RETURNING id`);
    await db.dataSource.query(
      `INSERT INTO computed_trait_values (profile_id, key, value, source_kind, source_id, source_version, computed_at)
       VALUES ($1, 'total_spend_90d', '120.5', 'computed', $2, 1, now())`,
      [profile.id, randomUUID()],
    );
  }, 30_000);

  afterAll(async () => {
    await api.close();
    await db.drop();
  });

  it('SendGrid contacts: an unknown computed.<key> custom field is a 400 naming it; a known one is saved', async () => {
    const before = await destinationCount();
    const refused = await call('POST', '/destinations', {
      name: 'contacts',
      connector: 'sendgrid',
      settings: { customFields: { 'computed.total_spend_90d': 'e1_N', 'computed.total_spend_9d': 'e2_N', plan: 'e3_T' } },
      secrets: { apiKey: 'SG.computed-refs' },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.details).toEqual([
      { path: 'settings.customFields.computed.total_spend_9d', message: 'no computed or SQL trait has key "total_spend_9d"' },
    ]);
    expect(await destinationCount()).toBe(before);

    const saved = await call('POST', '/destinations', {
      name: 'contacts',
      connector: 'sendgrid',
      settings: { customFields: { 'computed.total_spend_90d': 'e1_N', plan: 'e3_T' } },
      secrets: { apiKey: 'SG.computed-refs' },
    });
    expect(saved.status).toBe(201);
  });

  it('webhook: an unknown key in computedTraits is a 400 on create and on update, naming the entry', async () => {
    const url = 'https://hooks.example.com/computed';
    const refused = await call('POST', '/destinations', {
      name: 'hook',
      connector: 'webhook',
      settings: { url, computedTraits: ['total_spend_90d', 'lifetime_value'] },
      secrets: { signingSecret: 'whsec_computed_0123456789' },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.details).toEqual([
      { path: 'settings.computedTraits.1', message: 'no computed or SQL trait has key "lifetime_value"' },
    ]);

    const created = await call('POST', '/destinations', {
      name: 'hook',
      connector: 'webhook',
      settings: { url, computedTraits: ['total_spend_90d'] },
      secrets: { signingSecret: 'whsec_computed_0123456789' },
    });
    expect(created.status).toBe(201);
    expect(created.body.settings).toEqual({ url, includeTraits: true, computedTraits: ['total_spend_90d'] });
    const update = await call('PATCH', `/destinations/${created.body.id}`, { settings: { url, computedTraits: ['nope'] } });
    expect(update.status).toBe(400);
    expect(update.body.details).toEqual([{ path: 'settings.computedTraits.0', message: 'no computed or SQL trait has key "nope"' }]);
    const row = await db.dataSource.getRepository(DestinationEntity).findOneByOrFail({ id: created.body.id });
    expect(row.settings).toEqual({ url, includeTraits: true, computedTraits: ['total_spend_90d'] });
  });

  it('activations: unknown {{computed.<key>}} placeholders and computedKeys are a 400 naming the message field', async () => {
    const segment = await call('POST', '/segments', { key: 'vip', name: 'VIP', owner: 'crm', definition: EXAMPLE_SEGMENTS.vip.definition });
    expect(segment.status).toBe(201);
    const mail = await call('POST', '/destinations', {
      name: 'mail',
      connector: 'sendgrid-email',
      settings: { fromEmail: 'news@shop.example' },
      secrets: { apiKey: 'SG.computed-refs' },
    });
    expect(mail.status).toBe(201);
    const activation = (message: unknown) => ({
      name: 'spenders',
      segmentId: segment.body.id,
      destinationId: mail.body.id,
      mode: 'send',
      holdoutShare: 0.1,
      message,
    });

    const refused = await call(
      'POST',
      '/activations',
      activation({ subject: 'You spent {{computed.total_spend_90d}}', html: '<p>{{computed.favourite_category}}</p>' }),
    );
    expect(refused.status).toBe(400);
    expect(refused.body.details).toEqual([{ path: 'message.html', message: 'no computed or SQL trait has key "favourite_category"' }]);

    const created = await call('POST', '/activations', activation({ subject: 'You spent {{computed.total_spend_90d}}', text: 'Thanks' }));
    expect(created.status).toBe(201);
    const template = await call('PATCH', `/activations/${created.body.id}`, {
      message: { templateId: 'd-0123456789abcdef', computedKeys: ['total_spend_90d', 'points'] },
    });
    expect(template.status).toBe(400);
    expect(template.body.details).toEqual([{ path: 'message.computedKeys.1', message: 'no computed or SQL trait has key "points"' }]);
  });
});
