import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { SyncRunEntity } from '@audiencekit/persistence';
import { APP_CONFIG, Metrics } from '@audiencekit/server-core';
import { errorMessage } from '@audiencekit/util';
import { firstCheckDelayMs } from './vendor-requests/vendor-request-checks.service';
import { BatchDelivery, eligibleMembers, metricLabels } from './batch-delivery';
import { connectorContext } from './connector-runtime';
import { applyMembershipRefresh } from './membership-refresh';
import { CONNECTORS, ConnectorList } from './connectors.token';
import { cancelRequested } from './data/run-control.repository';
import * as runs from './data/sync-run.repository';
import { callWithPolicy } from './delivery/call-policy';
import { DestinationGates } from './delivery/destination-gates';
import { AWAITING_CONFIRMATION } from './guard/mass-send-guard';
import { RunGates } from './guard/run-gates';
import type { GateDecision } from './guard/safety-gates';
import type { DiffPhase } from './pipeline/candidates.repository';
import type { Classified } from './pipeline/eligibility';
import { SyncPlanner } from './plan/sync-planner';
import { reconcileMatch } from './reconciliation/match-reconciliation';
import { SyncEngineOptions, SYNC_ENGINE_OPTIONS } from './sync-engine.options';
import { Execution, FINAL_STATUSES, Progress, SyncOutcome } from './sync-execution';
import { loadSyncSetup, SyncConfig, SyncSetup } from './sync-setup';
import { SyncException } from './sync.exception';

/**
 * Executes a sync run (the body of its queue job): the orchestrator. The planner reads the diff in
 * pages (plan/sync-planner.ts), batch delivery calls the plugin (batch-delivery.ts), every query is
 * in data/sync-run.repository.ts. Durable by construction:
 * - a page's stage counts and bounds are stored before any of its batches is sent, and the cursor
 *   moves past it only once all are acknowledged;
 * - each batch is recorded BEFORE the plugin call and its members' state written when it answers;
 * - a resumed run (the job retried after a crash) first replays its unacknowledged batches with the
 *   same members and idempotency key, then re-reads the interrupted page, where members this run
 *   already handled are skipped by the diff itself.
 * So a member is sent twice only if the worker died between the vendor's answer and our write of
 * it, and then under the same idempotency key and delivery key.
 */
