import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { allDelivered, connectorErrorFromHttp, defineConnector, EligibleMember } from '@audiencekit/connector-sdk';
import { FAST_OPTIONS } from './sync-fixtures';

/**
 * The vendor of the deployment-wide limiter's tests (sync-shared-limits.spec.ts and its worker
 * processes, shared-limits-worker.ts): an HTTP fake enforcing a rate per account and a quota per
 * project, and a Google-like connector for it.
 */
export const ACCOUNT_RATE = 4;
export const PROJECT_QUOTA = 4;
export const BATCH = 5;

export interface FakeVendor {
  url: string;
  /** Requests answered 200, per account. */
  accepted: Map<string, number>;
  /** 429s answered because a limit was exceeded (or during a Retry-After the fake asked for). */
  tooMany: number;
  /** The next request of this project gets a 429 with `Retry-After: 1` whatever the rate (vendor overload). */
  forceRetryAfter: Set<string>;
  close(): Promise<void>;
}

/** Sliding one-second windows per account and per project; a Retry-After it answered blocks that project until it ends. */
export async function startFakeVendor(): Promise<FakeVendor> {
  const arrivals = new Map<string, number[]>();
  const blockedUntil = new Map<string, number>();
  const accepted = new Map<string, number>();
  const fake: Omit<FakeVendor, 'url' | 'close'> = { accepted, tooMany: 0, forceRetryAfter: new Set() };
  const full = (key: string, limit: number, now: number): boolean => {
    const recent = (arrivals.get(key) ?? []).filter((at) => at > now - 1000);
    arrivals.set(key, recent);
    return recent.length >= limit;
  };
  const tooMany = (response: ServerResponse, message: string) => {
    fake.tooMany += 1;
    response.writeHead(429, { 'content-type': 'application/json', 'retry-after': '1' });
    response.end(JSON.stringify({ error: { code: 429, status: 'RESOURCE_EXHAUSTED', message } }));
  };
  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    request.resume();
    request.on('end', () => {
      const now = Date.now();
      const account = /\/v1\/accounts\/([^/]+)\/members/.exec(request.url ?? '')?.[1];
      const project = String(request.headers['x-project'] ?? '');
      if (!account || !project) {
        response.writeHead(400).end();
        return;
      }
      if (fake.forceRetryAfter.delete(project)) {
        blockedUntil.set(`project:${project}`, now + 1000);
        return tooMany(response, 'overloaded: retry after 1 s');
      }
      if ((blockedUntil.get(`project:${project}`) ?? 0) > now) return tooMany(response, 'called during Retry-After');
      if (full(`account:${account}`, ACCOUNT_RATE, now))
        return tooMany(response, `account ${account}: more than ${ACCOUNT_RATE} requests/s`);
      if (full(`project:${project}`, PROJECT_QUOTA, now))
        return tooMany(response, `project ${project}: more than ${PROJECT_QUOTA} requests/s`);
      arrivals.get(`account:${account}`)?.push(now);
      arrivals.get(`project:${project}`)?.push(now);
      accepted.set(account, (accepted.get(account) ?? 0) + 1);
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return Object.assign(fake as FakeVendor, { url, close: () => new Promise<void>((resolve) => server.close(() => resolve())) });
}

/** A Google-like connector: a rate per account, and a quota per project shared by the project's destinations. */
export const vendor = defineConnector({
  slug: 'quota-vendor',
  displayName: 'Quota vendor (test)',
  channel: 'ads',
  deliveryModel: 'list',
  settings: z.object({ account: z.string(), project: z.string() }),
  secrets: z.object({}).passthrough(),
  requiredIdentifiers: ['email'],
  limits: { maxBatchSize: BATCH, maxRequestsPerSecond: ACCOUNT_RATE, maxConcurrency: 2 },
  quota: (settings) => ({ key: settings.project, maxRequestsPerSecond: PROJECT_QUOTA }),
  testConnection: async () => undefined,
  upsert: async (ctx, members: readonly EligibleMember[]) => {
    const response = await ctx.http.client.post(
      `${ctx.baseUrl}/v1/accounts/${ctx.settings.account}/members`,
      { count: members.length },
      { headers: { 'x-project': ctx.settings.project }, validateStatus: () => true, signal: ctx.signal },
    );
    if (response.status !== 200)
      throw connectorErrorFromHttp(response.status, response.headers as Record<string, string>, 'vendor refused the request');
    return allDelivered(members);
  },
});

/**
 * Slow-ish calls in these tests are the limiter's waits, not the vendor: give a call room. A safety
 * margin of 300 ms (production: 100 ms) so that a loaded test machine's scheduling delays between
 * a call's slot and its arrival at the fake do not look like a broken limiter.
 */
export const LIMIT_TEST_OPTIONS = {
  ...FAST_OPTIONS,
  rateLimitSafetyMs: 300,
  callTimeoutMs: 5_000,
  maxRetryAfterMs: 2_000,
  initialBackoffMs: 50,
  maxBackoffMs: 200,
};
