import { describeConnectorContract, testMembers } from '@audiencekit/connector-sdk/testing';
import { metaAdsConnector } from '../index';
import { startMetaFake } from '../fake/meta-fake';

describeConnectorContract('meta-ads', {
  connector: metaAdsConnector,
  startFake: async () => (await startMetaFake({ accessToken: 'contract-token', adAccountId: '1234567890' })).server,
  settings: { adAccountId: '1234567890' },
  secrets: { accessToken: 'contract-token' },
  members: testMembers(3),
});
