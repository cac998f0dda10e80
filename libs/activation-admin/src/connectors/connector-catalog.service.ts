import { Inject, Injectable } from '@nestjs/common';
import { z } from 'zod';
import { CONNECTORS } from '@audiencekit/activation-engine';
import { AnyConnectorDefinition, ConnectorSource, connectorSourceOf } from '@audiencekit/connector-sdk';
import { ActivationAdminException } from '../activation-admin.exception';

/** What GET /connectors says about a connector: enough for a client to render its forms. */
export interface ConnectorDescription {
  slug: string;
  displayName: string;
  channel: AnyConnectorDefinition['channel'];
  deliveryModel: AnyConnectorDefinition['deliveryModel'];
  requiredIdentifiers: AnyConnectorDefinition['requiredIdentifiers'];
  limits: AnyConnectorDefinition['limits'];
  /** JSON Schema (draft 2020-12) of the settings, generated from the connector's own zod schema. */
  settings: Record<string, unknown>;
  /** JSON Schema of the secrets (their shape only; values are never returned). */
  secrets: Record<string, unknown>;
  /** Where the server loaded it from: `{ kind: 'built-in' }`, or `{ kind: 'package', package, version }` (AK_CONNECTOR_PACKAGES). */
  source: ConnectorSource;
}

/** The registered connectors, looked up by slug, and described from their own zod schemas. */
@Injectable()
export class ConnectorCatalog {
  private readonly bySlug: Map<string, AnyConnectorDefinition>;

  constructor(@Inject(CONNECTORS) connectors: AnyConnectorDefinition[]) {
    this.bySlug = new Map(connectors.map((connector) => [connector.slug, connector]));
  }

  list(): ConnectorDescription[] {
    return [...this.bySlug.values()].sort((a, b) => a.slug.localeCompare(b.slug)).map(describe);
  }

  find(slug: string): AnyConnectorDefinition | undefined {
    return this.bySlug.get(slug);
  }

  /** The connector of a stored destination; a 409 when the plugin is no longer installed. */
  require(slug: string): AnyConnectorDefinition {
    const connector = this.bySlug.get(slug);
    if (!connector) throw new ActivationAdminException('connector_not_registered', `connector "${slug}" is not registered in this server`);
    return connector;
  }

  slugs(): string[] {
    return [...this.bySlug.keys()].sort();
  }
}

function describe(connector: AnyConnectorDefinition): ConnectorDescription {
  return {
    slug: connector.slug,
    displayName: connector.displayName,
    channel: connector.channel,
    deliveryModel: connector.deliveryModel,
    requiredIdentifiers: connector.requiredIdentifiers,
    limits: connector.limits,
    settings: jsonSchema(connector.settings),
    secrets: jsonSchema(connector.secrets),
    source: connectorSourceOf(connector),
  };
}

/** The settings JSON Schema exactly as GET /connectors serves it (the save-time host checks walk it). */
export const settingsJsonSchema = (connector: AnyConnectorDefinition): Record<string, unknown> => jsonSchema(connector.settings);

// `io: 'input'` describes what a client sends (defaults optional); transforms cannot be expressed
// in JSON Schema, so they render as "any" rather than failing the whole listing.
function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}
