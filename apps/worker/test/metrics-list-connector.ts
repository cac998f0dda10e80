import axios from 'axios';
import { z } from 'zod';
import { allDelivered, connectorErrorFromHttp, defineConnector } from '@audiencekit/connector-sdk';

/**
 * A tiny list connector for the worker's metrics and shutdown tests (loaded through
 * AK_EXTRA_CONNECTORS): POSTs adds and removes to a fake vendor and maps its HTTP errors with the
 * SDK's `connectorErrorFromHttp`, so a 429 arrives as a RetryableError coded `HTTP 429`.
 */
export const metricsListConnector = defineConnector({
  slug: 'metrics-list',
  displayName: 'Metrics-test list',
  channel: 'email',
  deliveryModel: 'list',
  settings: z.object({}),
  secrets: z.object({}),
  requiredIdentifiers: ['email'],
  limits: { maxBatchSize: 50, maxRequestsPerSecond: 100 },
  testConnection: async () => undefined,
  upsert: async (ctx, members) => {
    await post(
      `${ctx.baseUrl}/lists/members`,
      members.map((member) => ({ profileId: member.profileId, email: member.identifiers.email })),
      ctx.signal,
    );
    return allDelivered(members);
  },
  remove: async (ctx, members) => {
    await post(
      `${ctx.baseUrl}/lists/members/remove`,
      members.map((member) => ({ profileId: member.profileId, email: member.identifiers.email })),
      ctx.signal,
    );
    return allDelivered(members);
  },
});

async function post(url: string, members: unknown[], signal: AbortSignal): Promise<void> {
  const response = await axios.post(url, { members }, { signal, validateStatus: () => true });
  if (response.status >= 400)
    throw connectorErrorFromHttp(response.status, response.headers as Record<string, string>, `HTTP ${response.status}`);
}

export const connectors = [metricsListConnector];
