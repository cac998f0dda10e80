import { testContext, testMembers } from '@audiencekit/connector-sdk/testing';
import { metaAdsConnector, MetaSecrets, MetaSettings, replaceMetaAudience } from '../index';
import { MetaFake, startMetaFake } from '../fake/meta-fake';
import { meta } from './meta-test-helpers';
import spec from './fixtures/graph-api-spec-fragment.json';

// The connector's requests (and so the fake's routes) checked against Meta's own machine-readable
// spec (business SDK codegen), not only against our reading of the reference pages.
describe('meta-ads requests match the Graph API spec fragment', () => {
  let fake: MetaFake;
  beforeAll(async () => {
    fake = await startMetaFake({ accessToken: 't' });
    const base = { settings: { adAccountId: '1234567890' }, secrets: { accessToken: 't' }, baseUrl: fake.url };
    const { externalId } = await meta.ensureAudience(testContext<MetaSettings, MetaSecrets>(metaAdsConnector, base), {
      name: 'n',
      activationId: 'a',
    });
    const ctx = testContext<MetaSettings, MetaSecrets>(metaAdsConnector, { ...base, audience: { externalId } });
    const members = testMembers(6);
    await meta.upsert(ctx, members.slice(0, 3));
    await meta.remove(ctx, members.slice(0, 1));
    await replaceMetaAudience(ctx, [members.slice(0, 3), members.slice(3)], 'conformance');
  });
  afterAll(async () => fake.stop());

  const edgeRequests = () =>
    fake.server.requests
      .map((request) => ({ request, edge: `${request.method} ${request.path.split('/').pop()}` }))
      .filter(({ edge }) => edge in spec.edges);

  it('covers every edge of the fragment', () => {
    expect(new Set(edgeRequests().map(({ edge }) => edge))).toEqual(new Set(Object.keys(spec.edges)));
  });

  it('sends only documented params, with the required ones present', () => {
    for (const { request, edge } of edgeRequests()) {
      const { params, required } = spec.edges[edge as keyof typeof spec.edges];
      const sent = Object.keys(request.body as object);
      expect(sent.filter((name) => !params.includes(name))).toEqual([]);
      expect(required.filter((name) => !sent.includes(name))).toEqual([]);
    }
  });

  it('payload and session objects use the documented fields and schema keys', () => {
    for (const { request } of edgeRequests()) {
      const body = request.body as { payload: string; session?: string };
      const payload = JSON.parse(body.payload);
      expect(Object.keys(payload).filter((field) => !spec.payload.fields.includes(field))).toEqual([]);
      expect(spec.payload.required.every((field) => field in payload)).toBe(true);
      expect((payload.schema as string[]).every((key) => spec.schemaKeys.includes(key))).toBe(true);
      if (body.session !== undefined) {
        const session = JSON.parse(body.session);
        expect(Object.keys(session).filter((field) => !spec.session.fields.includes(field))).toEqual([]);
        expect(spec.session.required.every((field) => field in session)).toBe(true);
      }
    }
  });
});
