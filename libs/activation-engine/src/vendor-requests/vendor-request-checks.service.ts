import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { AnyConnectorDefinition } from '@audiencekit/connector-sdk';
import { APP_CONFIG } from '@audiencekit/server-core';
import { errorMessage } from '@audiencekit/util';
import { ConnectorRuntime, connectorContext, connectorRuntime, ConnectorRuntimeConfig } from '../connector-runtime';
import { CONNECTORS } from '../connectors.token';
import * as runs from '../data/sync-run.repository';
import { DEFAULT_SYNC_ENGINE_OPTIONS, SYNC_ENGINE_OPTIONS, SyncEngineOptions } from '../sync-engine.options';
import { openDestination } from '../sync-setup';
import { ProcessedCheck, readRequestChecks } from './vendor-request-checks';
import { claimDueRequests, DueVendorRequest, rescheduleRequest, settleRequest, unholdDroppedMembers } from './vendor-requests.repository';

/** The part of the server config the checks read (validated in libs/server-core's config schema). */
export interface VendorRequestConfig extends ConnectorRuntimeConfig {
  AK_VENDOR_REQUEST_FIRST_CHECK_MINUTES?: number;
  AK_VENDOR_REQUEST_MAX_CHECKS?: number;
}

/** Most requests one pass claims; the rest wait for the next pass. */
const PASS_LIMIT = 200;
/** A claimed request is checked again after this long if the pass that claimed it dies. */
const LEASE_MS = 10 * 60_000;
/** Longest wait between two checks of one request. */
const MAX_CHECK_INTERVAL_MS = 6 * 3_600_000;

/** When the first check of a new pending request is due, from the config (default 30 minutes). */
export const firstCheckDelayMs = (config: VendorRequestConfig): number => (config.AK_VENDOR_REQUEST_FIRST_CHECK_MINUTES ?? 30) * 60_000;

/** The wait after the `attempts`-th check still left the request pending: the first delay, doubled each time, at most 6 hours. */
export const checkBackoffMs = (config: VendorRequestConfig, attempts: number): number =>
  Math.min(MAX_CHECK_INTERVAL_MS, firstCheckDelayMs(config) * 2 ** Math.max(0, attempts - 1));

export interface VendorRequestPassResult {
  /** Requests asked about in this pass. */
  checked: number;
  /** Requests the vendor had processed. */
  processed: number;
  /** Members turned into rejections. */
  rejected: number;
  /** Requests asked again later (still processing, or the check failed). */
  rescheduled: number;
  /** Requests out of checks. */
  givenUp: number;
}

/**
 * Checks the requests vendors accepted but had not processed when the sync call answered (issue
 * #22; Google Data Manager drops members for consent or format after an ingest): each due request
 * is asked about through its connector's `checkRequests`, with the destination's settings and secrets
 * opened here, the guarded client and the redacting logger of `connectorRuntime` (secrets never
 * logged). Members the vendor dropped stop being held (`activation_members` → `rejected`, so the next
 * run offers them again) and become rejections of the run that sent them, with the vendor's reason;
 * the run's counts follow. A request still processing is asked again with doubling waits; after
 * AK_VENDOR_REQUEST_MAX_CHECKS it is given up with a warning on the run. Called by the worker's
 * periodic pass; several workers share the work (claims skip rows another pass holds).
 */
