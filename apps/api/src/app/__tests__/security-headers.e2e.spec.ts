import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { RunningApi, startTestApi } from '../../../test/api-test-app';

/** Headers every answer carries: the console, /docs and the JSON routes (helmet, create-api-app.ts). */
describe('security headers', () => {
  let db: TestDatabase;
  let api: RunningApi;

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startTestApi(db.url);
  }, 60_000);

  afterAll(async () => {
    await api.close();
    await db.drop();
  });

  it.each(['/health', '/segments', '/openapi.json', '/docs', '/console/'])(
    '%s: CSP with frame-ancestors none, nosniff, Referrer-Policy, no X-Powered-By',
    async (path) => {
      const response = await fetch(`${api.baseUrl}${path}`);
      const csp = response.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self'");
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('referrer-policy')).toBe('no-referrer');
      expect(response.headers.get('x-powered-by')).toBeNull();
    },
  );

  it('serves /docs without an inline script, so the CSP (script-src self) lets Swagger UI start', async () => {
    const page = await (await fetch(`${api.baseUrl}/docs`)).text();
    const scripts = [...page.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attributes, content] of scripts) {
      expect(attributes).toMatch(/src="\/docs\//);
      expect(content.trim()).toBe('');
    }
    const init = await fetch(`${api.baseUrl}/docs/swagger-init.js`);
    expect(init.status).toBe(200);
    expect(init.headers.get('content-type')).toContain('javascript');
    expect(await init.text()).toContain("url: '/openapi.json'");
  });
});
