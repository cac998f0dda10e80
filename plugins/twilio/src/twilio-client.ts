import twilio from 'twilio';
import RequestClient from 'twilio/lib/base/RequestClient';
import type { GuardedHttp } from '@audiencekit/connector-sdk';
import type { TwilioSecrets, TwilioSettings } from './twilio-settings';

/**
 * Twilio's HTTP client with two changes: every request goes to `baseUrl` when the core sets one
 * (the SDK's `edge`/`region` only change the real host name, so the origin is rewritten here, for
 * api.twilio.com and messaging.twilio.com alike), and the core's AbortSignal reaches axios. The
 * SDK keeps the last response (`lastResponse`, with its headers) for Retry-After. Its axios uses
 * the core's guarded agents (`ctx.http`), so each connection is checked against the SSRF guard.
 */
export class RoutedRequestClient extends RequestClient {
  constructor(
    private readonly baseUrl: string | undefined,
    signal: AbortSignal,
    http: GuardedHttp,
  ) {
    // No autoRetry: the core owns retries and back-off.
    super({ autoRetry: false, timeout: 30_000 });
    // The SDK's own agent (and any HTTP_PROXY agent it picked) is replaced by the guarded ones.
    this.axios.defaults.httpAgent = http.httpAgent;
    this.axios.defaults.httpsAgent = http.httpsAgent;
    this.axios.interceptors.request.use(async (config) => {
      await http.assertAllowedTarget(this.axios.getUri(config));
      config.signal = signal;
      config.maxRedirects = 0;
      config.proxy = false;
      return config;
    });
  }

  override request<TData>(opts: RequestClient.RequestOptions<TData>) {
    return super.request<TData>({ ...opts, uri: this.baseUrl ? rewriteOrigin(opts.uri, this.baseUrl) : opts.uri });
  }

  /** Headers of the last answer, lower-cased names. */
  lastHeaders(): Record<string, string> {
    const headers = (this.lastResponse?.headers ?? {}) as Record<string, unknown>;
    return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), String(value)]));
  }
}

function rewriteOrigin(uri: string, baseUrl: string): string {
  const target = new URL(uri);
  const base = new URL(baseUrl);
  target.protocol = base.protocol;
  target.host = base.host;
  return target.toString();
}

export interface TwilioCallContext {
  readonly settings: Pick<TwilioSettings, 'accountSid'>;
  readonly secrets: TwilioSecrets;
  readonly baseUrl?: string;
  readonly signal: AbortSignal;
  readonly http: GuardedHttp;
}

/** A client per call: credentials and the routed HTTP client are never shared across destinations. */
export function twilioClient(ctx: TwilioCallContext): { client: twilio.Twilio; http: RoutedRequestClient } {
  const http = new RoutedRequestClient(ctx.baseUrl, ctx.signal, ctx.http);
  const { accountSid } = ctx.settings;
  const { authToken, apiKeySid, apiKeySecret } = ctx.secrets;
  // An API key, when set, makes the calls; an Auth Token kept beside it only verifies callbacks.
  const client =
    apiKeySid && apiKeySecret
      ? twilio(apiKeySid, apiKeySecret, { accountSid, httpClient: http, autoRetry: false })
      : twilio(accountSid, authToken, { httpClient: http, autoRetry: false });
  return { client, http };
}