@Injectable()
export class SyncRunner {
  private readonly logger = new Logger(SyncRunner.name);
  private readonly planner: SyncPlanner;
  private readonly delivery: BatchDelivery;
  private readonly runGates: RunGates;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(CONNECTORS) private readonly connectors: ConnectorList,
    @Inject(APP_CONFIG) private readonly config: SyncConfig,
    @Inject(SYNC_ENGINE_OPTIONS) private readonly options: SyncEngineOptions,
    private readonly gates: DestinationGates,
    // Optional: the engine also runs without a metrics registry (library tests, the CLI).
    @Optional() private readonly metrics?: Metrics,
  ) {
    this.planner = new SyncPlanner(dataSource, options);
    this.delivery = new BatchDelivery(dataSource, options, metrics, firstCheckDelayMs(config));
    this.runGates = new RunGates(dataSource, config, this.planner);
  }

  async execute(runId: string): Promise<SyncOutcome> {
    const run = await runs.findRun(this.dataSource.manager, runId);
    if (!run || FINAL_STATUSES.has(run.status)) return { status: 'skipped' };
    if (run.dryRun) return this.executeDryRun(run);
    if (run.cancelRequestedAt) return this.finishCancelled(run.id, Date.now());
    if (run.status === AWAITING_CONFIRMATION || (await this.heldByGuard(run))) return { status: 'skipped', reason: AWAITING_CONFIRMATION };
    const destinationId = await runs.destinationIdOf(this.dataSource.manager, run.activationId);
    const lock = destinationId ? await runs.tryLockDestination(this.dataSource, destinationId) : { release: async () => undefined };
    // Busy → the queue retries the job later.
    if (!lock) throw new SyncException('destination_busy', `destination ${destinationId} is being synced by another run`);
    try {
      return await this.executeDelivery(run);
    } finally {
      await lock.release();
    }
  }

  /**
   * The gates for runs nobody checked yet (scheduled, on-change, and non-send API runs; the engine's
   * door checks a send and records its decision in `plan.guard` before queueing): the mass-send
   * guard, the mass-removal gate and the refresh-quality gate (guard/run-gates.ts). A run over one
   * is parked as `awaiting_confirmation` with the reasons in `plan.guard`; confirming it releases it.
   */
  private async heldByGuard(run: SyncRunEntity): Promise<boolean> {
    if (run.status !== 'queued' || run.plan?.['guard']) return false;
    const quality = await this.runGates.qualityOf(run);
    if (!this.runGates.applies(await runs.activationMode(this.dataSource.manager, run.activationId), quality)) return false;
    let decision: GateDecision;
    try {
      const setup = await loadSyncSetup(this.dataSource.manager, run, this.connectors, this.config);
      decision = await this.runGates.decide(run, setup, quality);
    } catch (error) {
      if (error instanceof SyncException) return false; // the delivery records why it cannot run
      throw error;
    }
    await runs.recordGuardDecision(this.dataSource.manager, run.id, decision.hold ? AWAITING_CONFIRMATION : 'queued', { ...decision });
    run.plan = { ...run.plan, guard: decision };
    if (!decision.hold) return false;
    await this.runGates.audit(run.id, decision, { activationId: run.activationId, trigger: run.trigger });
    this.logger.warn({ runId: run.id, gates: decision.gates, reasons: decision.reasons }, 'sync run held for confirmation');
    return true;
  }

  /** Computes the itemised plan of a dry run and stores it; sends nothing, writes no member state. */
  async executeDryRun(run: SyncRunEntity, sampleSize = this.options.sampleSize): Promise<SyncOutcome> {
    const started = Date.now();
    if (run.status !== 'running') await runs.markRunning(this.dataSource.manager, run.id);
    try {
      const setup = await loadSyncSetup(this.dataSource.manager, run, this.connectors, this.config);
      const { counts, plan } = await this.planner.dryRunPlan(setup, sampleSize);
      await this.finish(run.id, 'succeeded', started, { counts, plan: { ...plan, notes: setup.notes } });
      return { status: 'succeeded', counts };
    } catch (error) {
      if (!(error instanceof SyncException)) throw error;
      await this.finish(run.id, 'failed', started, {
        errors: [{ kind: error.code, message: error.message, at: new Date().toISOString() }],
      });
      return { status: 'failed', reason: error.message };
    }
  }

  private async executeDelivery(run: SyncRunEntity): Promise<SyncOutcome> {
    const manager = this.dataSource.manager;
    const started = run.status === 'running' ? new Date(run.startedAt).getTime() : Date.now();
    if (run.status !== 'running') await runs.markRunning(manager, run.id);
    let execution: Execution | undefined;
    try {
      const setup = await loadSyncSetup(manager, run, this.connectors, this.config);
      const gate = this.gates.get(setup.destination.id, setup.limits, this.options.breakerThreshold, this.options.breakerHalfOpenMs, {
        connectorSlug: setup.connector.slug,
        quota: setup.quota,
      });
      execution = {
        setup,
        gate,
        progress: progressOf(run, setup),
        nextSeq: await runs.nextSeq(manager, run.id),
        written: 0,
        analyzeAt: runs.ANALYZE_AFTER_ROWS,
        heldOnlyPages: [],
      };
      if (setup.notes.length)
        await runs.appendErrors(
          manager,
          run.id,
          setup.notes.map((message) => ({ kind: 'note', message })),
        );
      await this.ensureAudience(execution);
      await applyMembershipRefresh(this.dataSource, this.options, execution);
      if (setup.fullResync) execution.replaceTotal = await runs.segmentSize(manager, setup.activation.segmentId);
      await this.delivery.replayInFlight(execution);
      for (const phase of setup.phases) {
        if (phaseDone(execution.progress, phase, setup.phases)) continue;
        await this.deliverPhase(execution, phase);
      }
      if (setup.fullResync) await this.dropReplaced(setup);
      await runs.saveProgress(manager, run.id, { phase: 'done', cursor: null, page: null } satisfies Progress);
      if (execution.written > 0 && execution.analyzeAt !== execution.written * 2) await this.analyzeMemberTables(run.id);
      await this.recordAudienceSize(execution);
      return this.finishDelivery(execution, started);
    } catch (error) {
      if (!(error instanceof SyncException)) throw error;
      if (error.code === 'cancelled') {
        if (execution) await forgetExposuresOfFailedRun(this.dataSource, execution);
        return this.finishCancelled(run.id, started);
      }
      await runs.addCounts(manager, run.id, error.code === 'holdout_violation' ? { holdoutViolations: 1 } : {});
      if (execution) await forgetExposuresOfFailedRun(this.dataSource, execution);
      const message = execution ? execution.setup.runtime.redact(error.message) : error.message;
      if (execution) this.metrics?.recordSyncError(metricLabels(execution.setup), error.code);
      await runs.appendErrors(manager, run.id, [{ kind: error.code, message, at: new Date().toISOString() }]);
      await this.finish(run.id, 'failed', started, {});
      if (error.code === 'holdout_violation')
        this.logger.error({ runId: run.id, message: error.message }, 'HOLDOUT VIOLATION: batch refused');
      return { status: 'failed', reason: message, counts: await runs.countsOf(manager, run.id) };
    }
  }

  /** Pages of one phase: read, classify and record the page, deliver its batches, then move the cursor. */
  private async deliverPhase(execution: Execution, phase: DiffPhase): Promise<void> {
    const { setup } = execution;
    const runId = setup.run.id;
    if (execution.progress.phase !== phase) execution.progress = { phase, cursor: null, page: null };
    let prefetched: Promise<Classified[] | Error> | undefined;
    for (let pageIndex = 0; ; pageIndex++) {
      await this.assertLive(setup);
      let page = execution.progress.page;
      let classified: Classified[];
      if (page) {
        // Resumed mid-page: its counts were tallied before the crash; re-read only what is left of it.
        classified = await this.planner.rereadPage(setup, phase, page);
      } else {
        classified = await unwrap(
          prefetched ?? this.planner.readPage(setup, phase, execution.progress.cursor, this.planner.pageSize(setup, pageIndex)),
        );
        prefetched = undefined;
        if (classified.length === 0) break;
        page = {
          from: execution.progress.cursor,
          to: classified[classified.length - 1].profileId,
          counts: this.planner.tally(phase, classified.length, classified),
        };
        const recorded = { ...execution.progress, page };
        await runs.saveProgress(this.dataSource.manager, runId, recorded);
        execution.progress = recorded;
      }
      // Read the next page while this one is being delivered (pages are disjoint key ranges).
      prefetched = this.planner.readPage(setup, phase, page.to, this.planner.pageSize(setup, pageIndex + 1)).catch((error: Error) => error);
      const members = eligibleMembers(classified);
      // A replace marks its final batch: the one after which no page has an eligible member.
      const last = phase === 'replace' ? await isLastPage(prefetched) : false;
      await this.delivery.deliverAll(
        execution,
        phase === 'replace' ? 'replace' : phase === 'adds' ? setup.addAction : 'remove',
        members,
        last,
      );
      const done: Progress = { phase, cursor: page.to, page: null };
      const range = { from: page.from, to: page.to };
      const pageCounts = page.counts;
      await this.dataSource.transaction(async (tx) => {
        // Held-out members are exposed with the page's treated members, once their delivery is answered.
        if (phase !== 'removes')
          await runs.recordHeldOutExposures(tx, setup.activation.id, runId, range, heldOutMembers(classified), members.length);
        if (phase !== 'removes' && members.length === 0) noteHeldOnlyPage(execution, range);
        await runs.addCounts(tx, runId, pageCounts);
        await runs.saveProgress(tx, runId, done);
      });
      execution.progress = done;
      execution.written += members.length;
      if (execution.written >= execution.analyzeAt) {
        // A run that fills activation_members makes Postgres' row estimate stale as it goes.
        await runs.analyzeMembers(this.dataSource.manager);
        execution.analyzeAt = execution.written * 2;
      }
    }
    if (prefetched) await prefetched;
  }

  /** Get-or-create of the vendor-side list, once per activation; its id is kept on the activation. */
  private async ensureAudience(execution: Execution): Promise<void> {
    const { setup } = execution;
    const ensure = setup.connector.ensureAudience?.bind(setup.connector);
    if (!ensure || setup.addAction !== 'add' || setup.activation.externalAudienceId) return;
    const result = await callWithPolicy(execution.gate, this.options, (signal) =>
      ensure(
        connectorContext(setup.runtime, {
          settings: setup.settings,
          secrets: setup.secrets,
          idempotencyKey: `${setup.activation.id}:audience`,
          signal,
        }),
        {
          name: `audiencekit: ${setup.activation.name}`,
          activationId: setup.activation.id,
        },
      ),
    );
    const externalId = result.kind === 'answered' ? (result.value as { externalId?: unknown } | null)?.externalId : undefined;
    if (typeof externalId !== 'string' || externalId.length === 0) {
      const reason = result.kind === 'failed' ? result.reason : 'ensureAudience returned no externalId';
      throw new SyncException('unsupported_mode', `could not get or create the vendor audience: ${reason}`);
    }
    await runs.setExternalAudienceId(this.dataSource.manager, setup.activation.id, externalId);
    setup.activation.externalAudienceId = externalId;
  }

  /**
   * The vendor's own count of the audience, next to what we sent. Best effort: it is read after the
   * members were delivered, so no failure of it (refused credentials included) may fail the run;
   * it becomes a warning entry on the run instead.
   */
  private async recordAudienceSize(execution: Execution): Promise<void> {
    const { setup } = execution;
    const audienceSize = setup.connector.audienceSize?.bind(setup.connector);
    if (!audienceSize) return;
    let reason: string;
    try {
      const result = await callWithPolicy(execution.gate, { ...this.options, maxAttempts: 1 }, (signal) =>
        audienceSize(
          connectorContext(setup.runtime, {
            settings: setup.settings,
            secrets: setup.secrets,
            audienceId: setup.activation.externalAudienceId,
            idempotencyKey: `${setup.run.id}:audience-size`,
            signal,
          }),
        ),
      );
      if (result.kind === 'answered') {
        if (typeof result.value === 'number' && Number.isFinite(result.value)) {
          const size = Math.round(result.value);
          await runs.recordAudienceSize(this.dataSource.manager, setup.run.id, size);
          const { drop } = await reconcileMatch(this.dataSource, setup, size, this.options.matchRateDropThreshold);
          if (drop) this.logger.warn(`run ${setup.run.id}: match rate dropped by ${drop.drop} from ${drop.baseline}`);
        }
        return;
      }
      reason = result.reason;
    } catch (error) {
      reason = errorMessage(error);
    }
    const message = setup.runtime.redact(`audience size unavailable: ${reason}`);
    this.logger.warn(`run ${setup.run.id}: ${message}`);
    await runs.appendErrors(this.dataSource.manager, setup.run.id, [
      { kind: 'warning', code: 'audience_size_unavailable', message, at: new Date().toISOString() },
    ]);
  }

  /**
   * After a full replace the vendor holds exactly what this run delivered: members it held before
   * and this run did not send (left the segment, held out, suppressed) are `removed`. Only when
   * the replace went through whole — with a failed batch, what the vendor holds is not known.
   */
  private async dropReplaced(setup: SyncSetup): Promise<void> {
    const counts = await runs.countsOf(this.dataSource.manager, setup.run.id);
    if ((counts['replaced'] ?? 0) === 0 || (counts['failed'] ?? 0) > 0) return;
    await this.dataSource.transaction(async (tx) => {
      const removed = await runs.dropReplaced(tx, setup.activation.id, setup.run.id);
      await runs.addCounts(tx, setup.run.id, { removed });
    });
  }

  /**
   * After a run that changed many member states, refresh Postgres' statistics of
   * activation_members: with the stale estimate of a table that was empty, the next run's diff
   * (an anti-join against it) would be planned as a nested loop over the whole table.
   */
  private async analyzeMemberTables(runId: string): Promise<void> {
    const counts = await runs.countsOf(this.dataSource.manager, runId);
    const changed =
      (counts['added'] ?? 0) + (counts['refreshed'] ?? 0) + (counts['sent'] ?? 0) + (counts['removed'] ?? 0) + (counts['rejected'] ?? 0);
    if (changed >= runs.ANALYZE_AFTER_ROWS) await runs.analyzeMembers(this.dataSource.manager);
  }

  /** A destination or activation deleted mid-run stops the run before its next page. */
  private async assertLive(setup: SyncSetup): Promise<void> {
    const { activationLive, destinationDeleted } = await runs.liveness(this.dataSource.manager, setup.activation.id);
    if (!activationLive) throw new SyncException('activation_deleted', 'the activation was deleted during the run');
    if (destinationDeleted) throw new SyncException('destination_deleted', 'the destination was deleted during the run');
    if (await cancelRequested(this.dataSource.manager, setup.run.id)) throw new SyncException('cancelled', 'the run was cancelled');
  }

  /** A cancelled run ends `cancelled`; the batches it delivered stay delivered and recorded. */
  private async finishCancelled(runId: string, started: number): Promise<SyncOutcome> {
    await this.finish(runId, 'cancelled', started, {});
    return { status: 'cancelled', counts: await runs.countsOf(this.dataSource.manager, runId) };
  }

  private async finishDelivery(execution: Execution, started: number): Promise<SyncOutcome> {
    const runId = execution.setup.run.id;
    const counts = await runs.countsOf(this.dataSource.manager, runId);
    const delivered = (counts['added'] ?? 0) + (counts['refreshed'] ?? 0) + (counts['sent'] ?? 0) + (counts['removed'] ?? 0);
    const status = (counts['failed'] ?? 0) === 0 ? 'succeeded' : delivered > 0 ? 'partial' : 'failed';
    if (status === 'failed') await forgetExposuresOfFailedRun(this.dataSource, execution);
    await this.finish(runId, status, started, {});
    return { status, counts };
  }

  private finish(
    runId: string,
    status: 'succeeded' | 'partial' | 'failed' | 'cancelled',
    started: number,
    extra: { counts?: runs.Counts; plan?: Record<string, unknown>; errors?: Record<string, unknown>[] },
  ): Promise<void> {
    return runs.finishRun(this.dataSource.manager, runId, status, Math.max(0, Date.now() - started), extra);
  }
}

