import { Inject, Injectable, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { ConnectorContext, EligibleMember, MessageTemplate } from '@audiencekit/connector-sdk';
import { createArmResolver, HoldoutSplit, ResolvedArm } from '@audiencekit/experimentation';
import { APP_CONFIG } from '@audiencekit/server-core';
import { CONNECTORS } from '../connectors.token';
import { connectorContext, ConnectorRuntime, connectorRuntime } from '../connector-runtime';
import { globalHoldout, recordSuppression } from '../data/sync-run.repository';
import { redactMemberIdentifiers } from '../data/vendor-text';
import { DestinationGate, DestinationGates } from '../delivery/destination-gates';
import { callWithPolicy, delay } from '../delivery/call-policy';
import { readOutcomes } from '../delivery/outcomes';
import { capsApply, releaseSends, reserveSends } from '../frequency/frequency-cap.repository';
import { readProfiles } from '../pipeline/candidates.repository';
import { computedKeysOfActivation, withComputedValues } from '../pipeline/computed-values.repository';
import { requiredConsentCategories } from '../pipeline/consent.repository';
import { Classified, classifyAdd, classifyRemove, EligibilityRules } from '../pipeline/eligibility';
import { assertNoHeldOutMember } from '../pipeline/holdout-recheck';
import { DEFAULT_SYNC_ENGINE_OPTIONS, SYNC_ENGINE_OPTIONS, SyncEngineOptions } from '../sync-engine.options';
import { openDestination, OpenedDestination, SyncConfig } from '../sync-setup';
import { SyncException } from '../sync.exception';
import type { AnyConnectorDefinition } from '@audiencekit/connector-sdk';

/** What a direct delivery does for each profile: a message (`send`), or an audience add / remove. */
export type DirectAction = 'send' | 'add' | 'remove';

/** One profile to deliver to, with its delivery key (the vendor's idempotency per member; e.g. `journey:<entry>:<step>`). */
export interface DirectTarget {
  profileId: string;
  deliveryKey: string;
}

/**
 * Per target: `delivered`; `skipped` by a filter (held out, suppressed, no consent, invalid identifiers;
 * `reason` says which); `capped` by a frequency cap; `rejected` by the vendor; `failed` (the call
 * failed or ran out of retries — the vendor may or may not have it).
 */
export interface DirectOutcome {
  profileId: string;
  deliveryKey: string;
  outcome: 'delivered' | 'skipped' | 'capped' | 'rejected' | 'failed';
  reason?: string;
}

export interface DirectDeliveryRequest {
  destinationId: string;
  action: DirectAction;
  /** `send`: the connector's message template (as an activation's `message`). */
  message?: Record<string, unknown>;
  /**
   * The sender's own holdout (a journey's control split: its salt, share and hash version). Every
   * target's arm — the global holdout first, then this split — is resolved here, again right before
   * each call: a held-out profile is never called, whatever the caller decided before.
   */
  holdout: HoldoutSplit;
  /** `add` / `remove`: the vendor-side audience (get-or-create once, then remembered by the caller). */
  audience?: { name: string; key: string; externalId: string | null; remember: (externalId: string) => Promise<void> };
  targets: DirectTarget[];
}

/**
 * Delivery of one step to a set of profiles outside a sync run (issue #23, journeys), through the
 * same core as a sync: eligibility (`classifyAdd` / `classifyRemove`, the only mint of
 * `EligibleMember`: holdout, suppression and consent, identifiers), frequency caps (`reserveSends`:
 * journey sends count against caps and caps count them), the destination's gate and shared rate
 * limiter (`callWithPolicy`), the holdout re-checked right before each call, the guarded client and
 * redacting logger of `connectorRuntime`. Secrets are opened here and never logged; vendor texts
 * are stored without the members' identifiers and redacted.
 */
@Injectable()
export class DirectDelivery {
  private readonly options: SyncEngineOptions;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(CONNECTORS) private readonly connectors: readonly AnyConnectorDefinition[],
    @Inject(APP_CONFIG) private readonly config: SyncConfig,
    private readonly gates: DestinationGates,
    @Optional() @Inject(SYNC_ENGINE_OPTIONS) options?: SyncEngineOptions,
  ) {
    this.options = options ?? DEFAULT_SYNC_ENGINE_OPTIONS;
  }

  async deliver(request: DirectDeliveryRequest): Promise<DirectOutcome[]> {
    if (request.targets.length === 0) return [];
    const manager = this.dataSource.manager;
    let opened: OpenedDestination;
    try {
      opened = await openDestination(manager, request.destinationId, this.connectors, this.config);
    } catch (error) {
      if (!(error instanceof SyncException)) throw error;
      return request.targets.map((target) => ({ ...target, outcome: 'failed', reason: `${error.code}: ${error.message}` }));
    }
    const { connector } = opened;
    const unsupported = unsupportedAction(connector, request.action);
    if (unsupported) return request.targets.map((target) => ({ ...target, outcome: 'failed', reason: unsupported }));
    const runtime = connectorRuntime(connector, opened.destination.id, opened.secretsPlain, this.config);
    const armOf = createArmResolver({ globalHoldout: await globalHoldout(manager), activation: request.holdout });
    const keyOf = new Map(request.targets.map((target) => [target.profileId, target.deliveryKey]));
    const rules: EligibilityRules = {
      armOf,
      channel: connector.channel,
      requiredIdentifiers: connector.requiredIdentifiers,
      consentCategories: await requiredConsentCategories(manager, opened.destination.id),
      deliveryKeyOf: (profileId) => keyOf.get(profileId) ?? profileId,
    };
    const channels = connector.channel === 'webhook' ? ['all'] : ['all', connector.channel];
    const candidates = await withComputedValues(
      manager,
      await readProfiles(manager, { channels, excludeSegmentIds: [] }, [...keyOf.keys()]),
      request.action === 'send' ? computedKeysOfActivation(connector, opened.settings, request.message) : [],
    );
    const classified = candidates.map((row) => (request.action === 'remove' ? classifyRemove(row, rules) : classifyAdd(row, rules)));
    const outcomes: DirectOutcome[] = classified
      .filter((item) => !item.member)
      .map((item) => ({
        profileId: item.profileId,
        deliveryKey: keyOf.get(item.profileId) ?? '',
        outcome: 'skipped',
        reason: reasonOf(item),
      }));
    let members = classified.flatMap((item) => (item.member ? [item.member] : []));
    if (request.action === 'send') {
      const capped = await reserveSends(this.dataSource, {
        channel: connector.channel,
        activationId: null,
        runId: null,
        sends: members.map((member) => ({ profileId: member.profileId, deliveryKey: member.deliveryKey })),
        locked: await capsApply(manager, connector.channel),
      });
      const refused = new Map(capped.map((send) => [send.profileId, send.reason]));
      for (const member of members.filter((candidate) => refused.has(candidate.profileId)))
        outcomes.push({
          profileId: member.profileId,
          deliveryKey: member.deliveryKey,
          outcome: 'capped',
          reason: refused.get(member.profileId),
        });
      members = members.filter((member) => !refused.has(member.profileId));
    }
    if (members.length === 0) return outcomes;
    const gate = this.gates.get(opened.destination.id, opened.limits, this.options.breakerThreshold, this.options.breakerHalfOpenMs, {
      connectorSlug: connector.slug,
      quota: opened.quota,
    });
    const call: CallSetup = { opened, runtime, gate, armOf, request };
    let audienceId: string | null = null;
    if (request.action !== 'send') {
      audienceId = await this.ensureAudience(call);
      if (!audienceId) return [...outcomes, ...members.map((member) => failed(member, 'could not get or create the vendor audience'))];
    }
    const size = Math.max(1, opened.limits.maxBatchSize);
    for (let start = 0; start < members.length; start += size)
      outcomes.push(...(await this.deliverBatch(call, members.slice(start, start + size), audienceId)));
    return outcomes;
  }

  /** One batch, its retryable members sent again (smaller) up to `maxMemberAttempts`. */
  private async deliverBatch(call: CallSetup, batch: EligibleMember[], audienceId: string | null): Promise<DirectOutcome[]> {
    const outcomes: DirectOutcome[] = [];
    let pending = batch;
    for (let attempt = 1; pending.length > 0; attempt++) {
      const members = pending;
      pending = [];
      // The batch's key: its first member's delivery key and size, the same when a replay sends the same members.
      const idempotencyKey = `${members[0].deliveryKey}:${members.length}`;
      let result;
      try {
        result = await callWithPolicy(call.gate, this.options, async (signal) => {
          assertNoHeldOutMember(members, call.armOf);
          return invoke(
            call,
            connectorContext(call.runtime, {
              settings: call.opened.settings,
              secrets: call.opened.secrets,
              audienceId,
              idempotencyKey,
              signal,
            }),
            members,
          );
        });
      } catch (error) {
        if (!(error instanceof SyncException) || error.code === 'holdout_violation') throw error;
        return [...outcomes, ...members.map((member) => failed(member, vendorText(call, members, `${error.code}: ${error.message}`)))];
      }
      if (result.kind === 'failed')
        return [...outcomes, ...members.map((member) => failed(member, vendorText(call, members, result.reason)))];
      const read = readOutcomes(
        result.value,
        members.map((member) => member.profileId),
      );
      if (!read)
        return [...outcomes, ...members.map((member) => failed(member, 'malformed plugin result (expected an array of outcomes)'))];
      const rejected = members.filter((member) => read.rejected.has(member.profileId));
      await this.dataSource.transaction(async (tx) => {
        // A message the vendor refused is no message: its reservation counts against no cap.
        if (call.request.action === 'send')
          await releaseSends(
            tx,
            rejected.map((member) => ({ profileId: member.profileId, deliveryKey: member.deliveryKey })),
          );
        for (const member of rejected) {
          const hint = read.rejected.get(member.profileId)?.suppress;
          const value = hint ? member.identifiers[hint.identifier] : undefined;
          if (hint && value)
            await recordSuppression(tx, {
              identifierType: hint.identifier,
              value,
              channel: call.opened.connector.channel === 'webhook' ? 'all' : call.opened.connector.channel,
              reason: hint.reason,
            });
        }
      });
      for (const member of members) {
        if (read.delivered.has(member.profileId))
          outcomes.push({ profileId: member.profileId, deliveryKey: member.deliveryKey, outcome: 'delivered' });
        else if (read.rejected.has(member.profileId))
          outcomes.push({
            profileId: member.profileId,
            deliveryKey: member.deliveryKey,
            outcome: 'rejected',
            reason: vendorText(call, members, read.rejected.get(member.profileId)?.reason ?? 'rejected'),
          });
      }
      const retry = members.filter((member) => read.retry.has(member.profileId));
      if (retry.length === 0) break;
      if (attempt >= this.options.maxMemberAttempts) {
        outcomes.push(
          ...retry.map((member) =>
            failed(
              member,
              vendorText(
                call,
                members,
                `out of retries after ${attempt} attempt(s): ${read.retry.get(member.profileId)?.reason ?? 'retryable'}`,
              ),
            ),
          ),
        );
        break;
      }
      const hinted = Math.max(0, ...retry.map((member) => read.retry.get(member.profileId)?.retryAfterMs ?? 0));
      await delay(Math.min(this.options.maxRetryAfterMs, Math.max(hinted, this.options.initialBackoffMs * attempt)));
      pending = retry;
    }
    return outcomes;
  }

  /** Get-or-create the vendor audience of an audience step once (the caller remembers the id). */
  private async ensureAudience(call: CallSetup): Promise<string | null> {
    const audience = call.request.audience;
    if (!audience) return null;
    if (audience.externalId) return audience.externalId;
    const ensure = call.opened.connector.ensureAudience?.bind(call.opened.connector);
    if (!ensure) return null;
    const result = await callWithPolicy(call.gate, this.options, (signal) =>
      ensure(
        connectorContext(call.runtime, {
          settings: call.opened.settings,
          secrets: call.opened.secrets,
          idempotencyKey: `${audience.key}:audience`,
          signal,
        }),
        { name: audience.name, activationId: audience.key },
      ),
    );
    const externalId = result.kind === 'answered' ? (result.value as { externalId?: unknown } | null)?.externalId : undefined;
    if (typeof externalId !== 'string' || externalId.length === 0) return null;
    await audience.remember(externalId);
    return externalId;
  }
}

