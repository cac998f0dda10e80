import { Logger } from '@nestjs/common';
import {
  AllowedHosts,
  AnyConnectorDefinition,
  ConnectorContext,
  ConnectorLogger,
  createGuardedHttp,
  GuardedHttp,
  outboundAllowedHosts,
  PendingVendorRequest,
  VendorCounts,
} from '@audiencekit/connector-sdk';
import type { DestinationEntity } from '@audiencekit/persistence';
import { SecretBox } from '@audiencekit/server-core';
import { errorMessage } from '@audiencekit/util';
import { SyncException } from './sync.exception';

/**
 * The one place that opens a destination's secrets and builds the context a connector is called
 * with — by sync runs (sync-setup.ts, batch-delivery.ts) and by connection tests (activation-admin):
 * settings, secrets, the vendor base URL from AK_CONNECTOR_BASE_URLS, the SDK's guarded `http`
 * client (only the base URL's host and AK_OUTBOUND_ALLOWED_HOSTS may be private), and a logger that
 * redacts the destination's secret values from everything a plugin logs.
 *
 * Redaction, one rule for both paths: every secret string value, and every secret number written as
 * text, of at least REDACT_MIN_CHARS characters, is replaced by `[redacted]` — longest first, so a
 * secret containing another goes whole. Shorter values (a region "eu", a flag "1") are left: they
 * carry no secret a reader could not guess in a few tries, and replacing them would shred every
 * log line and vendor message that happens to contain those letters. A 4-digit PIN is redacted.
 */
export const REDACT_MIN_CHARS = 4;

/** The part of the server config the runtime reads. */
export interface ConnectorRuntimeConfig {
  AK_SECRETS_KEYS?: string;
  /** `{ slug: url }` (parsed by the config schema); a raw `slug=url,...` string is accepted too. */
  AK_CONNECTOR_BASE_URLS?: Record<string, string> | string;
  /** The API's public URL (no trailing slash): connectors get this destination's callback URL from it. */
  AK_PUBLIC_BASE_URL?: string;
}

/** What a destination's calls share, built once per run or connection test. */
export interface ConnectorRuntime {
  baseUrl?: string;
  /** `ctx.callbackUrl`: this destination's vendor-events URL when AK_PUBLIC_BASE_URL is set. */
  callbackUrl?: string;
  /** The SDK's guarded HTTP client handed to the plugin (`ctx.http`). */
  http: GuardedHttp;
  logger: ConnectorLogger;
  /** Removes the destination's secret values from text bound for a run record or an answer. */
  redact: (text: string) => string;
}

export function connectorRuntime(
  connector: Pick<AnyConnectorDefinition, 'slug'>,
  destinationId: string,
  secrets: unknown,
  config: ConnectorRuntimeConfig,
): ConnectorRuntime {
  const baseUrl = baseUrlOf(config, connector.slug);
  const values = secretValues(secrets);
  const publicBase = config.AK_PUBLIC_BASE_URL?.replace(/\/+$/, '');
  return {
    baseUrl,
    ...(publicBase ? { callbackUrl: `${publicBase}/v1/vendor-events/${connector.slug}/${destinationId}` } : {}),
    http: createGuardedHttp({ trustedBaseUrl: baseUrl }),
    logger: redactingLogger(connector.slug, destinationId, values),
    redact: (text) => redactText(text, values),
  };
}

/** The context of one connector call. */
export function connectorContext(
  runtime: ConnectorRuntime,
  call: {
    settings: unknown;
    secrets: unknown;
    audienceId?: string | null;
    idempotencyKey: string;
    signal: AbortSignal;
    reportVendorCounts?: (counts: VendorCounts) => void;
    reportPendingRequest?: (request: PendingVendorRequest) => void;
  },
): ConnectorContext<unknown, unknown> {
  return {
    ...(call.reportVendorCounts ? { reportVendorCounts: call.reportVendorCounts } : {}),
    ...(call.reportPendingRequest ? { reportPendingRequest: call.reportPendingRequest } : {}),
    settings: call.settings,
    secrets: call.secrets,
    baseUrl: runtime.baseUrl,
    ...(runtime.callbackUrl ? { callbackUrl: runtime.callbackUrl } : {}),
    audience: call.audienceId ? { externalId: call.audienceId } : undefined,
    idempotencyKey: call.idempotencyKey,
    signal: call.signal,
    logger: runtime.logger,
    http: runtime.http,
  };
}