function progressOf(run: SyncRunEntity, setup: SyncSetup): Progress {
  const stored = run.progress as Progress | null;
  return stored && (stored.phase === 'done' || setup.phases.includes(stored.phase))
    ? stored
    : { phase: setup.phases[0], cursor: null, page: null };
}

function phaseDone(progress: Progress, phase: DiffPhase, phases: DiffPhase[]): boolean {
  if (progress.phase === 'done') return true;
  return phases.indexOf(phase) < phases.indexOf(progress.phase);
}

/** Pages are read in key order, so a page starting where the last noted one ended extends it. */
function noteHeldOnlyPage(execution: Execution, range: runs.PageRange): void {
  const previous = execution.heldOnlyPages[execution.heldOnlyPages.length - 1];
  if (previous && previous.to === range.from) previous.to = range.to;
  else execution.heldOnlyPages.push({ ...range });
}

/**
 * "A failed run exposes nobody" (issue #16): a page with no member to deliver records its held-out
 * members when the cursor moves past it, before the run knows how it ends; if it ends failed,
 * they are taken back — every held-out exposure of the run when it treated nobody (crash-safe:
 * read from the stored counts), else those of this execution's pages without deliveries.
 */
async function forgetExposuresOfFailedRun(dataSource: DataSource, execution: Execution): Promise<void> {
  const { setup } = execution;
  const counts = await runs.countsOf(dataSource.manager, setup.run.id);
  const treated = (counts['added'] ?? 0) + (counts['refreshed'] ?? 0) + (counts['sent'] ?? 0) + (counts['replaced'] ?? 0);
  await runs.forgetHeldOutExposures(dataSource.manager, setup.activation.id, setup.run.id, treated === 0 ? 'all' : execution.heldOnlyPages);
}

/** Whether the prefetched next page of a replace holds no eligible member (or nothing at all). */
async function isLastPage(prefetched: Promise<Classified[] | Error> | undefined): Promise<boolean> {
  if (!prefetched) return true;
  const next = await prefetched;
  return !(next instanceof Error) && !next.some((item) => item.member);
}

async function unwrap<T>(rows: Promise<T | Error>): Promise<T> {
  const value = await rows;
  if (value instanceof Error) throw value;
  return value;
}

function heldOutMembers(classified: Classified[]): runs.HeldOutMember[] {
  return classified.flatMap((item): runs.HeldOutMember[] =>
    item.verdict === 'heldOutGlobal'
      ? [{ profileId: item.profileId, arm: 'global_holdout' }]
      : item.verdict === 'heldOutActivation'
        ? [{ profileId: item.profileId, arm: 'control' }]
        : [],
  );
}
