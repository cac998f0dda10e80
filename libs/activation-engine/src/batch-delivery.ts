import { ExponentialBackoff } from 'cockatiel';
import type { DataSource, EntityManager } from 'typeorm';
import { RetryableError } from '@audiencekit/connector-sdk';
import type { ConnectorContext, EligibleMember, MessageTemplate, VendorCounts } from '@audiencekit/connector-sdk';
import type { Metrics } from '@audiencekit/server-core';
import { connectorContext } from './connector-runtime';
import { cancelRequested } from './data/run-control.repository';
import * as runs from './data/sync-run.repository';
import { redactMemberIdentifiers } from './data/vendor-text';
import { callWithPolicy, CallResult, delay } from './delivery/call-policy';
import { readOutcomes, ReadOutcomes } from './delivery/outcomes';
import { readHeldIdentifiers, readProfiles } from './pipeline/candidates.repository';
import { withComputedValues } from './pipeline/computed-values.repository';
import { recordBatchVendorCounts } from './reconciliation/match.repository';
import { insertPendingRequests } from './vendor-requests/vendor-requests.repository';
import { LedgerSend, releaseSends, reserveSends } from './frequency/frequency-cap.repository';
import { Classified, classifyAdd, classifyRemove, deliveredIdentifiers } from './pipeline/eligibility';
import { assertNoHeldOutMember } from './pipeline/holdout-recheck';
import type { SyncEngineOptions } from './sync-engine.options';
import type { Batch, Execution } from './sync-execution';
import type { BatchAction, SyncSetup } from './sync-setup';
import { SyncException } from './sync.exception';

const STATE_OF_DELIVERED: Record<BatchAction, string> = { add: 'present', send: 'sent', remove: 'removed', replace: 'present' };
const DELIVERED_COUNT: Record<BatchAction, string> = { add: 'added', send: 'sent', remove: 'removed', replace: 'replaced' };

/**
 * Lanes of batches: each batch is recorded (`sync_batches`, members and idempotency key) BEFORE
 * the plugin call, called through the destination's gate with the holdout re-checked, and its
 * members' state written when the call answers; retryable members go again as a smaller batch.
 * A resumed run first replays its unacknowledged (`in_flight`) batches with the same members and key.
 */
export class BatchDelivery {
  constructor(
    private readonly dataSource: DataSource,
    private readonly options: SyncEngineOptions,
    private readonly metrics?: Metrics,
    /** When a request the vendor left pending is first checked (AK_VENDOR_REQUEST_FIRST_CHECK_MINUTES). */
    private readonly firstVendorCheckMs = 30 * 60_000,
  ) {}

  /** Delivers members in batches of the connector's size; the destination's gate paces the calls. */
  async deliverAll(execution: Execution, action: BatchAction, members: EligibleMember[], lastPage = false): Promise<void> {
    // Frequency caps: the page's sends are reserved before its first call, here and not per batch,
    // so the lanes below still call in batch order (a round trip between a lane's claim and its
    // call would let a later batch go first).
    if (action === 'send') members = await this.withinCaps(execution, members);
    const size = Math.max(1, execution.setup.limits.maxBatchSize);
    const batches: EligibleMember[][] = [];
    for (let start = 0; start < members.length; start += size) batches.push(members.slice(start, start + size));
    // One more batch in progress than the vendor takes calls at once: while one batch's answer is
    // being written, the next call goes out; more would only queue for database connections.
    const lanes = Math.min(batches.length, Math.max(1, execution.setup.limits.maxConcurrency ?? 1) + 1);
    let next = 0;
    const settled = await Promise.allSettled(
      Array.from({ length: lanes }, async () => {
        while (next < batches.length && !execution.aborted) {
          // A cancel stops the run here, between batches: those already called finish and are recorded.
          if (await cancelRequested(this.dataSource.manager, execution.setup.run.id)) {
            execution.aborted ??= new SyncException('cancelled', 'the run was cancelled');
            break;
          }
          // Claimed after the check, so the first lane back takes the next batch (calls go out in
          // batch order); the lanes share `next`, so another lane may have taken the last one
          // during this lane's round trip.
          const index = next++;
          if (index >= batches.length) break;
          await this.deliverNew(execution, action, batches[index], 1, lastPage && index === batches.length - 1);
        }
      }),
    );
    const failure = settled.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    // A run that stops (cancel, credentials, circuit open) gives back the reservations of the
    // batches it never called; those it called keep theirs (the vendor may have taken them).
    if (action === 'send' && (execution.aborted || failure) && next < batches.length)
      await releaseSends(this.dataSource.manager, ledgerSends(batches.slice(next).flat()));
    if (execution.aborted) throw execution.aborted;
    if (failure) throw failure.reason;
  }

