export {
  GOOGLE_MAX_MEMBERS_PER_REQUEST,
  GOOGLE_MEMBERSHIP_LIFESPAN_DAYS,
  GOOGLE_REFRESH_AFTER_DAYS,
  GOOGLE_MAX_ATTRIBUTION_REQUESTS,
  durationDays,
  refreshAfterDaysFor,
  googleAdsConnector,
} from './google-ads.connector';
export { ACCOUNT_TYPES, CONSENT_STATUSES, googleSecretsSchema, googleSettingsSchema } from './google-settings';
export type { GoogleSecrets, GoogleSettings } from './google-settings';
export { hashGoogle, normalizeGoogleE164, normalizeGoogleEmail, normalizeGoogleName, userIdentifiers } from './google-hashing';
export type { UserIdentifier } from './google-hashing';
export { clearGoogleTokenCache, GOOGLE_TOKEN_URL, googleAccessToken } from './google-auth';
export { DATA_MANAGER_HOST, googleError, memberViolations, quotaRetryAfterMs } from './google-client';
export { awaitRequestStatus, checkPendingRequests, googleStatusPolling, processedStatus } from './google-request-status';
export type { ProcessedStatus, RequestStatusResponse } from './google-request-status';
