import { REGISTERED_CONNECTORS } from '@audiencekit/connector-registry';
import { DestinationEntity } from '@audiencekit/persistence';
import { ApiKeyService } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import type { RunningApi } from '../../../test/api-test-app';
import { callApi, startActivationsTestApi } from './activations-test-app';

// Issue #22: Google refuses every Customer Match upload without the terms accepted, so such a
// destination is refused at save with a 400 naming the field (the rule is in the plugin's schema).
describe('Google Customer Match settings refused at save (#22)', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let admin = '';
  const SETTINGS = { operatingAccount: { accountType: 'GOOGLE_ADS', accountId: '1234567890' }, productDestinationId: '555000111' };
  const save = (settings: Record<string, unknown>) =>
    callApi(api.baseUrl, admin, 'POST', '/destinations', {
      name: 'google-terms',
      connector: 'google-ads',
      settings,
      secrets: { accessToken: 'token' },
    });

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startActivationsTestApi(db.url, {
      connectors: REGISTERED_CONNECTORS.filter((connector) => connector.slug === 'google-ads'),
    });
    admin = (await api.app.get(ApiKeyService).create('admin', 'admin')).secret;
  }, 30_000);

  afterAll(async () => {
    await api.close();
    await db.drop();
  });

  it.each([false, undefined])(
    'refuses acceptCustomerMatchTerms %s, naming settings.acceptCustomerMatchTerms, and writes nothing',
    async (value) => {
      const response = await save({ ...SETTINGS, acceptCustomerMatchTerms: value });
      expect(response.status).toBe(400);
      expect(response.body.details).toEqual([
        { path: 'settings.acceptCustomerMatchTerms', message: expect.stringMatching(/Customer Match terms/) },
      ]);
      expect(await db.dataSource.getRepository(DestinationEntity).countBy({ name: 'google-terms' })).toBe(0);
    },
  );

  it('saves the destination once the terms are accepted', async () => {
    const response = await save({ ...SETTINGS, acceptCustomerMatchTerms: true });
    expect(response.status).toBe(201);
  });
});