@Injectable()
export class VendorRequestChecks {
  private readonly logger = new Logger(VendorRequestChecks.name);
  private readonly options: SyncEngineOptions;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(CONNECTORS) private readonly connectors: readonly AnyConnectorDefinition[],
    @Inject(APP_CONFIG) private readonly config: VendorRequestConfig,
    @Optional() @Inject(SYNC_ENGINE_OPTIONS) options?: SyncEngineOptions,
  ) {
    this.options = options ?? DEFAULT_SYNC_ENGINE_OPTIONS;
  }

  /** One pass over the requests due at `now` (the clock is a parameter so tests can move it). */
  async runPass(now: Date = new Date()): Promise<VendorRequestPassResult> {
    const result: VendorRequestPassResult = { checked: 0, processed: 0, rejected: 0, rescheduled: 0, givenUp: 0 };
    const due = await claimDueRequests(this.dataSource.manager, now, LEASE_MS, PASS_LIMIT);
    const byDestination = new Map<string, DueVendorRequest[]>();
    for (const request of due) byDestination.set(request.destinationId, [...(byDestination.get(request.destinationId) ?? []), request]);
    for (const [destinationId, requests] of byDestination) await this.checkDestination(destinationId, requests, now, result);
    return result;
  }

  private async checkDestination(
    destinationId: string,
    requests: DueVendorRequest[],
    now: Date,
    result: VendorRequestPassResult,
  ): Promise<void> {
    result.checked += requests.length;
    let runtime: ConnectorRuntime | undefined;
    let answers = new Map<string, ProcessedCheck>();
    let failure: string | undefined;
    try {
      const opened = await openDestination(this.dataSource.manager, destinationId, this.connectors, this.config);
      const check = opened.connector.checkRequests?.bind(opened.connector);
      if (!check) throw new Error(`connector "${opened.connector.slug}" cannot check requests (no checkRequests)`);
      runtime = connectorRuntime(opened.connector, destinationId, opened.secretsPlain, this.config);
      const asked = requests.map((request) => ({ requestId: request.requestId, profileIds: request.profileIds }));
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), this.options.callTimeoutMs);
      try {
        const ctx = connectorContext(runtime, {
          settings: opened.settings,
          secrets: opened.secrets,
          idempotencyKey: `check:${requests[0].id}`,
          signal: controller.signal,
        });
        answers = readRequestChecks(await check(ctx, asked), asked);
      } finally {
        clearTimeout(timer);
      }
    } catch (error) {
      failure = (runtime?.redact ?? ((text: string) => text))(errorMessage(error)).slice(0, 500);
      this.logger.warn({ destinationId, requests: requests.length, error: failure }, 'vendor request check failed; asked again later');
    }
    const redact = runtime?.redact ?? ((text: string) => text);
    for (const request of requests) {
      const answer = answers.get(request.requestId);
      if (answer) {
        result.processed += 1;
        result.rejected += await this.settleProcessed(request, answer, redact);
      } else if (request.attempts >= (this.config.AK_VENDOR_REQUEST_MAX_CHECKS ?? 8)) {
        result.givenUp += 1;
        await this.giveUp(request, failure);
      } else {
        result.rescheduled += 1;
        await rescheduleRequest(
          this.dataSource.manager,
          request.id,
          new Date(now.getTime() + checkBackoffMs(this.config, request.attempts)),
          failure ?? null,
        );
      }
    }
  }

  /** The vendor's answer, in one transaction: dropped members no longer held, their rejections, the run's counts, a warning for drops it did not attribute. */
  private async settleProcessed(request: DueVendorRequest, answer: ProcessedCheck, redact: (text: string) => string): Promise<number> {
    return this.dataSource.transaction(async (tx) => {
      const reasons = new Map(answer.rejected.map((rejection) => [rejection.profileId, rejection]));
      const dropped = await unholdDroppedMembers(tx, request.activationId, request.syncRunId, [...reasons.keys()]);
      await runs.recordRejections(
        tx,
        request.syncRunId,
        dropped.map((profileId) => ({
          profileId,
          kind: 'rejected',
          reason: redact(reasons.get(profileId)?.reason ?? 'dropped by the vendor after it accepted the member'),
          code: reasons.get(profileId)?.code ?? null,
        })),
      );
      // They were counted delivered (`added`) when the vendor accepted them.
      await runs.addCounts(tx, request.syncRunId, {
        added: -dropped.length,
        rejected: dropped.length,
        droppedByVendor: dropped.length,
        pendingVendorRequests: -1,
      });
      if (answer.unattributed)
        await runs.appendErrors(tx, request.syncRunId, [
          {
            kind: 'warning',
            code: 'vendor_dropped_unattributed',
            requestId: request.requestId,
            members: request.profileIds.length,
            dropped: answer.unattributed.count,
            reason: redact(answer.unattributed.reason),
            at: new Date().toISOString(),
          },
        ]);
      await settleRequest(tx, request.id, 'processed', null);
      return dropped.length;
    });
  }

  /** Out of checks: the members stay delivered, and the run says so. */
  private async giveUp(request: DueVendorRequest, failure: string | undefined): Promise<void> {
    await this.dataSource.transaction(async (tx) => {
      await settleRequest(tx, request.id, 'given_up', failure ?? 'still processing');
      await runs.addCounts(tx, request.syncRunId, { pendingVendorRequests: -1, vendorRequestsUnconfirmed: 1 });
      await runs.appendErrors(tx, request.syncRunId, [
        {
          kind: 'warning',
          code: 'vendor_request_unconfirmed',
          requestId: request.requestId,
          members: request.profileIds.length,
          checks: request.attempts,
          reason: `the vendor had not confirmed the request after ${request.attempts} checks (${failure ?? 'still processing'}); its members stay counted as delivered`,
          at: new Date().toISOString(),
        },
      ]);
    });
  }
}
