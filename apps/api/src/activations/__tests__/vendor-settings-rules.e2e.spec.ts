import { REGISTERED_CONNECTORS } from '@audiencekit/connector-registry';
import { DestinationEntity } from '@audiencekit/persistence';
import { ApiKeyService } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import type { RunningApi } from '../../../test/api-test-app';
import { callApi, startActivationsTestApi } from './activations-test-app';

// Issue #22: settings the vendor would refuse on every request are refused at save, with a 400
// naming the field, because the rule lives in the plugin's settings schema.
describe('vendor rules in destination settings (#22)', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let admin = '';
  const save = (connector: string, settings: Record<string, unknown>, secrets: Record<string, unknown>) =>
    callApi(api.baseUrl, admin, 'POST', '/destinations', { name: 'vendor-rules', connector, settings, secrets });

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startActivationsTestApi(db.url, { connectors: [...REGISTERED_CONNECTORS] });
    admin = (await api.app.get(ApiKeyService).create('admin', 'admin')).secret;
  }, 30_000);

  afterAll(async () => {
    await api.close();
    await db.drop();
  });

  it('refuses duplicate SendGrid categories, naming settings.categories', async () => {
    const response = await save(
      'sendgrid-email',
      { fromEmail: 'news@shop.example', categories: ['news', 'news'] },
      { apiKey: 'SG.vendor-rules' },
    );
    expect(response.status).toBe(400);
    expect(response.body.details).toEqual([{ path: 'settings.categories', message: expect.stringMatching(/only once/) }]);
  });

  it('refuses a Twilio status callback host with an underscore, naming settings.statusCallbackUrl', async () => {
    const response = await save(
      'twilio',
      { accountSid: `AC${'0'.repeat(32)}`, from: '+15005550006', statusCallbackUrl: 'https://status_hooks.example.com/twilio' },
      { authToken: 'token' },
    );
    expect(response.status).toBe(400);
    expect(response.body.details).toEqual([{ path: 'settings.statusCallbackUrl', message: expect.stringMatching(/underscore/) }]);
    expect(await db.dataSource.getRepository(DestinationEntity).countBy({ name: 'vendor-rules' })).toBe(0);
  });
});
