import { describeConnectorContract, testMembers } from '@audiencekit/connector-sdk/testing';
import { googleAdsConnector } from '../index';
import { startGoogleFake } from '../fake/google-fake';

describeConnectorContract('google-ads', {
  connector: googleAdsConnector,
  startFake: async () => (await startGoogleFake({ accessTokens: ['contract-token'] })).server,
  settings: {
    operatingAccount: { accountType: 'GOOGLE_ADS', accountId: '1234567890' },
    productDestinationId: '555000111',
    acceptCustomerMatchTerms: true,
  },
  secrets: { accessToken: 'contract-token' },
  members: testMembers(3),
});
