import { loadConnectors } from '@audiencekit/connector-registry';
import { ApiKeyService } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { RunningApi, startTestApi } from '../../../test/api-test-app';
import { callApi } from './activations-test-app';

/** The API as shipped (no override): GET /connectors lists the registry's connectors with their forms. */
describe('GET /connectors with the registered plugins', () => {
  let db: TestDatabase;
  let api: RunningApi;

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startTestApi(db.url);
  }, 30_000);
  afterAll(async () => {
    await api.close();
    await db.drop();
  });

  it('describes every enabled connector, settings and secrets as JSON Schema objects', async () => {
    const viewer = (await api.app.get(ApiKeyService).create('viewer', 'viewer')).secret;
    const response = await callApi(api.baseUrl, viewer, 'GET', '/connectors');
    expect(response.status).toBe(200);
    const expected = loadConnectors()
      .map((connector) => connector.slug)
      .sort();
    expect(expected.length).toBeGreaterThan(0);
    expect(response.body.items.map((item: any) => item.slug)).toEqual(expected);
    for (const item of response.body.items) {
      // An object schema, or a union of them (e.g. two ways to authenticate): a JSON Schema document either way.
      const shape = (schema: any) => schema.type ?? (schema.anyOf || schema.oneOf ? 'union' : undefined);
      expect({
        slug: item.slug,
        dialect: item.settings.$schema,
        settings: shape(item.settings),
        secrets: shape(item.secrets),
        model: ['list', 'send'].includes(item.deliveryModel),
        source: item.source,
      }).toEqual({
        slug: item.slug,
        dialect: 'https://json-schema.org/draft/2020-12/schema',
        settings: 'object',
        secrets: expect.stringMatching(/^(object|union)$/),
        model: true,
        // No AK_CONNECTOR_PACKAGES here: every connector is one of this build's.
        source: { kind: 'built-in' },
      });
    }
  });
});
