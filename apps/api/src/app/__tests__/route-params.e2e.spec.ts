import { ApiKeyService, RouteCatalog } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import type { RunningApi } from '../../../test/api-test-app';
import { callApi, startActivationsTestApi } from '../../activations/__tests__/activations-test-app';

/**
 * Every parametrised route of the route catalog, called with `not-a-uuid` in every parameter: a
 * 4xx naming the parameter, never a 500 (Postgres refusing the cast was a 500 before).
 */
describe('route parameters that are not ids', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let adminKey: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startActivationsTestApi(db.url);
    adminKey = (await api.app.get(ApiKeyService).create('admin', 'admin')).secret;
  }, 60_000);

  afterAll(async () => {
    await api.close();
    await db.drop();
  });

  it('answers < 500 on every route with a :param, and 400 naming an id parameter', async () => {
    const routes = api.app
      .get(RouteCatalog)
      .routes()
      .filter((route) => route.path.includes(':'));
    expect(routes.length).toBeGreaterThan(20);
    const answers: { route: string; status: number; paths: string[] }[] = [];
    for (const route of routes) {
      const path = route.path.replace(/:[A-Za-z]+/g, 'not-a-uuid');
      const body = ['POST', 'PATCH', 'PUT'].includes(route.method) ? {} : undefined;
      const { status, body: answer } = await callApi(api.baseUrl, adminKey, route.method, path, body);
      answers.push({
        route: `${route.method} ${route.path}`,
        status,
        paths: (answer?.details ?? []).map((detail: { path: string }) => detail.path),
      });
    }
    expect(answers.filter((answer) => answer.status >= 500)).toEqual([]);
    const idRoutes = answers.filter((answer) => /:(id|runId)\b/.test(answer.route));
    for (const answer of idRoutes) {
      expect({ route: answer.route, status: answer.status }).toEqual({ route: answer.route, status: 400 });
      expect({ route: answer.route, paths: answer.paths }).toEqual({
        route: answer.route,
        paths: expect.arrayContaining([expect.stringMatching(/^params\.(id|runId)$/)]),
      });
    }
  });
});