interface CallSetup {
  opened: OpenedDestination;
  runtime: ConnectorRuntime;
  gate: DestinationGate;
  armOf: (profileId: string) => ResolvedArm;
  request: DirectDeliveryRequest;
}

function invoke(call: CallSetup, ctx: ConnectorContext<unknown, unknown>, members: EligibleMember[]): Promise<unknown> {
  const connector = call.opened.connector;
  if (call.request.action === 'send' && connector.send)
    return connector.send(ctx, { members, message: (call.request.message ?? {}) as MessageTemplate });
  if (call.request.action === 'add' && connector.upsert) return connector.upsert(ctx, members);
  if (call.request.action === 'remove' && connector.remove) return connector.remove(ctx, members);
  throw new SyncException('unsupported_mode', `connector "${connector.slug}" cannot ${call.request.action}`);
}

function unsupportedAction(connector: AnyConnectorDefinition, action: DirectAction): string | undefined {
  if (action === 'send' && !connector.send) return `unsupported_mode: connector "${connector.slug}" cannot send messages`;
  if (action === 'add' && !connector.upsert) return `unsupported_mode: connector "${connector.slug}" keeps no list`;
  if (action === 'remove' && !connector.remove) return `unsupported_mode: connector "${connector.slug}" cannot remove members`;
  return undefined;
}

function reasonOf(item: Classified): string {
  return item.reason ? `${item.verdict}: ${item.reason}` : item.verdict;
}

function failed(member: EligibleMember, reason: string): DirectOutcome {
  return { profileId: member.profileId, deliveryKey: member.deliveryKey, outcome: 'failed', reason };
}

function vendorText(call: CallSetup, members: EligibleMember[], text: string): string {
  const values = members.flatMap((member) =>
    Object.values(member.identifiers).filter((value): value is string => typeof value === 'string'),
  );
  return call.runtime.redact(redactMemberIdentifiers(text, values));
}
