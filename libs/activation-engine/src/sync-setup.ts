import type { EntityManager } from 'typeorm';
import { AnyConnectorDefinition, ConnectorLimits, ConnectorQuota } from '@audiencekit/connector-sdk';
import { createArmResolver, ExperimentationException, HoldoutSplit, ResolvedArm } from '@audiencekit/experimentation';
import { ActivationEntity, DestinationEntity, SyncRunEntity } from '@audiencekit/persistence';
import { ConnectorRuntime, ConnectorRuntimeConfig, connectorRuntime, openSecrets } from './connector-runtime';
import { globalHoldout } from './data/sync-run.repository';
import { ON_CHANGE_TRIGGER, runProfiles } from './on-change/on-change.repository';
import type { DiffPhase, DiffScope } from './pipeline/candidates.repository';
import { computedKeysOfActivation } from './pipeline/computed-values.repository';
import { requiredConsentCategories } from './pipeline/consent.repository';
import { excludingSegments } from './pipeline/exclusions.repository';
import { capsApply } from './frequency/frequency-cap.repository';
import type { EligibilityRules } from './pipeline/eligibility';
import { SyncException } from './sync.exception';
import type { MassSendConfig } from './guard/mass-send-guard';

/** The part of the server config a sync reads. */
export interface SyncConfig extends MassSendConfig, ConnectorRuntimeConfig {
  /** When a request a vendor left pending is first checked (vendor-requests/). */
  AK_VENDOR_REQUEST_FIRST_CHECK_MINUTES?: number;
}

export type BatchAction = 'add' | 'remove' | 'send' | 'replace';

/** Everything a run needs, loaded and checked once per execution. */
export interface SyncSetup {
  run: SyncRunEntity;
  activation: ActivationEntity;
  destination: DestinationEntity;
  connector: AnyConnectorDefinition;
  /** This destination's limits: `connector.limitsFor(settings)` where the connector has it, else `connector.limits`. */
  limits: ConnectorLimits;
  /** A quota this destination shares with others of its connector (`connector.quota(settings)`), if any. */
  quota?: ConnectorQuota;
  settings: unknown;
  secrets: unknown;
  /** Base URL, guarded `http`, redacting logger and `redact` of this destination (connector-runtime.ts). */
  runtime: ConnectorRuntime;
  armOf: (profileId: string) => ResolvedArm;
  rules: EligibilityRules;
  scope: DiffScope;
  phases: DiffPhase[];
  /** What the adds phase does: add to a list, or send a message. */
  addAction: 'add' | 'send';
  /** A full resync (`requestSync(..., { fullResync: true })`): one `replace` phase through `connector.replace`. */
  fullResync: boolean;
  /** Notes for the run record (e.g. removes skipped because the connector cannot remove). */
  notes: string[];
  /** Computed and SQL trait keys members carry (`member.computed`); empty: none are read (issue #20). */
  computedKeys: string[];
  /**
   * Send mode only: a frequency cap counts this channel's messages (issue #23), so every send is
   * reserved under the caps, with the profiles locked, right before its call (`frequency/`).
   */
  frequencyCapped: boolean;
}

const DELETED_STATUSES = new Set(['deleted', 'archived']);

