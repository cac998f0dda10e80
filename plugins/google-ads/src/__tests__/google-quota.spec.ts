import { googleAdsConnector } from '../google-ads.connector';
import { googleSecretsSchema, googleSettingsSchema } from '../google-settings';

/**
 * Issue #22: Google's 300 requests a minute are the Cloud project's, shared by every destination
 * using an OAuth client of that project. The connector names the quota by the client id, and the
 * core enforces it across destinations and workers (libs/activation-engine sync-shared-limits.spec).
 */
describe('google-ads quota', () => {
  const settings = googleSettingsSchema.parse({
    operatingAccount: { accountId: '1234567890' },
    productDestinationId: '555000111',
    acceptCustomerMatchTerms: true,
  });

  it('is the OAuth client id at 5 requests a second for refresh-token credentials', () => {
    const secrets = googleSecretsSchema.parse({ refreshToken: 'r', clientId: 'client-1.apps.googleusercontent.com', clientSecret: 's' });
    expect(googleAdsConnector.quota?.(settings, secrets)).toEqual({ key: 'client-1.apps.googleusercontent.com', maxRequestsPerSecond: 5 });
  });

  it('is unknown for an access token alone (no project to name): the destination limit applies', () => {
    expect(googleAdsConnector.quota?.(settings, googleSecretsSchema.parse({ accessToken: 't' }))).toBeUndefined();
  });
});
