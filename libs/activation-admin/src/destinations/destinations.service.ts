import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, IsNull } from 'typeorm';
import { z } from 'zod';
import {
  AllowedHosts,
  AnyConnectorDefinition,
  changedHostSettings,
  isConnectorError,
  redactUrlsDeep,
  refusedHostSettings,
} from '@audiencekit/connector-sdk';
import { ApiKeyRole, DestinationEntity } from '@audiencekit/persistence';
import { allowedHostsOf, connectorContext, connectorRuntime, redactText, secretValues } from '@audiencekit/activation-engine';
import { APP_CONFIG, AppConfig, zodIssuesToDetails } from '@audiencekit/server-core';
import { ActivationAdminException } from '../activation-admin.exception';
import { settingsComputedTraitRefs, unknownComputedTraitProblems } from '../computed-trait-references';
import { ConnectorCatalog, settingsJsonSchema } from '../connectors/connector-catalog.service';
import { ConnectionTestResult, CreateDestinationInput, DestinationView, UpdateDestinationInput } from './destination-input.schema';
import { DestinationSecrets } from './destination-secrets.service';

/** How long a connection test may take before it is reported as a timeout. */
export const CONNECTION_TEST_TIMEOUT_MS = 15_000;

/** Destinations: configured connector instances whose secrets are sealed at rest and never returned. */
@Injectable()
export class DestinationsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly catalog: ConnectorCatalog,
    private readonly secrets: DestinationSecrets,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async create(input: CreateDestinationInput): Promise<DestinationView> {
    const connector = this.catalog.find(input.connector);
    if (!connector) {
      const known = this.catalog.slugs();
      throw invalid(
        'connector',
        `no connector "${input.connector}" is registered (registered: ${known.length ? known.join(', ') : 'none'})`,
      );
    }
    const settings = validateSettings(connector, input.settings, allowedHostsOf(connector, this.config));
    await this.assertComputedTraitsKnown(connector, settings);
    const secrets = validateWith(connector.secrets, input.secrets, 'secrets');
    const sealed = hasValues(secrets) ? this.secrets.seal(secrets) : null;
    const repository = this.dataSource.getRepository(DestinationEntity);
    const saved = await repository.save(
      repository.create({
        name: input.name,
        connector: connector.slug,
        settings,
        secretsCiphertext: sealed?.ciphertext ?? null,
        secretsKeyId: sealed?.keyId ?? null,
      }),
    );
    return toView(saved);
  }

  async list(page: {
    limit: number;
    offset: number;
    connector?: string;
  }): Promise<{ items: DestinationView[]; total: number; limit: number; offset: number }> {
    const [rows, total] = await this.dataSource.getRepository(DestinationEntity).findAndCount({
      where: { deletedAt: IsNull(), ...(page.connector ? { connector: page.connector } : {}) },
      order: { createdAt: 'ASC', id: 'ASC' },
      take: page.limit,
      skip: page.offset,
    });
    return { items: rows.map(toView), total, limit: page.limit, offset: page.offset };
  }

  async get(id: string): Promise<DestinationView> {
    return toView(await this.findLive(id));
  }

  async update(id: string, input: UpdateDestinationInput): Promise<DestinationView> {
    const destination = await this.findLive(id);
    const connector = this.catalog.require(destination.connector);
    if (input.name !== undefined) destination.name = input.name;
    if (input.settings !== undefined) {
      const settings = validateSettings(connector, input.settings, allowedHostsOf(connector, this.config));
      await this.assertComputedTraitsKnown(connector, settings);
      if (input.secrets === undefined && destination.secretsCiphertext !== null)
        assertHostsUnchanged(connector, destination.settings, settings);
      destination.settings = settings;
    }
    if (input.secrets !== undefined) {
      const secrets = validateWith(connector.secrets, input.secrets, 'secrets');
      const sealed = hasValues(secrets) ? this.secrets.seal(secrets) : null;
      destination.secretsCiphertext = sealed?.ciphertext ?? null;
      destination.secretsKeyId = sealed?.keyId ?? null;
    }
    return toView(await this.dataSource.getRepository(DestinationEntity).save(destination));
  }

  /** Soft delete: the row stays for the history of its activations' sync runs. */
  async remove(id: string): Promise<void> {
    const destination = await this.findLive(id);
    await this.dataSource.getRepository(DestinationEntity).update({ id: destination.id }, { deletedAt: new Date() });
  }

  /**
   * Calls the connector's `testConnection` with the stored settings and secrets. Answers ok, or the
   * connector's error code and message with every secret value redacted from it.
   */
  async testConnection(id: string): Promise<ConnectionTestResult> {
    const destination = await this.findLive(id);
    const connector = this.catalog.require(destination.connector);
    const secrets = this.secrets.open(destination);
    const signal = AbortSignal.timeout(CONNECTION_TEST_TIMEOUT_MS);
    // The same runtime a sync run gets (connector-runtime.ts): base URL, guarded http, redacting logger.
    const context = connectorContext(connectorRuntime(connector, id, secrets, this.config), {
      settings: destination.settings,
      secrets,
      idempotencyKey: `test-${randomUUID()}`,
      signal,
    });
    try {
      await raceAbort(connector.testConnection(context), signal);
      return { ok: true };
    } catch (error) {
      return { ok: false, error: describeFailure(error, secretValues(secrets), signal) };
    }
  }

  /** A live destination with its connector (for the activations service). */
  async findWithConnector(id: string): Promise<{ destination: DestinationEntity; connector: AnyConnectorDefinition } | undefined> {
    const destination = await this.dataSource.getRepository(DestinationEntity).findOne({ where: { id, deletedAt: IsNull() } });
    if (!destination) return undefined;
    return { destination, connector: this.catalog.require(destination.connector) };
  }

  /** Settings that send a computed or SQL trait (issue #20) must name one that exists: 400 naming each path otherwise. */
  private async assertComputedTraitsKnown(connector: AnyConnectorDefinition, settings: Record<string, unknown>): Promise<void> {
    const details = await unknownComputedTraitProblems(this.dataSource.manager, settingsComputedTraitRefs(connector, settings));
    if (details.length > 0)
      throw new ActivationAdminException(
        'invalid_request',
        `invalid body: ${details.map((d) => `${d.path} ${d.message}`).join('; ')}`,
        details,
      );
  }

  private async findLive(id: string): Promise<DestinationEntity> {
    const parsed = z.uuid().safeParse(id);
    const destination = parsed.success
      ? await this.dataSource.getRepository(DestinationEntity).findOne({ where: { id, deletedAt: IsNull() } })
      : null;
    if (!destination) throw new ActivationAdminException('destination_not_found', `no destination ${id}`);
    return destination;
  }
}

