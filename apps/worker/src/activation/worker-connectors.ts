import type { AnyConnectorDefinition } from '@audiencekit/connector-sdk';
import { connectorRegistryConfigFromEnv, loadConnectors } from '@audiencekit/connector-registry';

/**
 * The connectors this worker syncs to. The installed plugins come from the connector registry
 * (libs/connector-registry: built-in ones restricted by `AK_CONNECTORS`, plus the packages of
 * `AK_CONNECTOR_PACKAGES`); `AK_EXTRA_CONNECTORS` is a test/dev hook:
 * a comma-separated list of absolute module paths, each exporting `connectors` (an array of
 * definitions), loaded at start-up — the worker crash test registers its fake-vendor connector so.
 */
export function loadWorkerConnectors(
  env: NodeJS.ProcessEnv = process.env,
  installed: readonly AnyConnectorDefinition[] = loadConnectors(connectorRegistryConfigFromEnv(env)),
): AnyConnectorDefinition[] {
  const extra = (env['AK_EXTRA_CONNECTORS'] ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .flatMap((modulePath) => extraConnectors(modulePath));
  const bySlug = new Map<string, AnyConnectorDefinition>();
  for (const connector of [...installed, ...extra]) bySlug.set(connector.slug, connector);
  return [...bySlug.values()];
}

function extraConnectors(modulePath: string): AnyConnectorDefinition[] {
  const loaded = require(modulePath) as { connectors?: unknown };
  if (!Array.isArray(loaded.connectors)) throw new Error(`AK_EXTRA_CONNECTORS: ${modulePath} does not export an array named "connectors"`);
  return loaded.connectors as AnyConnectorDefinition[];
}
