import { AnyConnectorDefinition, definitionProblems } from '@audiencekit/connector-sdk';
import { REGISTERED_CONNECTORS } from './registered-connectors';

/** A start-up error: the server must not run with a connector list it cannot trust. */
export class ConnectorRegistryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConnectorRegistryError';
  }
}

/** What the registry reads from the environment or the server config. */
export interface ConnectorRegistryConfig {
  /** Comma-separated slugs to enable (`sendgrid,twilio`); unset or empty enables every registered one. */
  AK_CONNECTORS?: string;
}

/**
 * The enabled connector definitions, each validated against the contract.
 * @throws ConnectorRegistryError for a broken definition, a duplicate slug, or an `AK_CONNECTORS`
 * entry that names no registered connector
 * @example loadConnectors({ AK_CONNECTORS: 'webhook' }) // [webhook]
 */
export function loadConnectors(
  config: ConnectorRegistryConfig = { AK_CONNECTORS: process.env.AK_CONNECTORS },
  registered: readonly AnyConnectorDefinition[] = REGISTERED_CONNECTORS,
): AnyConnectorDefinition[] {
  const bySlug = validated(registered);
  const wanted = parseSlugs(config.AK_CONNECTORS);
  if (wanted.length === 0) return [...bySlug.values()];
  const unknown = wanted.filter((slug) => !bySlug.has(slug));
  if (unknown.length > 0) {
    throw new ConnectorRegistryError(
      `AK_CONNECTORS names unknown connector(s) ${unknown.map((s) => `"${s}"`).join(', ')}; registered: ${[...bySlug.keys()].join(', ') || 'none'}`,
    );
  }
  return wanted.map((slug) => bySlug.get(slug) as AnyConnectorDefinition);
}

function validated(registered: readonly AnyConnectorDefinition[]): Map<string, AnyConnectorDefinition> {
  const bySlug = new Map<string, AnyConnectorDefinition>();
  for (const [index, definition] of registered.entries()) {
    // An entry whose import named nothing (a renamed export) is undefined, not a definition.
    if (!definition || typeof definition !== 'object')
      throw new ConnectorRegistryError(`connector #${index + 1} of the registry is ${String(definition)}, not a definition`);
    const problems = definitionProblems(definition);
    const label = typeof definition?.slug === 'string' ? `"${definition.slug}"` : `#${index + 1}`;
    if (problems.length > 0) throw new ConnectorRegistryError(`connector ${label} breaks the contract: ${problems.join('; ')}`);
    if (bySlug.has(definition.slug)) throw new ConnectorRegistryError(`connector slug "${definition.slug}" is registered twice`);
    bySlug.set(definition.slug, definition);
  }
  return bySlug;
}

/** Unique, trimmed, lower-cased slugs, in the order given. */
function parseSlugs(value: string | undefined): string[] {
  const slugs = (value ?? '')
    .split(',')
    .map((slug) => slug.trim().toLowerCase())
    .filter((slug) => slug !== '');
  return [...new Set(slugs)];
}