export async function loadSyncSetup(
  manager: EntityManager,
  run: SyncRunEntity,
  connectors: readonly AnyConnectorDefinition[],
  config: SyncConfig,
): Promise<SyncSetup> {
  const activation = await manager.getRepository(ActivationEntity).findOneBy({ id: run.activationId });
  if (!activation || DELETED_STATUSES.has(activation.status)) throw new SyncException('activation_deleted', 'the activation was deleted');
  const { destination, connector, settings, limits, secretsPlain, secrets, quota } = await openDestination(
    manager,
    activation.destinationId,
    connectors,
    config,
  );
  const notes: string[] = [];
  const fullResync = run.plan?.['fullResync'] === true;
  const { phases, addAction } = fullResync ? replacePhases(activation.mode, connector) : phasesOf(activation.mode, connector, notes);
  const armOf = armResolver(await globalHoldout(manager), {
    salt: activation.holdoutSalt,
    share: activation.holdoutShare,
    hashVersion: activation.holdoutHashVersion,
  });
  const consentCategories = await requiredConsentCategories(manager, destination.id);
  const exclusions = await excludingSegments(manager, activation.id);
  const deliveryKeyOf =
    addAction === 'send'
      ? (profileId: string) => `${activation.id}:${profileId}` // one message per member and activation, ever
      : (profileId: string) => `${activation.id}:${profileId}:${run.id}`;
  return {
    run,
    activation,
    destination,
    connector,
    limits,
    ...(quota ? { quota } : {}),
    settings,
    secrets,
    runtime: connectorRuntime(connector, destination.id, secretsPlain, config),
    armOf,
    rules: {
      armOf,
      channel: connector.channel,
      requiredIdentifiers: connector.requiredIdentifiers,
      consentCategories,
      deliveryKeyOf,
      exclusionReasons: Object.fromEntries(exclusions.map((exclusion) => [exclusion.segmentId, exclusion.reason])),
      outrankingSegments: new Set(exclusions.filter((exclusion) => exclusion.outranked).map((exclusion) => exclusion.segmentId)),
    },
    scope: {
      activationId: activation.id,
      segmentId: activation.segmentId,
      runId: run.id,
      // A replace sends every eligible member again: nothing counts as done but this run's own work.
      doneStates: fullResync ? [] : addAction === 'send' ? ['sent'] : ['present'],
      channels: connector.channel === 'webhook' ? ['all'] : ['all', connector.channel],
      channel: connector.channel,
      consentCategories,
      redeliverAfterDays: addAction === 'add' && !fullResync ? (limits.refreshMembershipAfterDays ?? null) : null,
      // An on-change run diffs only the profiles whose membership changed; every other run, the segment.
      profileIds: run.trigger === ON_CHANGE_TRIGGER ? await runProfiles(manager, run.id) : null,
      excludeSegmentIds: exclusions.map((exclusion) => exclusion.segmentId),
    },
    phases,
    addAction,
    fullResync,
    notes,
    computedKeys: computedKeysOfActivation(connector, settings, activation.message),
    frequencyCapped: addAction === 'send' && (await capsApply(manager, connector.channel)),
  };
}

/** A live destination opened for calls: its connector, parsed settings and secrets, limits and quota. */
export interface OpenedDestination {
  destination: DestinationEntity;
  connector: AnyConnectorDefinition;
  settings: unknown;
  limits: ConnectorLimits;
  /** The decrypted secrets as stored (for the runtime's redaction), and as the connector parsed them. */
  secretsPlain: unknown;
  secrets: unknown;
  quota?: ConnectorQuota;
}

/**
 * Loads a destination and checks what a call to it needs (shared by sync runs and journey steps):
 * not deleted, its connector installed here, settings and secrets matching the connector's schemas
 * (secrets are never echoed: a mismatch names the fields only), its limits and shared quota.
 */
export async function openDestination(
  manager: EntityManager,
  destinationId: string,
  connectors: readonly AnyConnectorDefinition[],
  config: ConnectorRuntimeConfig,
): Promise<OpenedDestination> {
  const destination = await manager.getRepository(DestinationEntity).findOneBy({ id: destinationId });
  if (!destination || destination.deletedAt) throw new SyncException('destination_deleted', 'the destination was deleted');
  const connector = connectors.find((candidate) => candidate.slug === destination.connector);
  if (!connector) throw new SyncException('unknown_connector', `no connector "${destination.connector}" is installed in this worker`);
  const settings = parseWith(connector.settings, destination.settings ?? {}, 'bad_settings', 'settings');
  const limits = limitsOf(connector, settings);
  const secretsPlain = openSecrets(destination, config.AK_SECRETS_KEYS);
  const secrets = parseWith(connector.secrets, secretsPlain, 'bad_secrets', 'secrets');
  const quota = quotaOf(connector, settings, secrets);
  return { destination, connector, settings, limits, secretsPlain, secrets, ...(quota ? { quota } : {}) };
}

