import { testContext, testMembers } from '@audiencekit/connector-sdk/testing';
import { metaAdsConnector, MetaSecrets, MetaSettings } from '../index';
import { MetaFake, startMetaFake } from '../fake/meta-fake';
import { graphRequestViolations, graphRoute } from '../fake/graph-spec';
import { meta } from './meta-test-helpers';

/**
 * Capture and validate: every request type of the connector (testConnection's ad account read,
 * ensureAudience's list and create, upsert, remove, replace, the audience size read) is run against
 * the fake with capture on (the fake records every request), and every captured request is validated
 * here against Meta's codegen spec (spec/codegen, commit in spec/SOURCES.json) and the guide's payload
 * and session shape (spec/guide.json) — unknown params included, which Graph itself would ignore.
 */
describe('meta-ads: every request the connector sends is valid against the Marketing API spec', () => {
  let fake: MetaFake;
  beforeAll(async () => {
    fake = await startMetaFake({ accessToken: 't' });
    const base = { settings: { adAccountId: '1234567890' }, secrets: { accessToken: 't' }, baseUrl: fake.url };
    const setup = testContext<MetaSettings, MetaSecrets>(metaAdsConnector, base);
    await metaAdsConnector.testConnection(setup);
    const { externalId } = await meta.ensureAudience(setup, { name: 'n', activationId: 'a' });
    const ctx = testContext<MetaSettings, MetaSecrets>(metaAdsConnector, { ...base, audience: { externalId } });
    const members = testMembers(6);
    await meta.upsert(ctx, members.slice(0, 3));
    await meta.remove(ctx, members.slice(0, 1));
    const replace = metaAdsConnector.replace;
    if (!replace) throw new Error('meta-ads implements replace');
    await replace(ctx, { members: members.slice(0, 3), replaceKey: 'run-1', sequence: 1, last: false, estimatedTotal: 6 });
    await replace(ctx, { members: members.slice(3), replaceKey: 'run-1', sequence: 2, last: true, estimatedTotal: 6 });
    await meta.audienceSize(ctx);
  });
  afterAll(async () => fake.stop());

  it('saw every request type of the connector, each an API of the codegen spec', () => {
    const routes = fake.server.requests.map(
      (request) => graphRoute(request.method, request.path)?.id ?? `${request.method} ${request.path}`,
    );
    expect(new Set(routes)).toEqual(
      new Set([
        'AdAccount #get',
        'AdAccount GET customaudiences',
        'AdAccount POST customaudiences',
        'CustomAudience POST users',
        'CustomAudience DELETE users',
        'CustomAudience POST usersreplace',
        'CustomAudience #get',
      ]),
    );
  });

  it('0 violations: params, types, enums, fields, payload, schema keys and session of every captured request', () => {
    const violations = fake.server.requests.flatMap((request) =>
      graphRequestViolations(request).map((violation) => `${request.method} ${request.path}: ${violation.kind} ${violation.message}`),
    );
    expect(violations).toEqual([]);
  });

  it('the checker catches what it should', () => {
    const users = (form: Record<string, string>) =>
      graphRequestViolations({ method: 'POST', path: '/v25.0/123/users', query: {}, body: form });
    expect(users({ payload: JSON.stringify({ schema: ['EMAIL'], data: [['x']] }) }).map((v) => v.kind)).toEqual(['missing']);
    expect(
      users({
        payload: JSON.stringify({ schema: ['MAIL'], data: [['x']] }),
        session: JSON.stringify({ session_id: '1', batch_seq: 1, last_batch_flag: true }),
        extra: '1',
      }).map((v) => v.kind),
    ).toEqual(['unknown_param', 'invalid', 'invalid']);
  });
});
