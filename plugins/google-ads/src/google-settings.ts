import { z } from 'zod';

/** `ProductAccount.AccountType` of the Data Manager API (google/ads/datamanager/v1/destination.proto). */
export const ACCOUNT_TYPES = ['GOOGLE_ADS', 'DISPLAY_VIDEO_PARTNER', 'DISPLAY_VIDEO_ADVERTISER', 'DATA_PARTNER'] as const;
/** `ConsentStatus` (consent.proto). */
export const CONSENT_STATUSES = ['CONSENT_GRANTED', 'CONSENT_DENIED'] as const;

const accountId = z.string().regex(/^\d{1,20}$/, 'accountId: the account number, digits only (no dashes)');

const productAccount = z.object({
  accountType: z.enum(ACCOUNT_TYPES).default('GOOGLE_ADS'),
  accountId,
});

export const googleSettingsSchema = z.object({
  /** The account whose Customer Match list receives the members. */
  operatingAccount: productAccount,
  /** The manager (or partner) account the credentials belong to, when it is not the operating account itself. */
  loginAccount: productAccount.optional(),
  /** The Customer Match user list id (the `productDestinationId` of the destination). */
  productDestinationId: z.string().regex(/^\d{1,20}$/, 'productDestinationId: the user list id, digits only'),
  /** EU user consent sent with every upload (Google requires it for EEA users); granted unless the marketer says otherwise. */
  consent: z
    .object({
      adUserData: z.enum(CONSENT_STATUSES).default('CONSENT_GRANTED'),
      adPersonalization: z.enum(CONSENT_STATUSES).default('CONSENT_GRANTED'),
    })
    .default({ adUserData: 'CONSENT_GRANTED', adPersonalization: 'CONSENT_GRANTED' }),
  /**
   * The marketer accepts Google's Customer Match terms (support.google.com/adspolicy/answer/6299717).
   * Google refuses every Customer Match upload without it (TERMS_AND_CONDITIONS_NOT_SIGNED), so a
   * destination that would fail every request is refused at save (#22), with this field named.
   */
  acceptCustomerMatchTerms: z.literal(true, {
    error: 'acceptCustomerMatchTerms: must be true — accept the Customer Match terms; Google refuses every upload without them',
  }),
  /** Profile traits that make the address identifier; sent only when all four are present. */
  addressTraits: z
    .object({
      givenName: z.string().default('first_name'),
      familyName: z.string().default('last_name'),
      regionCode: z.string().default('country_code'),
      postalCode: z.string().default('postal_code'),
    })
    .default({ givenName: 'first_name', familyName: 'last_name', regionCode: 'country_code', postalCode: 'postal_code' }),
  // No token endpoint setting (#16): the refresh token and client secret are posted to it, so it is
  // Google's, or `<baseUrl>/token` under the operator's AK_CONNECTOR_BASE_URLS, never a marketer's URL.
});
export type GoogleSettings = z.output<typeof googleSettingsSchema>;

/** Either a ready OAuth access token (scope `https://www.googleapis.com/auth/datamanager`), or what mints one. */
export const googleSecretsSchema = z.union([
  z.object({ accessToken: z.string().min(1, 'accessToken is required') }),
  z.object({
    refreshToken: z.string().min(1, 'refreshToken is required'),
    clientId: z.string().min(1, 'clientId is required'),
    clientSecret: z.string().min(1, 'clientSecret is required'),
  }),
]);
export type GoogleSecrets = z.output<typeof googleSecretsSchema>;