/** Mirror adds and removes; add-only adds; send sends one message per new member. */
function phasesOf(mode: string, connector: AnyConnectorDefinition, notes: string[]): { phases: DiffPhase[]; addAction: 'add' | 'send' } {
  if (mode === 'send') {
    if (!connector.send) throw new SyncException('unsupported_mode', `connector "${connector.slug}" cannot send messages (mode "send")`);
    return { phases: ['adds'], addAction: 'send' };
  }
  if (mode !== 'mirror' && mode !== 'add_only') throw new SyncException('unsupported_mode', `unknown activation mode "${mode}"`);
  if (!connector.upsert)
    throw new SyncException(
      'unsupported_mode',
      `connector "${connector.slug}" keeps no list (mode "${mode}" needs upsert); use mode "send"`,
    );
  if (mode === 'add_only') return { phases: ['adds'], addAction: 'add' };
  if (!connector.remove) {
    notes.push(`connector "${connector.slug}" cannot remove members: removes were skipped`);
    return { phases: ['adds'], addAction: 'add' };
  }
  return { phases: ['adds', 'removes'], addAction: 'add' };
}

/** Settings-dependent limits (e.g. an SMS sender's throughput), checked like the static ones. */
export function limitsOf(connector: AnyConnectorDefinition, settings: unknown): ConnectorLimits {
  let limits: ConnectorLimits;
  try {
    limits = connector.limitsFor?.(settings) ?? connector.limits;
  } catch (error) {
    throw new SyncException(
      'bad_settings',
      `the connector's limits for these settings failed: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (!limits || !Number.isInteger(limits.maxBatchSize) || limits.maxBatchSize < 1) {
    throw new SyncException(
      'bad_settings',
      `the connector's limits for these settings have no valid maxBatchSize (got ${limits?.maxBatchSize})`,
    );
  }
  return limits;
}

/** A shared quota the connector declares for these settings, checked like the limits. */
export function quotaOf(connector: AnyConnectorDefinition, settings: unknown, secrets: unknown): ConnectorQuota | undefined {
  let quota: ConnectorQuota | undefined;
  try {
    quota = connector.quota?.(settings, secrets);
  } catch (error) {
    throw new SyncException(
      'bad_settings',
      `the connector's quota for these settings failed: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (quota === undefined) return undefined;
  if (typeof quota.key !== 'string' || quota.key === '' || !(quota.maxRequestsPerSecond > 0))
    throw new SyncException('bad_settings', `the connector's quota for these settings needs a key and maxRequestsPerSecond > 0`);
  return quota;
}

/** A full resync replaces a mirrored list, through a connector that can replace. */
function replacePhases(mode: string, connector: AnyConnectorDefinition): { phases: DiffPhase[]; addAction: 'add' } {
  if (mode !== 'mirror')
    throw new SyncException('unsupported_mode', `a full resync replaces a mirrored list; this activation's mode is "${mode}"`);
  if (!connector.replace)
    throw new SyncException(
      'unsupported_mode',
      `connector "${connector.slug}" cannot replace an audience (no replace): a full resync is not possible`,
    );
  return { phases: ['replace'], addAction: 'add' };
}

/** Arms by the stored salts and hash versions; a version this engine does not implement fails the run. */
function armResolver(global: HoldoutSplit | null, activation: HoldoutSplit): (profileId: string) => ResolvedArm {
  try {
    return createArmResolver({ globalHoldout: global, activation });
  } catch (error) {
    if (error instanceof ExperimentationException && error.code === 'unknown_hash_version')
      throw new SyncException('unknown_hash_version', error.message);
    throw error;
  }
}

function parseWith(
  schema: AnyConnectorDefinition['settings'],
  value: unknown,
  code: 'bad_settings' | 'bad_secrets',
  what: string,
): unknown {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  // Never echo secret values: name the fields only.
  const fields = parsed.error.issues.map((issue) => issue.path.join('.') || '(root)').join(', ');
  throw new SyncException(code, `the destination ${what} do not match the connector's schema (${fields})`);
}
