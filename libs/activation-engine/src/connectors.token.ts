import type { AnyConnectorDefinition } from '@audiencekit/connector-sdk';

/**
 * DI token: the connector definitions this process can sync to (an `AnyConnectorDefinition[]`).
 * The app that imports the engine provides it, from the connector registry (and, in tests, from
 * in-process fake connectors): `ActivationModule.forRoot({ connectors })` does it for you.
 */
export const CONNECTORS = Symbol('CONNECTORS');

export type ConnectorList = readonly AnyConnectorDefinition[];
