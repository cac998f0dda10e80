export { metaAdsConnector } from './meta-ads.connector';
export { DEFAULT_META_API_VERSION, metaSecretsSchema, metaSettingsSchema } from './meta-settings';
export type { MetaSecrets, MetaSettings } from './meta-settings';
export { hashMetaIdentifier, META_SCHEMA, metaRow, normalizeMetaEmail, normalizeMetaPhone } from './meta-hashing';
export { META_MAX_USERS_PER_REQUEST, metaReplaceSessionId, replaceMetaAudience, replaceMetaUsersBatch } from './meta-users';
export type { MetaReplaceBatch, MetaUsersResponse } from './meta-users';
export { META_GRAPH_HOST, metaError, metaRetryAfterMs } from './meta-client';
