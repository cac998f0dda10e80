import axios from 'axios';
import { z } from 'zod';
import { allDelivered, defineConnector, MemberData, RetryableError } from '@audiencekit/connector-sdk';

/**
 * A tiny list connector for the worker's crash test (loaded through AK_EXTRA_CONNECTORS): it POSTs
 * each batch to a fake vendor with the batch's idempotency key and each member's delivery key.
 */
export const fakeListConnector = defineConnector({
  slug: 'crash-list',
  displayName: 'Crash-test list',
  channel: 'email',
  deliveryModel: 'list',
  settings: z.object({}),
  secrets: z.object({}),
  requiredIdentifiers: ['email'],
  limits: { maxBatchSize: 100, maxRequestsPerSecond: 50 },
  testConnection: async () => undefined,
  upsert: async (ctx, members) => {
    const response = await axios.post(
      `${ctx.baseUrl}/lists/members`,
      {
        members: members.map((member) => ({
          profileId: member.profileId,
          email: member.identifiers.email,
          deliveryKey: member.deliveryKey,
        })),
      },
      { headers: { 'idempotency-key': ctx.idempotencyKey }, signal: ctx.signal, validateStatus: () => true },
    );
    if (response.status >= 500 || response.status === 429) throw new RetryableError(`HTTP ${response.status}`);
    return allDelivered(members);
  },
});

/**
 * The same list with removes (the on-change tests: exits leave the list). Each request carries the
 * batch's idempotency key; the body says which action and which members.
 */
export const onChangeListConnector = defineConnector({
  ...fakeListConnector,
  slug: 'on-change-list',
  displayName: 'On-change test list',
  upsert: (ctx, members) => postMembers(ctx, 'add', members),
  remove: (ctx, members) => postMembers(ctx, 'remove', members),
});

async function postMembers(
  ctx: { baseUrl?: string; idempotencyKey: string; signal: AbortSignal },
  action: 'add' | 'remove',
  members: readonly MemberData[],
) {
  const response = await axios.post(
    `${ctx.baseUrl}/lists/members`,
    {
      action,
      members: members.map((member) => ({ profileId: member.profileId, email: member.identifiers.email, deliveryKey: member.deliveryKey })),
    },
    { headers: { 'idempotency-key': ctx.idempotencyKey }, signal: ctx.signal, validateStatus: () => true },
  );
  if (response.status >= 500 || response.status === 429) throw new RetryableError(`HTTP ${response.status}`);
  return allDelivered(members);
}

export const connectors = [fakeListConnector, onChangeListConnector];
