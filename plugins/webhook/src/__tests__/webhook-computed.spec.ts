import { FakeVendorServer, testContext, testMember } from '@audiencekit/connector-sdk/testing';
import { startWebhookReceiver } from '../fake/webhook-receiver';
import { createWebhookConnector, webhookSettings } from '../index';

/** Computed and SQL traits (issue #20) in the webhook payload: the keys selected in `computedTraits`. */
describe('webhook connector: computed traits in the payload', () => {
  const SECRET = 'whsec_test_0123456789abcdef';
  const NOW = Date.parse('2026-12-01T09:00:00Z');
  const connector = createWebhookConnector({ now: () => NOW });
  let receiver: FakeVendorServer;
  beforeEach(async () => {
    receiver = await startWebhookReceiver({ signingSecret: SECRET, now: () => NOW });
  });
  afterEach(async () => {
    await receiver.stop();
  });

  const ctxFor = (computedTraits?: string[]) =>
    testContext(connector, {
      settings: webhookSettings.parse({ url: `${receiver.url}/hooks/audiencekit`, ...(computedTraits ? { computedTraits } : {}) }),
      secrets: { signingSecret: SECRET },
      audience: { externalId: 'act-1' },
      http: { allowedHosts: () => ['127.0.0.1'] },
    });

  it('sends the selected computed values under computed (a value the member lacks is left out); declares them as refs', async () => {
    const ctx = ctxFor(['total_spend_90d', 'favourite_category']);
    await connector.upsert(ctx, [
      testMember({
        profileId: 'p1',
        email: 'ada@example.com',
        traits: { plan: 'gold' },
        computed: { total_spend_90d: 120.5, favourite_category: 'shoes', not_selected: 1 },
      }),
      testMember({ profileId: 'p2', email: 'bob@example.com', computed: { total_spend_90d: 0 } }),
    ]);
    const { members } = receiver.requests[0].body as { members: { profileId: string; computed?: unknown }[] };
    expect(members.map((member) => [member.profileId, member.computed])).toEqual([
      ['p1', { total_spend_90d: 120.5, favourite_category: 'shoes' }],
      ['p2', { total_spend_90d: 0 }],
    ]);
    expect(connector.computedTraitRefs(ctx.settings)).toEqual([
      { key: 'total_spend_90d', path: 'computedTraits.0' },
      { key: 'favourite_category', path: 'computedTraits.1' },
    ]);
  });

  it('adds no computedTraits to settings that do not name it (saved settings stay as saved)', () => {
    expect(webhookSettings.parse({ url: 'https://hooks.example.com/x', includeTraits: false })).toEqual({
      url: 'https://hooks.example.com/x',
      includeTraits: false,
    });
  });

  it('sends no computed field when none is selected', async () => {
    await connector.upsert(ctxFor(), [testMember({ profileId: 'p1', email: 'ada@example.com', computed: { total_spend_90d: 1 } })]);
    expect((receiver.requests[0].body as { members: object[] }).members[0]).not.toHaveProperty('computed');
  });

  it('refuses keys that cannot be trait keys and a key named twice, naming the entry', () => {
    const bad = webhookSettings.safeParse({ url: 'https://hooks.example.com/x', computedTraits: ['ok_key', 'Bad-Key'] });
    expect(bad.error?.issues.map((issue) => issue.path.join('.'))).toEqual(['computedTraits.1']);
    const twice = webhookSettings.safeParse({ url: 'https://hooks.example.com/x', computedTraits: ['a', 'a'] });
    expect(twice.error?.issues.map((issue) => issue.path.join('.'))).toEqual(['computedTraits']);
  });
});