  /** Batches a crashed execution sent without recording the answer: same members, same idempotency key. */
  async replayInFlight(execution: Execution): Promise<void> {
    const { setup } = execution;
    const manager = this.dataSource.manager;
    for (const row of await runs.inFlightBatches(manager, setup.run.id)) {
      const action = row.action as BatchAction;
      const candidates =
        action === 'remove'
          ? await readHeldIdentifiers(manager, setup.activation.id, row.profile_ids)
          : await withComputedValues(manager, await readProfiles(manager, setup.scope, row.profile_ids), setup.computedKeys);
      const classified = candidates.map((candidate) =>
        action === 'remove' ? classifyRemove(candidate, setup.rules) : classifyAdd(candidate, setup.rules),
      );
      const members = eligibleMembers(classified);
      if (members.length === 0) {
        await runs.dropInFlightBatch(manager, setup.run.id, row.seq);
        continue;
      }
      await runs.addCounts(manager, setup.run.id, { replayedBatches: 1 });
      await this.callAndAck(
        execution,
        {
          seq: row.seq,
          key: row.idempotency_key,
          action,
          members,
          recorded: true,
          last: row.idempotency_key.endsWith(':last'),
          total: execution.replaceTotal,
        },
        1,
      );
      if (execution.aborted) throw execution.aborted;
    }
  }

  private async deliverNew(
    execution: Execution,
    action: BatchAction,
    members: EligibleMember[],
    memberAttempt: number,
    last = false,
  ): Promise<void> {
    if (members.length === 0) return;
    const seq = execution.nextSeq++;
    await this.callAndAck(
      execution,
      {
        seq,
        key: `${execution.setup.run.id}:${seq}${last ? ':last' : ''}`,
        action,
        members,
        recorded: false,
        last,
        total: execution.replaceTotal,
      },
      memberAttempt,
    );
  }

  /**
   * Frequency caps (issue #23), right before a page's send calls: every member's send is reserved
   * in the ledger, atomically with the profiles locked (`reserveSends`); members a cap refuses are
   * left out of the page's batches and counted `capped` (no member state is written: a later run
   * considers them again). Without a cap on the channel the sends are only written to the ledger.
   * Retries and replays of a send keep its reservation (same delivery key) and are not re-reserved.
   */
  private async withinCaps(execution: Execution, members: EligibleMember[]): Promise<EligibleMember[]> {
    const { setup } = execution;
    const capped = await reserveSends(this.dataSource, {
      channel: setup.connector.channel,
      activationId: setup.activation.id,
      runId: setup.run.id,
      sends: ledgerSends(members),
      locked: setup.frequencyCapped,
    });
    if (capped.length === 0) return members;
    await runs.addCounts(this.dataSource.manager, setup.run.id, { capped: capped.length });
    const refused = new Set(capped.map((send) => send.profileId));
    return members.filter((member) => !refused.has(member.profileId));
  }

  private async callAndAck(execution: Execution, batch: Batch, memberAttempt: number): Promise<void> {
    const { setup } = execution;
    const result = await this.call(execution, batch);
    if (result.kind === 'failed') return this.failBatch(execution, batch, vendorText(setup, batch.members, result.reason), result.attempts);
    const outcomes = readOutcomes(
      result.value,
      batch.members.map((member) => member.profileId),
    );
    if (!outcomes)
      return this.failBatch(
        execution,
        batch,
        vendorText(setup, batch.members, `malformed plugin result (expected an array of outcomes, got ${typeof result.value})`),
        result.attempts,
      );
    await this.ackBatch(execution, batch, outcomes, result);
    if (outcomes.retry.size === 0) return;
    const retry = batch.members.filter((member) => outcomes.retry.has(member.profileId));
    const reason = [...outcomes.retry.values()][0]?.reason ?? 'retryable';
    if (memberAttempt >= this.options.maxMemberAttempts) {
      return this.failMembers(
        setup.run.id,
        retry,
        vendorText(setup, batch.members, `out of retries after ${memberAttempt} attempt(s): ${reason}`),
        setup,
        batch.action,
      );
    }
    const hinted = Math.max(0, ...[...outcomes.retry.values()].map((value) => value.retryAfterMs ?? 0));
    let backoff = new ExponentialBackoff({ initialDelay: this.options.initialBackoffMs, maxDelay: this.options.maxBackoffMs }).next();
    for (let step = 1; step < memberAttempt; step++) backoff = backoff.next(undefined);
    await delay(Math.min(this.options.maxRetryAfterMs, Math.max(hinted, backoff.duration)));
    await runs.addCounts(this.dataSource.manager, setup.run.id, { retriedMembers: retry.length });
    await this.deliverNew(execution, batch.action, retry, memberAttempt + 1);
  }

