import { loadConnectors } from '@audiencekit/connector-registry';
import type { AnyConnectorDefinition } from '@audiencekit/connector-sdk';

let loaded: AnyConnectorDefinition[] | undefined;

/**
 * The connectors this API knows: the connector registry's enabled list (`AK_CONNECTORS`), loaded
 * once per process. A broken definition stops the API at start-up with the registry's error.
 * Tests override the CONNECTORS token with their own definitions.
 */
export function registeredConnectors(): AnyConnectorDefinition[] {
  loaded ??= loadConnectors();
  return loaded;
}
