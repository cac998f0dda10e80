import { Inject, Injectable, Logger } from '@nestjs/common';
import { AllowedHosts, AnyConnectorDefinition, ConnectorContext, ConnectorLogger, createGuardedHttp, outboundAllowedHosts } from '@audiencekit/connector-sdk';
import { APP_CONFIG, AppConfig } from '@audiencekit/server-core';
import { redactDeep, redactText, secretValues } from './destination-secrets.service';

/** How long a connection test may take before it is reported as a timeout. */
export const CONNECTION_TEST_TIMEOUT_MS = 15_000;

/**
 * Builds the context a connector is called with outside a sync (the connection test): settings,
 * secrets, the vendor base URL from AK_CONNECTOR_BASE_URLS, an abort signal, a logger that
 * redacts the destination's secret values from everything a plugin logs, and the SDK's guarded
 * HTTP client (only the base URL's host and AK_OUTBOUND_ALLOWED_HOSTS may be private).
 */
@Injectable()
export class ConnectorContextFactory {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  create(
    connector: AnyConnectorDefinition,
    input: { destinationId: string; settings: unknown; secrets: Record<string, unknown>; idempotencyKey: string; signal: AbortSignal },
  ): Omit<ConnectorContext<unknown, unknown>, 'audience'> {
    const baseUrl = this.config.AK_CONNECTOR_BASE_URLS[connector.slug];
    return {
      settings: input.settings,
      secrets: input.secrets,
      baseUrl,
      idempotencyKey: input.idempotencyKey,
      signal: input.signal,
      logger: redactingLogger(new Logger(`connector:${connector.slug}`), secretValues(input.secrets), input.destinationId),
      http: createGuardedHttp({ trustedBaseUrl: baseUrl }),
    };
  }

  /** See `allowedHostsOf`. */
  allowedHosts(connector: AnyConnectorDefinition): AllowedHosts {
    return allowedHostsOf(connector, this.config);
  }
}

/**
 * Hosts a destination's settings may name although private, as `ctx.http` will allow them: the
 * operator's AK_OUTBOUND_ALLOWED_HOSTS and the host of the connector's AK_CONNECTOR_BASE_URLS entry.
 */
export function allowedHostsOf(connector: AnyConnectorDefinition, config: Pick<AppConfig, 'AK_CONNECTOR_BASE_URLS'>): AllowedHosts {
  return outboundAllowedHosts({ trustedBaseUrl: config.AK_CONNECTOR_BASE_URLS[connector.slug] });
}

function redactingLogger(logger: Logger, secrets: string[], destinationId: string): ConnectorLogger {
  const line = (message: string, fields?: Record<string, unknown>) => ({
    msg: redactText(message, secrets),
    destinationId,
    ...(fields ? { fields: redactDeep(fields, secrets) } : {}),
  });
  return {
    info: (message, fields) => logger.log(line(message, fields)),
    warn: (message, fields) => logger.warn(line(message, fields)),
  };
}