  /** One plugin call through the gate, with the holdout re-checked for every member right before it. */
  private call(execution: Execution, batch: Batch): Promise<CallResult> {
    const { setup } = execution;
    return callWithPolicy(execution.gate, this.options, async (signal) => {
      if (execution.aborted) throw execution.aborted;
      assertNoHeldOutMember(batch.members, setup.armOf);
      if (!batch.recorded) {
        // Inside the call's rate-limit slot, right before the plugin is called.
        await runs.recordBatch(this.dataSource.manager, setup.run.id, {
          seq: batch.seq,
          action: batch.action,
          profileIds: batch.members.map((member) => member.profileId),
          key: batch.key,
        });
        batch.recorded = true;
      }
      const ctx = connectorContext(setup.runtime, {
        settings: setup.settings,
        secrets: setup.secrets,
        audienceId: setup.activation.externalAudienceId,
        idempotencyKey: batch.key,
        signal,
        // The last report of the call that answered wins (a retried call reports afresh).
        reportVendorCounts: (counts) => {
          batch.vendorCounts = vendorCountsOf(counts);
        },
        reportPendingRequest: (request) => {
          batch.pendingRequests = [...(batch.pendingRequests ?? []), request];
        },
      });
      batch.vendorCounts = undefined;
      batch.pendingRequests = undefined;
      return this.observed(setup, () => invoke(setup, ctx, batch));
    }).catch((error: unknown) => {
      if (!(error instanceof SyncException)) throw error;
      // Its message becomes the run's error entry: the vendor's words, without this batch's identifiers.
      const exception = new SyncException(error.code, redactMemberIdentifiers(error.message, identifierValues(batch.members)));
      execution.aborted ??= exception;
      throw exception;
    });
  }