/**
 * A destination's stored secrets as an object ({} when it has none).
 * @throws SyncException `bad_secrets` when there is no key ring or the ciphertext does not open.
 */
export function openSecrets(
  destination: Pick<DestinationEntity, 'secretsCiphertext' | 'secretsKeyId'>,
  secretsKeys: string | undefined,
): Record<string, unknown> {
  if (!destination.secretsCiphertext || !destination.secretsKeyId) return {};
  if (!secretsKeys)
    throw new SyncException('bad_secrets', 'AK_SECRETS_KEYS is not set: this worker cannot decrypt the destination secrets');
  try {
    return JSON.parse(
      new SecretBox(secretsKeys).open({ keyId: destination.secretsKeyId, ciphertext: destination.secretsCiphertext }),
    ) as Record<string, unknown>;
  } catch (error) {
    throw new SyncException('bad_secrets', `the destination secrets cannot be opened: ${errorMessage(error)}`);
  }
}

export function baseUrlOf(config: ConnectorRuntimeConfig, slug: string): string | undefined {
  const urls = config.AK_CONNECTOR_BASE_URLS;
  if (!urls) return undefined;
  if (typeof urls !== 'string') return urls[slug];
  const entry = urls
    .split(',')
    .map((part) => part.trim())
    .find((part) => part.startsWith(`${slug}=`));
  return entry?.slice(slug.length + 1).replace(/\/+$/, '');
}

/**
 * Hosts a destination's settings may name although private, as `ctx.http` will allow them: the
 * operator's AK_OUTBOUND_ALLOWED_HOSTS and the host of the connector's AK_CONNECTOR_BASE_URLS entry.
 */
export function allowedHostsOf(connector: Pick<AnyConnectorDefinition, 'slug'>, config: ConnectorRuntimeConfig): AllowedHosts {
  return outboundAllowedHosts({ trustedBaseUrl: baseUrlOf(config, connector.slug) });
}

/** Every secret value to redact (strings and numbers as text, nested too, at least REDACT_MIN_CHARS long), longest first. */
export function secretValues(secrets: unknown): string[] {
  const values: string[] = [];
  const walk = (value: unknown): void => {
    if (typeof value === 'string') values.push(value);
    else if (typeof value === 'number' || typeof value === 'bigint') values.push(String(value));
    else if (Array.isArray(value)) value.forEach(walk);
    else if (typeof value === 'object' && value !== null) Object.values(value).forEach(walk);
  };
  walk(secrets);
  return [...new Set(values.filter((value) => value.length >= REDACT_MIN_CHARS))].sort((a, b) => b.length - a.length);
}

/** `text` with every secret value replaced by `[redacted]`. */
export function redactText(text: string, secrets: readonly string[]): string {
  return secrets.reduce((redacted, secret) => redacted.split(secret).join('[redacted]'), text);
}

/** A deep copy of `value` with secret values redacted from every string in it. */
export function redactDeep(value: unknown, secrets: readonly string[]): unknown {
  if (typeof value === 'string') return redactText(value, secrets);
  if ((typeof value === 'number' || typeof value === 'bigint') && secrets.includes(String(value))) return '[redacted]';
  if (Array.isArray(value)) return value.map((item) => redactDeep(item, secrets));
  if (value instanceof Error) return redactText(value.message, secrets);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [redactText(key, secrets), redactDeep(item, secrets)]));
  }
  return value;
}

/** Plugins log through this: secret values of the destination never reach the log. */
function redactingLogger(slug: string, destinationId: string, secrets: readonly string[]): ConnectorLogger {
  const logger = new Logger(`connector:${slug}`);
  const line = (message: string, fields?: Record<string, unknown>) => ({
    msg: redactText(message, secrets),
    destinationId,
    ...(fields ? { fields: redactDeep(fields, secrets) } : {}),
  });
  return { info: (message, fields) => logger.log(line(message, fields)), warn: (message, fields) => logger.warn(line(message, fields)) };
}
