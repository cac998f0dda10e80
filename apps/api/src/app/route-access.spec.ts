import { ApiKeyRole } from '@audiencekit/persistence';
import { ApiKeyService, RouteCatalog, RouteDescriptor } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { RunningApi, startTestApi } from '../../test/api-test-app';

// Walks every route of the running app: each must declare its access, reject a missing key with
// 401 and a key of a too-low role with 403, and appear in the OpenAPI document.

const LADDER: ApiKeyRole[] = ['write', 'viewer', 'marketer', 'admin'];
const SOME_UUID = '00000000-0000-4000-8000-000000000000';

function concretePath(route: RouteDescriptor): string {
  return route.path.replace(/:[A-Za-z0-9_]+/g, SOME_UUID);
}

describe('every route declares and enforces its role', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let routes: RouteDescriptor[];
  const keys = new Map<ApiKeyRole, string>();

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startTestApi(db.url);
    routes = api.app.get(RouteCatalog).routes();
    for (const role of LADDER) keys.set(role, (await api.app.get(ApiKeyService).create(`${role} key`, role)).secret);
  });
  afterAll(async () => {
    await api.close();
    await db.drop();
  });

  const call = (route: RouteDescriptor, key?: string) =>
    fetch(`${api.baseUrl}${concretePath(route)}`, {
      method: route.method,
      headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
      body: ['GET', 'HEAD', 'DELETE'].includes(route.method) ? undefined : '{}',
    });

  it('finds the routes (the walk is not vacuous)', () => {
    expect(routes.length).toBeGreaterThan(10);
    expect(routes.filter((route) => route.access === 'marketer').length).toBeGreaterThan(0);
  });

  it('has no route without a declared access', () => {
    expect(routes.filter((route) => route.access === undefined).map((route) => `${route.method} ${route.path}`)).toEqual([]);
  });

  it('answers 401 without a key on every non-public route', async () => {
    const failures: string[] = [];
    for (const route of routes.filter((r) => r.access !== 'public')) {
      const response = await call(route);
      if (response.status !== 401) failures.push(`${route.method} ${route.path} → ${response.status}`);
    }
    expect(failures).toEqual([]);
  });

  it('answers 403 to every key below the required role, and write keys can read nothing', async () => {
    const failures: string[] = [];
    for (const route of routes.filter((r) => r.access !== 'public')) {
      const required = route.access === 'write' ? 'write' : (route.access as ApiKeyRole);
      const tooLow = required === 'write' ? ['viewer', 'marketer', 'admin'] : LADDER.slice(0, LADDER.indexOf(required));
      for (const role of tooLow as ApiKeyRole[]) {
        const response = await call(route, keys.get(role));
        if (response.status !== 403) failures.push(`${route.method} ${route.path} with ${role} → ${response.status}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('documents every route in /openapi.json with its role', async () => {
    const document = (await (await fetch(`${api.baseUrl}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { 'x-required-role': string; summary: string }>>;
    };
    for (const route of routes) {
      const operation = document.paths[route.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')]?.[route.method.toLowerCase()];
      expect({ route: `${route.method} ${route.path}`, role: operation?.['x-required-role'] }).toEqual({
        route: `${route.method} ${route.path}`,
        role: route.access,
      });
    }
    const docs = await fetch(`${api.baseUrl}/docs`);
    expect(await docs.text()).toContain('<script src="/docs/swagger-init.js">');
    expect(await (await fetch(`${api.baseUrl}/docs/swagger-init.js`)).text()).toContain('SwaggerUIBundle');
    expect((await fetch(`${api.baseUrl}/docs/assets/swagger-ui-bundle.js`)).status).toBe(200);
  });
});
