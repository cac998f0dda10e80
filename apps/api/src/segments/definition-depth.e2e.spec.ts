import { ApiKeyService } from '@audiencekit/server-core';
import { EXAMPLE_SEGMENTS } from '@audiencekit/segments-domain';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { RunningApi, startTestApi } from '../../test/api-test-app';
import { callApi } from '../activations/__tests__/activations-test-app';

/**
 * A rules definition whose `match` is `not` inside `not` … 5,000 deep (a stack overflow, a 500,
 * before), as JSON text: built by concatenation, since JSON.stringify itself overflows on it.
 */
function nestedDefinitionJson(depth = 5_000): string {
  const leaf = '{"type":"trait","trait":"plan","operator":"exists"}';
  return `{"type":"rules","match":${'{"type":"not","condition":'.repeat(depth)}${leaf}${'}'.repeat(depth)}}`;
}

async function send(baseUrl: string, key: string, method: string, path: string, bodyJson: string): Promise<{ status: number; body: any }> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: bodyJson,
  });
  return { status: response.status, body: await response.json() };
}

describe('segment definitions nested thousands deep', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let key: string;
  let segmentId: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startTestApi(db.url);
    key = (await api.app.get(ApiKeyService).create('marketer', 'marketer')).secret;
    segmentId = (
      await callApi(api.baseUrl, key, 'POST', '/segments', {
        key: 'vip',
        name: 'VIP',
        owner: 'crm',
        definition: EXAMPLE_SEGMENTS.vip.definition,
      })
    ).body.id;
  }, 60_000);

  afterAll(async () => {
    await api.close();
    await db.drop();
  });

  it.each([
    [
      'POST /segments',
      'POST',
      () => '/segments',
      () => `{"key":"deep","name":"Deep","owner":"crm","definition":${nestedDefinitionJson()}}`,
    ],
    ['PATCH /segments/:id', 'PATCH', () => `/segments/${segmentId}`, () => `{"definition":${nestedDefinitionJson()}}`],
    ['POST /segments/preview', 'POST', () => '/segments/preview', () => `{"definition":${nestedDefinitionJson()}}`],
    [
      'POST /segments/choose-k',
      'POST',
      () => '/segments/choose-k',
      () => `{"definition":{"type":"cluster","features":${nestedDefinitionJson()}}}`,
    ],
  ])('%s: 400 naming the path and the reason, nothing saved', async (_label, method, path, body) => {
    const { status, body: answer } = await send(api.baseUrl, key, method, path(), body());
    expect(status).toBe(400);
    expect(answer).toMatchObject({
      code: 'invalid_definition',
      details: [{ path: expect.stringMatching(/^definition\.(match|features)\./), message: expect.stringContaining('levels deep') }],
    });
    const [{ n }] = await db.dataSource.query(`SELECT count(*)::int AS n FROM segment_versions`);
    expect(n).toBe(1);
  });

  it('a definition over the cost budget (120 aggregate conditions) is a 400 naming definition.match, on preview and on save', async () => {
    const conditions = Array.from({ length: 120 }, (_, index) => ({
      type: 'event',
      event: 'Order Completed',
      window: 'last 30 days',
      aggregate: { function: 'sum', property: 'amount', operator: 'gt', value: index },
    }));
    const definition = JSON.stringify({ type: 'rules', match: { type: 'any', conditions } });
    for (const [method, path, body] of [
      ['POST', '/segments/preview', `{"definition":${definition}}`],
      ['POST', '/segments', `{"key":"costly","name":"Costly","owner":"crm","definition":${definition}}`],
    ]) {
      const { status, body: answer } = await send(api.baseUrl, key, method, path, body);
      expect({ path, status }).toEqual({ path, status: 400 });
      expect(answer.details).toEqual([
        { path: 'definition.match', message: expect.stringMatching(/^costs 961 units; at most 800 are allowed/) },
      ]);
    }
    const [{ n }] = await db.dataSource.query(`SELECT count(*)::int AS n FROM segments WHERE key = 'costly'`);
    expect(n).toBe(0);
  });
});