function invalid(path: string, message: string): ActivationAdminException {
  return new ActivationAdminException('invalid_request', `invalid body: ${path} ${message}`, [{ path, message }]);
}

/** Validates with the connector's schema; a 400 naming each field as `settings.listId`. */
function validateWith(schema: z.ZodType, value: unknown, prefix: 'settings' | 'secrets'): Record<string, unknown> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    // Issues of secrets name the field, never echo the value (zod messages do not include input).
    const details = zodIssuesToDetails(parsed.error.issues, prefix);
    throw new ActivationAdminException(
      'invalid_request',
      `invalid body: ${details.map((d) => `${d.path} ${d.message}`).join('; ')}`,
      details,
    );
  }
  return (parsed.data ?? {}) as Record<string, unknown>;
}

/**
 * The connector's own schema, plus the SSRF decision for every host-like field that needs no DNS
 * query (private literals, localhost): all problems in one 400, each named `settings.<field>`.
 */
function validateSettings(connector: AnyConnectorDefinition, value: unknown, allowedHosts: AllowedHosts): Record<string, unknown> {
  const hosts = refusedHostSettings(settingsJsonSchema(connector), value, allowedHosts).map((problem) => ({
    path: `settings.${problem.path}`,
    message: problem.message,
  }));
  const parsed = connector.settings.safeParse(value);
  const details = [...(parsed.success ? [] : zodIssuesToDetails(parsed.error.issues, 'settings')), ...hosts];
  if (details.length > 0)
    throw new ActivationAdminException(
      'invalid_request',
      `invalid body: ${details.map((d) => `${d.path} ${d.message}`).join('; ')}`,
      details,
    );
  return (parsed.data ?? {}) as Record<string, unknown>;
}

/**
 * Secrets sealed for one host are sent only there: pointing a host-like setting elsewhere needs the
 * secrets in the same request, from someone who knows them (#16).
 * @throws ActivationAdminException `invalid_request` naming each changed field
 */
function assertHostsUnchanged(connector: AnyConnectorDefinition, before: unknown, after: unknown): void {
  const changed = changedHostSettings(settingsJsonSchema(connector), before, after);
  if (changed.length === 0) return;
  const details = changed.map((path) => ({
    path: `settings.${path}`,
    message: 'names where requests (with the sealed secrets) go: changing it requires sending "secrets" again in the same request',
  }));
  throw new ActivationAdminException(
    'invalid_request',
    `invalid body: ${details.map((d) => `${d.path} ${d.message}`).join('; ')}`,
    details,
  );
}

/**
 * A destination as a caller of `role` may see it: below admin, every URL in the settings loses its
 * userinfo and query string (they often carry tokens), e.g. `https://***:***@host/path?***`.
 */
export function destinationViewFor(role: ApiKeyRole, view: DestinationView): DestinationView {
  return role === 'admin' ? view : { ...view, settings: redactUrlsDeep(view.settings) };
}

function hasValues(secrets: Record<string, unknown>): boolean {
  return Object.values(secrets).some((value) => value !== undefined && value !== null && value !== '');
}

function toView(destination: DestinationEntity): DestinationView {
  return {
    id: destination.id,
    name: destination.name,
    connector: destination.connector,
    settings: destination.settings,
    secretsSet: destination.secretsCiphertext !== null,
    createdAt: destination.createdAt,
    updatedAt: destination.updatedAt,
  };
}

// A plugin that ignores the abort signal must not hold the request open: the test answers a timeout.
async function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([promise, aborted]);
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}

function describeFailure(error: unknown, secrets: string[], signal: AbortSignal): NonNullable<ConnectionTestResult['error']> {
  if (signal.aborted) return { code: 'timeout', message: `the connection test took longer than ${CONNECTION_TEST_TIMEOUT_MS / 1000} s` };
  if (isConnectorError(error)) {
    return {
      code: error.code,
      message: redactText(error.message, secrets),
      ...(error.vendorCode ? { vendorCode: redactText(error.vendorCode, secrets) } : {}),
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'connector_error', message: redactText(message, secrets) };
}