  /** Counts a retryable vendor error (and 429s on their own) before the call policy decides about it. */
  private async observed<T>(setup: SyncSetup, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof RetryableError) {
        const code = error.vendorCode ?? 'retryable';
        this.metrics?.recordVendorRetryable(metricLabels(setup), code, /\b429\b/.test(code) || error.hints.slowDown === true);
      }
      throw error;
    }
  }

  /** Writes what the vendor answered, in one transaction, before the run moves on. */
  private async ackBatch(execution: Execution, batch: Batch, outcomes: ReadOutcomes, result: CallResult): Promise<void> {
    const { setup } = execution;
    const runId = setup.run.id;
    const activationId = setup.activation.id;
    const delivered = batch.members.filter((member) => outcomes.delivered.has(member.profileId));
    const rejected = batch.members.filter((member) => outcomes.rejected.has(member.profileId));
    await this.dataSource.transaction(async (tx) => {
      // Delivered adds the destination already held are membership refreshes (`refreshed`, not `added`).
      const refreshed =
        batch.action === 'add' && setup.scope.redeliverAfterDays !== null
          ? await runs.countHeld(tx, activationId, profileIds(delivered))
          : 0;
      await setMemberState(tx, setup, delivered, STATE_OF_DELIVERED[batch.action]);
      // A message the vendor refused is no message: its reservation counts against no cap.
      if (batch.action === 'send') await releaseSends(tx, ledgerSends(rejected));
      if (batch.action !== 'remove') {
        await setMemberState(tx, setup, rejected, 'rejected');
        await runs.recordTreatmentExposures(tx, activationId, runId, profileIds(delivered));
      } else {
        const forgotten = new Set(await runs.forgetErasedRejectedRemoves(tx, activationId, runId, profileIds(rejected)));
        await runs.touchMembers(
          tx,
          activationId,
          runId,
          profileIds(rejected).filter((profileId) => !forgotten.has(profileId)),
        );
      }
      await runs.recordRejections(
        tx,
        runId,
        rejected.map((member) => {
          const outcome = outcomes.rejected.get(member.profileId);
          return {
            profileId: member.profileId,
            kind: 'rejected',
            reason: vendorText(setup, batch.members, outcome?.reason ?? 'rejected'),
            code: outcome?.code ?? null,
          };
        }),
      );
      await recordSuppressions(tx, setup, rejected, outcomes);
      await runs.ackBatch(tx, runId, batch.seq, result.attempts);
      const vendor = batch.vendorCounts;
      if (vendor) {
        await recordBatchVendorCounts(tx, runId, batch.seq, { received: vendor.received ?? null, invalid: vendor.invalid ?? null });
        await runs.addCounts(tx, runId, {
          ...(vendor.received !== undefined ? { vendorReceived: vendor.received } : {}),
          ...(vendor.invalid !== undefined ? { vendorInvalid: vendor.invalid } : {}),
        });
      }
      const pending = await this.recordPendingRequests(tx, setup, batch, delivered);
      const deliveredCounts: runs.Counts =
        refreshed > 0 ? { added: delivered.length - refreshed, refreshed } : { [DELIVERED_COUNT[batch.action]]: delivered.length };
      await runs.addCounts(tx, runId, {
        ...deliveredCounts,
        rejected: rejected.length,
        requests: result.attempts,
        retried: result.attempts - 1,
        pendingVendorRequests: pending,
      });
      if (outcomes.problems.length) {
        await runs.appendErrors(tx, runId, [
          {
            kind: 'malformed_outcomes',
            seq: batch.seq,
            count: outcomes.problems.length,
            samples: outcomes.problems.slice(0, 5).map((problem) => vendorText(setup, batch.members, problem)),
            at: new Date().toISOString(),
          },
        ]);
      }
    });
    this.metrics?.recordSyncMembers(metricLabels(setup), batch.action, { delivered: delivered.length, rejected: rejected.length });
  }

  /**
   * Requests the vendor left pending (`ctx.reportPendingRequest`), kept with the delivered members
   * they carried for the worker's later check (vendor-requests/). A report naming no delivered
   * member, or no well-formed request id, is ignored.
   */
  private async recordPendingRequests(tx: EntityManager, setup: SyncSetup, batch: Batch, delivered: EligibleMember[]): Promise<number> {
    if (!batch.pendingRequests?.length || batch.action !== 'add') return 0;
    const held = new Set(profileIds(delivered));
    const requests = batch.pendingRequests
      .filter((request) => typeof request?.requestId === 'string' && request.requestId.length > 0 && request.requestId.length <= 500)
      .map((request) => ({
        requestId: request.requestId,
        profileIds: [...new Set(Array.isArray(request.profileIds) ? request.profileIds : [])].filter((id) => held.has(id)),
      }))
      .filter((request) => request.profileIds.length > 0);
    return insertPendingRequests(tx, setup.run.id, setup.destination.id, requests, this.firstVendorCheckMs);
  }

  /** `reason`: already a vendorText (whole here: appendErrors stores 2 KB and the length). */
  private async failBatch(execution: Execution, batch: Batch, reason: string, attempts: number): Promise<void> {
    const runId = execution.setup.run.id;
    await this.dataSource.transaction(async (tx) => {
      await runs.failBatch(tx, runId, batch.seq, attempts, reason);
      await runs.addCounts(tx, runId, { requests: attempts, retried: Math.max(0, attempts - 1) });
      await runs.appendErrors(tx, runId, [
        { kind: 'batch_failed', seq: batch.seq, action: batch.action, members: batch.members.length, reason, at: new Date().toISOString() },
      ]);
    });
    this.metrics?.recordSyncError(metricLabels(execution.setup), 'batch_failed');
    await this.failMembers(runId, batch.members, reason, execution.setup, batch.action);
  }

  /** Members given up on in this run: recorded with the reason, retried by the next run. */
  private async failMembers(
    runId: string,
    members: EligibleMember[],
    reason: string,
    setup: SyncSetup,
    action: BatchAction,
  ): Promise<void> {
    await this.dataSource.transaction(async (tx) => {
      await runs.recordRejections(
        tx,
        runId,
        members.map((member) => ({ profileId: member.profileId, kind: 'failed', reason, code: null })),
      );
      await runs.touchMembers(tx, setup.activation.id, runId, profileIds(members));
      await runs.addCounts(tx, runId, { failed: members.length });
    });
    this.metrics?.recordSyncMembers(metricLabels(setup), action, { failed: members.length });
  }
}

