import { googleAdsConnector } from '../index';

/** The optional methods of the definition, checked present once (so tests need no non-null assertions). */
function methodsOf(definition: typeof googleAdsConnector) {
  const { ensureAudience, upsert, remove, audienceSize } = definition;
  if (!ensureAudience || !upsert || !remove || !audienceSize)
    throw new Error('google-ads must implement ensureAudience, upsert, remove and audienceSize');
  return { ensureAudience, upsert, remove, audienceSize };
}

export const google = methodsOf(googleAdsConnector);
