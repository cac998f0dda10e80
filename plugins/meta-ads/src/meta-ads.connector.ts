import { AudienceInput, ConnectorContext, defineConnector, EligibleMember, RecordOutcome, rejected } from '@audiencekit/connector-sdk';
import { formBody, metaRequest } from './meta-client';
import { metaReplaceSessionId, replaceMetaUsersBatch, sendMetaUsers } from './meta-users';
import { actId, MetaSecrets, metaSecretsSchema, MetaSettings, metaSettingsSchema } from './meta-settings';

type SetupContext = Omit<ConnectorContext<MetaSettings, MetaSecrets>, 'audience'>;

/**
 * Meta Custom Audiences from a customer list (Marketing API): members are matched on SHA-256 hashes
 * of their normalised e-mail and phone; nothing unhashed is ever sent.
 */
export const metaAdsConnector = defineConnector<MetaSettings, MetaSecrets>({
  slug: 'meta-ads',
  displayName: 'Meta Ads (Custom Audiences)',
  channel: 'ads',
  deliveryModel: 'list',
  settings: metaSettingsSchema,
  secrets: metaSecretsSchema,
  requiredIdentifiers: ['email', 'phone'],
  // Meta publishes no fixed request rate (its limits are usage-based, reported in headers): one call at a time.
  limits: { maxBatchSize: 10_000, maxConcurrency: 1 },

  async testConnection(ctx) {
    await metaRequest(ctx, { method: 'GET', url: `/${actId(ctx.settings)}`, params: { fields: 'id,name' } });
  },

  ensureAudience: (ctx, input) => ensureMetaAudience(ctx, input),
  upsert: (ctx, members) => sendMetaUsers(ctx, 'POST', members),
  remove: (ctx, members) => (ctx.settings.addOnly ? addOnlyOutcomes(members) : sendMetaUsers(ctx, 'DELETE', members)),
  // A full resync: one usersreplace session per replace (its id derived from the core's replace key).
  replace: (ctx, batch) =>
    replaceMetaUsersBatch(ctx, batch.members, {
      sessionId: metaReplaceSessionId(batch.replaceKey),
      batchSeq: batch.sequence,
      lastBatch: batch.last,
      estimatedTotal: batch.estimatedTotal,
    }),

  async audienceSize(ctx) {
    const id = ctx.audience?.externalId ?? ctx.settings.existingAudienceId;
    if (!id) return undefined;
    const audience = await metaRequest<{ approximate_count_lower_bound?: number }>(ctx, {
      method: 'GET',
      url: `/${id}`,
      params: { fields: 'approximate_count_lower_bound,approximate_count_upper_bound' },
    });
    // Meta answers -1 while an audience is too small or still processing: no number to show.
    const lower = audience.approximate_count_lower_bound;
    return typeof lower === 'number' && lower >= 0 ? lower : undefined;
  },
});

/** Get-or-create by name within the ad account, so a retried or resumed set-up never makes a second audience. */
async function ensureMetaAudience(ctx: SetupContext, input: AudienceInput): Promise<{ externalId: string }> {
  if (ctx.settings.existingAudienceId) return { externalId: ctx.settings.existingAudienceId };
  const name = ctx.settings.audienceName ?? input.name;
  const account = actId(ctx.settings);
  const found = await metaRequest<{ data?: { id: string; name?: string }[] }>(ctx, {
    method: 'GET',
    url: `/${account}/customaudiences`,
    params: { fields: 'id,name', filtering: JSON.stringify([{ field: 'name', operator: 'EQUAL', value: name }]), limit: 100 },
  });
  const match = found.data?.find((audience) => audience.name === name);
  if (match) return { externalId: match.id };
  const created = await metaRequest<{ id: string }>(ctx, {
    method: 'POST',
    url: `/${account}/customaudiences`,
    data: formBody({
      name,
      subtype: 'CUSTOM',
      customer_file_source: 'USER_PROVIDED_ONLY',
      description: `audiencekit activation ${input.activationId}`,
    }),
  });
  return { externalId: created.id };
}

const addOnlyOutcomes = async (members: readonly EligibleMember[]): Promise<RecordOutcome[]> =>
  members.map((member) => rejected(member, 'add-only mode: not removed from the Meta audience', 'add_only'));
