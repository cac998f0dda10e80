import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { isIP } from 'node:net';
import axios, { AxiosError, AxiosInstance, AxiosRequestConfig } from 'axios';
import {
  AllowedHosts,
  allowedHostsFromEnv,
  assertAllowedTarget,
  guardedLookup,
  hostAllowed,
  hostOf,
  isPrivateAddress,
  RefusedTargetError,
  ResolveAll,
  resolveAll,
} from './ssrf-guard';

/**
 * The one outbound HTTP client of plugins. The core builds one per connector call and hands it over
 * as `ctx.http`, so a plugin cannot forget the guard; lint forbids plugins their own `axios`,
 * `node:http(s)`, `undici` and `fetch`.
 * - `client`: an axios instance that checks each URL before the request (`assertAllowedTarget`),
 *   follows no redirect (`maxRedirects: 0`) and ignores proxy variables (`proxy: false`);
 * - `httpAgent` / `httpsAgent`: for vendor SDKs with their own axios (`@sendgrid/client`,
 *   Twilio's `RequestClient`): every connection is checked when it is made, by a `lookup` that
 *   refuses private addresses (DNS rebinding) and, for IP literals, before the socket opens.
 */
export interface GuardedHttp {
  readonly client: AxiosInstance;
  readonly httpAgent: HttpAgent;
  readonly httpsAgent: HttpsAgent;
  /** The pre-flight decision for a URL. @throws RefusedTargetError */
  assertAllowedTarget(url: string | URL): Promise<void>;
}

export interface GuardedHttpOptions {
  /** Hosts allowed although private (default: `AK_OUTBOUND_ALLOWED_HOSTS` / `AK_WEBHOOK_ALLOWED_HOSTS`, read at call time). */
  allowedHosts?: AllowedHosts;
  /**
   * The vendor base URL the operator configured (`AK_CONNECTOR_BASE_URLS`): trusted config, so its
   * host is allowed even when private (a fake vendor on 127.0.0.1, a staging proxy).
   */
  trustedBaseUrl?: string;
  /** Host name resolution (tests script DNS answers, e.g. a rebinding host). */
  resolve?: ResolveAll;
}

/** A guarded client as `ctx.http` carries it; see `GuardedHttp`. */
export function createGuardedHttp(options: GuardedHttpOptions = {}): GuardedHttp {
  const allowedHosts = outboundAllowedHosts(options);
  const resolve = options.resolve ?? resolveAll;
  const lookup = guardedLookup(allowedHosts, resolve);
  // No keep-alive: every connection goes through the guarded lookup again.
  const httpAgent = guardLiterals(new HttpAgent({ lookup } as never), allowedHosts);
  const httpsAgent = guardLiterals(new HttpsAgent({ lookup } as never), allowedHosts);
  const check = (url: string | URL) => assertAllowedTarget(typeof url === 'string' ? new URL(url) : url, allowedHosts, resolve);

  const client = axios.create({ httpAgent, httpsAgent, maxRedirects: 0, proxy: false });
  client.interceptors.request.use(async (config) => {
    await check(client.getUri(config));
    return config;
  });
  client.interceptors.response.use(undefined, (error: unknown) => Promise.reject(refusedTargetIn(error) ?? error));
  return { client, httpAgent, httpsAgent, assertAllowedTarget: check };
}

/** The hosts a guard lets through although private: the operator's allow-list and the host of the trusted base URL. */
export function outboundAllowedHosts(options: Pick<GuardedHttpOptions, 'allowedHosts' | 'trustedBaseUrl'> = {}): AllowedHosts {
  const configured = options.allowedHosts ?? allowedHostsFromEnv;
  const trusted = options.trustedBaseUrl ? hostOf(new URL(options.trustedBaseUrl)) : undefined;
  return () => (trusted ? [...configured(), trusted] : configured());
}

/**
 * Node skips `lookup` for an IP literal, so the agent checks literals itself before any socket
 * exists; the refusal reaches the request as its error.
 */
function guardLiterals<A extends HttpAgent>(agent: A, allowedHosts: AllowedHosts): A {
  type Create = (options: { host?: string; port?: number | string }, callback: (error: Error | null, socket?: unknown) => void) => unknown;
  const target = agent as unknown as { createConnection: Create };
  const create = target.createConnection.bind(agent);
  target.createConnection = (connectOptions, callback) => {
    const host = (connectOptions.host ?? '').replace(/^\[(.*)\]$/, '$1').toLowerCase();
    const port = connectOptions.port === undefined ? undefined : Number(connectOptions.port);
    if (isIP(host) !== 0 && isPrivateAddress(host) && !hostAllowed(allowedHosts(), host, port)) {
      process.nextTick(() =>
        callback(
          new RefusedTargetError(
            `outbound connection to the private address ${host} refused; allow it with AK_OUTBOUND_ALLOWED_HOSTS if intended`,
          ),
        ),
      );
      return undefined;
    }
    return create(connectOptions, callback);
  };
  return agent;
}

/** The guard's refusal inside an HTTP client's error (axios wraps what the agent reported), if any. */
export function refusedTargetIn(error: unknown): RefusedTargetError | undefined {
  for (let current: unknown = error, depth = 0; current && depth < 5; current = (current as { cause?: unknown }).cause, depth++) {
    if (current instanceof RefusedTargetError) return current;
    if (
      (current as { code?: unknown }).code === RefusedTargetError.CODE ||
      (current as { vendorCode?: unknown }).vendorCode === RefusedTargetError.CODE
    ) {
      return new RefusedTargetError((current as Error).message);
    }
  }
  return undefined;
}

/** axios' own guards, re-exported so plugins need no `axios` import of their own. */
export const isHttpClientError = (error: unknown): error is AxiosError => axios.isAxiosError(error);
export const isHttpCancel = (error: unknown): boolean =>
  axios.isCancel(error) || (axios.isAxiosError(error) && error.code === 'ERR_CANCELED');
export type HttpRequestConfig<D = unknown> = AxiosRequestConfig<D>;
export type HttpClient = AxiosInstance;
export type HttpClientError<T = unknown> = AxiosError<T>;
