import { AnyConnectorDefinition, definitionProblems, recordConnectorSource } from '@audiencekit/connector-sdk';
import { loadConnectorPackages, parsePackageList } from './connector-packages';
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
  /**
   * Comma-separated npm names of connector packages installed next to the product
   * (`@acme/audiencekit-acme,audiencekit-foo`): every connector they export is enabled, after the
   * same checks as the built-in ones plus the SDK range (connector-packages.ts).
   */
  AK_CONNECTOR_PACKAGES?: string;
  /** The folder whose node_modules (or one above it) holds those packages; default: the working directory. */
  AK_CONNECTOR_PACKAGES_DIR?: string;
}

/** The registry's configuration from the environment. */
export const connectorRegistryConfigFromEnv = (env: NodeJS.ProcessEnv = process.env): ConnectorRegistryConfig => ({
  AK_CONNECTORS: env['AK_CONNECTORS'],
  AK_CONNECTOR_PACKAGES: env['AK_CONNECTOR_PACKAGES'],
  AK_CONNECTOR_PACKAGES_DIR: env['AK_CONNECTOR_PACKAGES_DIR'],
});

/**
 * The enabled connector definitions, each validated against the contract: the built-in ones
 * (restricted by `AK_CONNECTORS`), then those of the packages `AK_CONNECTOR_PACKAGES` lists. Each
 * definition's source (built in, or package@version) is recorded for `connectorSourceOf`.
 * @throws ConnectorRegistryError for a broken definition, a duplicate slug, or an `AK_CONNECTORS`
 * entry that names no registered connector; ConnectorPackageError (naming the package and the
 * reason) for a listed package that fails a check — nothing is loaded then
 * @example loadConnectors({ AK_CONNECTORS: 'webhook' }) // [webhook]
 */
export function loadConnectors(
  config: ConnectorRegistryConfig = connectorRegistryConfigFromEnv(),
  registered: readonly AnyConnectorDefinition[] = REGISTERED_CONNECTORS,
): AnyConnectorDefinition[] {
  const builtIn = enabledBuiltIns(config, registered);
  // Every registered slug stays reserved, enabled or not: slugs are stored with destinations.
  const taken = new Map(registered.filter(Boolean).map((definition) => [definition.slug, 'a built-in connector'] as const));
  const packages = loadConnectorPackages(
    parsePackageList(config.AK_CONNECTOR_PACKAGES),
    config.AK_CONNECTOR_PACKAGES_DIR ?? process.cwd(),
    taken,
  );
  for (const definition of builtIn) recordConnectorSource(definition, { kind: 'built-in' });
  for (const loaded of packages)
    for (const definition of loaded.connectors)
      recordConnectorSource(definition, { kind: 'package', package: loaded.name, version: loaded.version });
  return [...builtIn, ...packages.flatMap((loaded) => loaded.connectors)];
}

function enabledBuiltIns(config: ConnectorRegistryConfig, registered: readonly AnyConnectorDefinition[]): AnyConnectorDefinition[] {
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
