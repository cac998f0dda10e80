import { z } from 'zod';

/** Channel names are consent keys already (`consent.email: false` opts out of the channel): never a category key. */
export const RESERVED_CONSENT_KEYS = ['email', 'sms', 'ads', 'webhook', 'all'] as const;

/** A category key: lower-case letters, digits and `_`, starting with a letter (it is a trait key). */
export const consentCategoryKeySchema = z
  .string()
  .regex(/^[a-z][a-z0-9_]{1,62}$/, 'must be 2 to 63 lower-case letters, digits or _, starting with a letter (e.g. email_marketing)')
  .refine((key) => !(RESERVED_CONSENT_KEYS as readonly string[]).includes(key), {
    message: `must not be a channel name (${RESERVED_CONSENT_KEYS.join(', ')}): channel consent already uses those keys`,
  });

/** PUT /consent/categories/:key */
export const consentCategoryInputSchema = z
  .object({
    label: z
      .string()
      .max(200)
      .refine((value) => value.trim().length > 0, 'must not be empty')
      .transform((value) => value.trim()),
    description: z.string().max(2_000).default(''),
  })
  .strict();
export type ConsentCategoryInput = z.output<typeof consentCategoryInputSchema>;

/** PUT /destinations/:id/consent-categories: the full set the destination requires (empty = none). */
export const destinationCategoriesInputSchema = z
  .object({ categories: z.array(consentCategoryKeySchema).max(50) })
  .strict()
  .transform((input) => ({ categories: [...new Set(input.categories)].sort() }));
export type DestinationCategoriesInput = z.output<typeof destinationCategoriesInputSchema>;

/** PUT /profiles/:id/consent: per category, true (given) or false (withdrawn). */
export const profileConsentInputSchema = z
  .object({
    consent: z
      .record(consentCategoryKeySchema, z.boolean())
      .refine((consent) => Object.keys(consent).length > 0, 'must name at least one category'),
  })
  .strict();
export type ProfileConsentInput = z.output<typeof profileConsentInputSchema>;
