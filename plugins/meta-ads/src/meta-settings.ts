import { z } from 'zod';

/** The Graph API version of Meta's current reference pages (each version lives about two years); a setting, so an upgrade needs no release. */
export const DEFAULT_META_API_VERSION = 'v25.0';

export const metaSettingsSchema = z.object({
  /** The ad account owning the audience, with or without the `act_` prefix. */
  adAccountId: z.string().regex(/^(act_)?\d{1,20}$/, 'adAccountId: the ad account number, with or without "act_"'),
  apiVersion: z
    .string()
    .regex(/^v\d+\.\d+$/, 'apiVersion: like "v23.0"')
    .default(DEFAULT_META_API_VERSION),
  /** Name of the custom audience; default: the name the core proposes ("audiencekit: <segment>"). */
  audienceName: z.string().trim().min(1).max(200).optional(),
  /** Use this existing custom audience instead of finding or creating one by name. */
  existingAudienceId: z
    .string()
    .regex(/^\d{1,20}$/, 'existingAudienceId: digits only')
    .optional(),
  /**
   * Never remove members from the Meta audience. Meta documents that removals from small audiences are
   * unreliable, so some advertisers prefer an audience that only grows; removals are then recorded
   * per member as rejected (`add_only`), not silently dropped.
   */
  addOnly: z.boolean().default(false),
});
export type MetaSettings = z.output<typeof metaSettingsSchema>;

export const metaSecretsSchema = z.object({
  /** A system-user access token with `ads_management` on the ad account. */
  accessToken: z.string().min(1, 'accessToken is required'),
});
export type MetaSecrets = z.output<typeof metaSecretsSchema>;

/** `act_<id>` whatever form the setting was saved in. */
export const actId = (settings: Pick<MetaSettings, 'adAccountId'>): string =>
  settings.adAccountId.startsWith('act_') ? settings.adAccountId : `act_${settings.adAccountId}`;