function invoke(setup: SyncSetup, ctx: ConnectorContext<unknown, unknown>, batch: Batch): Promise<unknown> {
  const connector = setup.connector;
  // Which methods exist was checked when the run was set up (sync-setup.ts phasesOf).
  if (batch.action === 'add' && connector.upsert) return connector.upsert(ctx, batch.members);
  if (batch.action === 'remove' && connector.remove) return connector.remove(ctx, batch.members);
  if (batch.action === 'send' && connector.send)
    return connector.send(ctx, { members: batch.members, message: (setup.activation.message ?? {}) as MessageTemplate });
  if (batch.action === 'replace' && connector.replace) {
    return connector.replace(ctx, {
      members: batch.members,
      sequence: batch.seq,
      last: batch.last === true,
      estimatedTotal: batch.total ?? batch.members.length,
      replaceKey: setup.run.id,
    });
  }
  throw new SyncException('unsupported_mode', `connector "${connector.slug}" cannot ${batch.action}`);
}

/** A delivered remove forgets the identifiers: the vendor no longer holds them, and an erased person's must not outlive the removal (issue #16). */
function setMemberState(tx: EntityManager, setup: SyncSetup, members: EligibleMember[], state: string): Promise<void> {
  const rows = members.map((member) => ({
    profileId: member.profileId,
    identifiers: state === 'removed' ? null : JSON.stringify(deliveredIdentifiers(member)),
  }));
  return runs.setMemberState(tx, setup.activation.id, setup.run.id, state, rows);
}

/** `suppress` hints of rejections (e.g. SMS STOP): the identifier is never contacted on this channel again. */
async function recordSuppressions(tx: EntityManager, setup: SyncSetup, rejected: EligibleMember[], outcomes: ReadOutcomes): Promise<void> {
  const channel = setup.connector.channel === 'webhook' ? 'all' : setup.connector.channel;
  for (const member of rejected) {
    const hint = outcomes.rejected.get(member.profileId)?.suppress;
    const value = hint ? member.identifiers[hint.identifier] : undefined;
    if (!hint || !value) continue;
    await runs.recordSuppression(tx, { identifierType: hint.identifier, value, channel, reason: hint.reason });
  }
}

/**
 * A vendor text as it may be stored (rejection reason, batch error, run error entry): without the
 * identifiers of the batch's members (an erased person's remove runs after the erasure, and a
 * vendor that echoes the address would store it again), then through the runtime's redaction.
 */
function vendorText(setup: SyncSetup, members: EligibleMember[], text: string): string {
  return setup.runtime.redact(redactMemberIdentifiers(text, identifierValues(members)));
}

function identifierValues(members: EligibleMember[]): string[] {
  return members.flatMap((member) => Object.values(member.identifiers).filter((value): value is string => typeof value === 'string'));
}

function ledgerSends(members: readonly EligibleMember[]): LedgerSend[] {
  return members.map((member) => ({ profileId: member.profileId, deliveryKey: member.deliveryKey }));
}

function profileIds(members: EligibleMember[]): string[] {
  return members.map((member) => member.profileId);
}

/** Only whole, non-negative numbers of a plugin's report are kept (a plugin's report is not trusted to be well-formed). */
function vendorCountsOf(counts: VendorCounts | undefined): VendorCounts | undefined {
  if (!counts || typeof counts !== 'object') return undefined;
  const whole = (value: unknown): number | undefined =>
    typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 2 ** 31 - 1 ? value : undefined;
  const received = whole(counts.received);
  const invalid = whole(counts.invalid);
  if (received === undefined && invalid === undefined) return undefined;
  return { ...(received !== undefined ? { received } : {}), ...(invalid !== undefined ? { invalid } : {}) };
}

export function eligibleMembers(classified: Classified[]): EligibleMember[] {
  return classified.flatMap((item) => (item.member ? [item.member] : []));
}

export function metricLabels(setup: SyncSetup): { destination: string; connector: string } {
  return { destination: setup.destination.id, connector: setup.connector.slug };
}
