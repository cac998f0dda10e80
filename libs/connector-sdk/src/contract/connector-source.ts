import type { AnyConnectorDefinition } from './connector-definition';

/** Where a connector comes from: built into this build (plugins/), or an npm package the operator listed. */
export type ConnectorSource = { kind: 'built-in' } | { kind: 'package'; package: string; version: string };

const sources = new WeakMap<object, ConnectorSource>();

/**
 * Records where the core loaded a definition from (the connector registry calls it; a plugin has no
 * reason to). The last record wins, so a package cannot pre-claim another source.
 * @example recordConnectorSource(acme, { kind: 'package', package: '@acme/audiencekit-acme', version: '1.2.0' })
 */
export function recordConnectorSource(definition: AnyConnectorDefinition, source: ConnectorSource): void {
  sources.set(definition, Object.freeze({ ...source }));
}

/**
 * The recorded source of a definition; `built-in` when none was recorded.
 * @example connectorSourceOf(webhook) // { kind: 'built-in' }
 */
export function connectorSourceOf(definition: AnyConnectorDefinition): ConnectorSource {
  return sources.get(definition) ?? { kind: 'built-in' };
}

/**
 * A source as one line for people: `built in`, or `@acme/audiencekit-acme@1.2.0`.
 * @example describeConnectorSource({ kind: 'built-in' }) // 'built in'
 */
export function describeConnectorSource(source: ConnectorSource): string {
  return source.kind === 'package' ? `${source.package}@${source.version}` : 'built in';
}
