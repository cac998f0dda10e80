import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { ExponentialBackoff } from 'cockatiel';
import { DataSource, EntityManager, QueryRunner } from 'typeorm';
import { RetryableError } from '@audiencekit/connector-sdk';
import type { ConnectorContext, EligibleMember, MessageTemplate } from '@audiencekit/connector-sdk';
import { SyncRunEntity } from '@audiencekit/persistence';
import { APP_CONFIG, Metrics } from '@audiencekit/server-core';
import { CONNECTORS, ConnectorList } from './connectors.token';
import { callWithPolicy, CallResult, delay } from './delivery/call-policy';
import { DestinationGate, DestinationGates } from './delivery/destination-gates';
import { readOutcomes, ReadOutcomes } from './delivery/outcomes';
import { CandidateRow, DiffPhase, readCandidates, readHeldIdentifiers, readProfiles } from './pipeline/candidates.repository';
import { Classified, classifyAdd, classifyRemove, deliveredIdentifiers, Verdict } from './pipeline/eligibility';
import { assertNoHeldOutMember } from './pipeline/holdout-guard';
import { HeldOutMember, recordHeldOutExposures, recordTreatmentExposures } from './exposure.store';
import { addCounts, appendErrors, boundErrorEntry, countsOf, Counts, truncateVendorText } from './sync-run.store';
import { BatchAction, loadSyncSetup, SyncConfig, SyncSetup } from './sync-setup';
import { SyncEngineOptions, SYNC_ENGINE_OPTIONS } from './sync-engine.options';
import { SyncException } from './sync.exception';
import { AWAITING_CONFIRMATION, auditGuard, lastRunSentCount, massSendDecision } from './guard/mass-send-guard';

export interface SyncOutcome {
  status: 'succeeded' | 'partial' | 'failed' | 'skipped';
  counts?: Counts;
  reason?: string;
}

/** Where a run is: phase, keyset cursor, and the page being delivered (its stage counts already tallied). */
interface Progress {
  phase: DiffPhase | 'done';
  cursor: string | null;
  page: { from: string | null; to: string; counts: Counts } | null;
}

interface Batch {
  seq: number;
  key: string;
  action: BatchAction;
  members: EligibleMember[];
  /** Its sync_batches row exists (written before the first call; replayed batches have one). */
  recorded: boolean;
  /** Replace batches: the last one of the replace (its idempotency key ends in `:last`, so a replay knows). */
  last?: boolean;
  /** Replace batches: the estimated total of the whole replace. */
  total?: number;
}

/** State of one execution of a run (one job attempt). */
interface Execution {
  setup: SyncSetup;
  gate: DestinationGate;
  progress: Progress;
  nextSeq: number;
  /** Set by the first fatal error: queued batches then never call the plugin. */
  aborted?: SyncException;
  /** Members sent to the plugin by this execution, and the count at which statistics are refreshed next. */
  written: number;
  analyzeAt: number;
  /** Full resync: the segment's size, the vendor's estimate of the replace's total. */
  replaceTotal?: number;
}

const FINAL_STATUSES = new Set(['succeeded', 'failed', 'partial']);
/** Member states written by one run above which the planner statistics are refreshed. */
const STATISTICS_REFRESH_ROWS = 10_000;
const STATE_OF_DELIVERED: Record<BatchAction, string> = { add: 'present', send: 'sent', remove: 'removed', replace: 'present' };
const DELIVERED_COUNT: Record<BatchAction, string> = { add: 'added', send: 'sent', remove: 'removed', replace: 'replaced' };
const VERDICT_COUNT: Record<DiffPhase, Record<Verdict, string>> = {
  adds: { heldOutGlobal: 'heldOutGlobal', heldOutActivation: 'heldOutActivation', suppressed: 'suppressed', invalid: 'invalid', eligible: 'eligible' },
  removes: { heldOutGlobal: 'removeHeldOut', heldOutActivation: 'removeHeldOut', suppressed: 'removeSuppressed', invalid: 'removeInvalid', eligible: 'removeEligible' },
  replace: { heldOutGlobal: 'heldOutGlobal', heldOutActivation: 'heldOutActivation', suppressed: 'suppressed', invalid: 'invalid', eligible: 'eligible' },
};

/**
 * Executes a sync run (the body of its queue job). Durable by construction:
 * - the diff is read one keyset page at a time; a page's stage counts and bounds are stored
 *   before any of its batches is sent, and the cursor moves past it only once all are acknowledged;
 * - each batch is recorded (`sync_batches`, members and idempotency key) BEFORE the plugin call,
 *   and its members' state (`activation_members`) is written when the call answers;
 * - a resumed run (the job retried after a crash) first replays its unacknowledged batches with the
 *   same members and idempotency key, then re-reads the interrupted page, where members this run
 *   already handled are skipped by the diff itself.
 * So a member is sent twice only if the worker died between the vendor's answer and our write of
 * it, and then under the same idempotency key and delivery key.
 */
@Injectable()
export class SyncRunner {
  private readonly logger = new Logger(SyncRunner.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(CONNECTORS) private readonly connectors: ConnectorList,
    @Inject(APP_CONFIG) private readonly config: SyncConfig,
    @Inject(SYNC_ENGINE_OPTIONS) private readonly options: SyncEngineOptions,
    private readonly gates: DestinationGates,
    // Optional: the engine also runs without a metrics registry (library tests, the CLI).
    @Optional() private readonly metrics?: Metrics,
  ) {}

  async execute(runId: string): Promise<SyncOutcome> {
    const run = await this.dataSource.getRepository(SyncRunEntity).findOneBy({ id: runId });
    if (!run || FINAL_STATUSES.has(run.status)) return { status: 'skipped' };
    if (run.dryRun) return this.executePlan(run);
    if (run.status === AWAITING_CONFIRMATION || (await this.heldByGuard(run))) return { status: 'skipped', reason: AWAITING_CONFIRMATION };
    const lock = await this.lockDestination(run);
    try {
      return await this.executeDelivery(run);
    } finally {
      await lock.release();
    }
  }

  /**
   * Mass-send guard for runs nobody checked yet (scheduled ones; the API checks and records its
   * decision in `plan.guard` before queueing): plans a send-mode run first and parks it as
   * `awaiting_confirmation` when it is over the guard. Other modes cost nothing per member.
   */
  private async heldByGuard(run: SyncRunEntity): Promise<boolean> {
    if (run.status !== 'queued' || run.plan?.['guard']) return false;
    const [activation]: { mode: string }[] = await this.dataSource.query(`SELECT mode FROM activations WHERE id = $1`, [run.activationId]);
    if (activation?.mode !== 'send') return false;
    let count: number;
    try {
      const setup = await loadSyncSetup(this.dataSource.manager, run, this.connectors, this.config);
      count = (await this.computePlan(setup, 0)).counts['eligible'] ?? 0;
    } catch (error) {
      if (error instanceof SyncException) return false; // the delivery records why it cannot run
      throw error;
    }
    const decision = massSendDecision(count, await lastRunSentCount(this.dataSource.manager, run.activationId), this.config);
    const status = decision.hold ? AWAITING_CONFIRMATION : 'queued';
    await this.dataSource.query(`UPDATE sync_runs SET status = $2, plan = $3::jsonb WHERE id = $1 AND status = 'queued'`, [run.id, status, JSON.stringify({ guard: decision })]);
    run.plan = { guard: decision };
    if (!decision.hold) return false;
    await auditGuard(this.dataSource.manager, 'mass_send_guard.held', null, run.id, { activationId: run.activationId, trigger: run.trigger, ...decision });
    this.logger.warn({ runId: run.id, count, reasons: decision.reasons }, 'send run held for confirmation by the mass-send guard');
    return true;
  }

  /** Computes the itemised plan of a dry run and stores it; sends nothing, writes no member state. */
  async executePlan(run: SyncRunEntity, sampleSize = this.options.sampleSize): Promise<SyncOutcome> {
    const started = Date.now();
    await this.markRunning(run);
    try {
      const setup = await loadSyncSetup(this.dataSource.manager, run, this.connectors, this.config);
      const { counts, plan } = await this.computePlan(setup, sampleSize);
      await this.finish(run.id, 'succeeded', started, { counts, plan: { ...plan, notes: setup.notes } });
      return { status: 'succeeded', counts };
    } catch (error) {
      if (!(error instanceof SyncException)) throw error;
      await this.finish(run.id, 'failed', started, { errors: [{ kind: error.code, message: error.message, at: new Date().toISOString() }] });
      return { status: 'failed', reason: error.message };
    }
  }

  private async computePlan(setup: SyncSetup, sampleSize: number): Promise<{ counts: Counts; plan: Record<string, unknown> }> {
    const counts: Counts = {};
    const samples: Record<string, { profileId: string; reason?: string }[]> = {};
    const keep = (category: string, item: Classified) => {
      const list = (samples[category] ??= []);
      if (list.length < sampleSize) list.push(item.reason && item.verdict !== 'eligible' ? { profileId: item.profileId, reason: item.reason } : { profileId: item.profileId });
    };
    for (const phase of setup.phases) {
      let cursor: string | null = null;
      for (;;) {
        const rows = await readCandidates(this.dataSource.manager, phase, setup.scope, { after: cursor, upTo: null, limit: this.pageSize(setup) });
        if (rows.length === 0) break;
        cursor = rows[rows.length - 1].profileId;
        const refreshes = new Set(rows.filter((row) => row.refresh).map((row) => row.profileId));
        for (const item of this.classify(setup, phase, rows)) {
          const key = VERDICT_COUNT[phase][item.verdict];
          counts[key] = (counts[key] ?? 0) + 1;
          if (item.verdict === 'eligible' && refreshes.has(item.profileId)) counts['refreshEligible'] = (counts['refreshEligible'] ?? 0) + 1;
          keep(item.verdict === 'eligible' ? (phase === 'removes' ? 'removes' : 'adds') : key, item);
        }
        counts[phase === 'removes' ? 'removeConsidered' : 'considered'] = (counts[phase === 'removes' ? 'removeConsidered' : 'considered'] ?? 0) + rows.length;
      }
    }
    const plan = {
      adds: counts['eligible'] ?? 0,
      /** Of the adds: members the destination holds, re-sent before their membership lapses. */
      refreshes: counts['refreshEligible'] ?? 0,
      removes: counts['removeEligible'] ?? 0,
      samples,
    };
    return { counts, plan };
  }

  private async executeDelivery(run: SyncRunEntity): Promise<SyncOutcome> {
    const started = run.status === 'running' ? new Date(run.startedAt).getTime() : Date.now();
    await this.markRunning(run);
    let execution: Execution | undefined;
    try {
      const setup = await loadSyncSetup(this.dataSource.manager, run, this.connectors, this.config);
      const gate = this.gates.get(setup.destination.id, setup.limits, this.options.breakerThreshold, this.options.breakerHalfOpenMs);
      execution = { setup, gate, progress: this.progressOf(run, setup), nextSeq: await this.nextSeq(run.id), written: 0, analyzeAt: STATISTICS_REFRESH_ROWS };
      if (setup.notes.length) await appendErrors(this.dataSource.manager, run.id, setup.notes.map((message) => ({ kind: 'note', message })));
      await this.ensureAudience(execution);
      if (setup.fullResync) execution.replaceTotal = await this.segmentSize(setup);
      await this.replayInFlight(execution);
      for (const phase of setup.phases) {
        if (this.phaseDone(execution.progress, phase, setup.phases)) continue;
        await this.deliverPhase(execution, phase);
      }
      if (setup.fullResync) await this.dropReplaced(setup);
      await this.saveProgress(this.dataSource.manager, run.id, { phase: 'done', cursor: null, page: null });
      if (execution.written > 0 && execution.analyzeAt !== execution.written * 2) await this.refreshStatistics(run.id);
      await this.recordAudienceSize(execution);
      return this.finishDelivery(run.id, started);
    } catch (error) {
      if (!(error instanceof SyncException)) throw error;
      const counts: Counts = error.code === 'holdout_violation' ? { holdoutViolations: 1 } : {};
      await addCounts(this.dataSource.manager, run.id, counts);
      const message = execution ? execution.setup.redact(error.message) : error.message;
      if (execution) this.metrics?.recordSyncError(metricLabels(execution.setup), error.code);
      await this.finish(run.id, 'failed', started, { appendErrors: [{ kind: error.code, message, at: new Date().toISOString() }] });
      if (error.code === 'holdout_violation') this.logger.error({ runId: run.id, message: error.message }, 'HOLDOUT VIOLATION: batch refused');
      return { status: 'failed', reason: message, counts: await countsOf(this.dataSource.manager, run.id) };
    }
  }

  private phaseDone(progress: Progress, phase: DiffPhase, phases: DiffPhase[]): boolean {
    if (progress.phase === 'done') return true;
    return phases.indexOf(phase) < phases.indexOf(progress.phase);
  }

  /** Pages of one phase: read, classify and record the page, deliver its batches, then move the cursor. */
  private async deliverPhase(execution: Execution, phase: DiffPhase): Promise<void> {
    const { setup } = execution;
    const manager = this.dataSource.manager;
    if (execution.progress.phase !== phase) execution.progress = { phase, cursor: null, page: null };
    let prefetched: Promise<Classified[] | Error> | undefined;
    for (let pageIndex = 0; ; pageIndex++) {
      await this.assertLive(setup);
      let page = execution.progress.page;
      let classified: Classified[];
      if (page) {
        // Resumed mid-page: its counts were tallied before the crash; re-read only what is left of it.
        const rows = await readCandidates(manager, phase, setup.scope, { after: page.from, upTo: page.to, limit: null });
        classified = this.classify(setup, phase, rows);
      } else {
        classified = await this.unwrap(prefetched ?? this.readPage(setup, phase, execution.progress.cursor, this.pageSize(setup, pageIndex)));
        prefetched = undefined;
        if (classified.length === 0) break;
        page = { from: execution.progress.cursor, to: classified[classified.length - 1].profileId, counts: this.tally(phase, classified.length, classified) };
        const recorded = { ...execution.progress, page };
        await this.saveProgress(manager, setup.run.id, recorded);
        execution.progress = recorded;
      }
      // Read the next page while this one is being delivered (pages are disjoint key ranges).
      prefetched = this.readPage(setup, phase, page.to, this.pageSize(setup, pageIndex + 1)).catch((error: Error) => error);
      const members = eligibleMembers(classified);
      // A replace marks its final batch: the one after which no page has an eligible member.
      const last = phase === 'replace' ? await this.isLastPage(prefetched) : false;
      await this.deliverAll(execution, phase === 'replace' ? 'replace' : phase === 'adds' ? setup.addAction : 'remove', members, last);
      const done: Progress = { phase, cursor: page.to, page: null };
      const range = { from: page.from, to: page.to };
      await this.dataSource.transaction(async (tx) => {
        // Held-out members are exposed with the page's treated members, once their delivery is answered.
        if (phase !== 'removes') await recordHeldOutExposures(tx, setup.activation.id, setup.run.id, range, heldOutMembers(classified), members.length);
        await addCounts(tx, setup.run.id, page.counts);
        await this.saveProgress(tx, setup.run.id, done);
      });
      execution.progress = done;
      execution.written += members.length;
      if (execution.written >= execution.analyzeAt) {
        // A run that fills activation_members makes the planner's estimate stale as it goes.
        await this.dataSource.query(`ANALYZE activation_members`);
        execution.analyzeAt = execution.written * 2;
      }
    }
    if (prefetched) await prefetched;
  }

  /**
   * The next page: candidates after `after`, classified, cut right after the `target`-th eligible
   * member. Pages therefore hold whole batches (target is a multiple of the batch size), and only
   * the last batch of a phase is partial: a diff of N members costs ceil(N / maxBatchSize) calls.
   */
  private async readPage(setup: SyncSetup, phase: DiffPhase, after: string | null, target: number): Promise<Classified[]> {
    const page: Classified[] = [];
    let eligible = 0;
    let cursor = after;
    // Later chunks are sized from the share of candidates found eligible so far (a churn run
    // re-reads every held-out member, so most of its candidates are not eligible).
    let chunk = Math.max(target, 1_000);
    for (;;) {
      const rows = await readCandidates(this.dataSource.manager, phase, setup.scope, { after: cursor, upTo: null, limit: chunk });
      for (const item of this.classify(setup, phase, rows)) {
        page.push(item);
        if (item.member && ++eligible >= target) return page;
      }
      if (rows.length < chunk) return page;
      cursor = rows[rows.length - 1].profileId;
      const eligibleShare = Math.max(eligible / page.length, 0.01);
      chunk = Math.min(100_000, Math.max(1_000, Math.ceil(((target - eligible) / eligibleShare) * 1.1)));
    }
  }

  private async unwrap<T>(rows: Promise<T | Error>): Promise<T> {
    const value = await rows;
    if (value instanceof Error) throw value;
    return value;
  }

  private classify(setup: SyncSetup, phase: DiffPhase, rows: CandidateRow[]): Classified[] {
    return rows.map((row) => (phase === 'removes' ? classifyRemove(row, setup.rules) : classifyAdd(row, setup.rules)));
  }

  private tally(phase: DiffPhase, considered: number, classified: Classified[]): Counts {
    const counts: Counts = { [phase === 'removes' ? 'removeConsidered' : 'considered']: considered };
    for (const item of classified) {
      if (item.verdict === 'eligible') continue;
      const key = VERDICT_COUNT[phase][item.verdict];
      counts[key] = (counts[key] ?? 0) + 1;
    }
    return counts;
  }

  /** Delivers members in batches of the connector's size; the destination's gate paces the calls. */
  private async deliverAll(execution: Execution, action: BatchAction, members: EligibleMember[], lastPage = false): Promise<void> {
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
          const index = next++;
          await this.deliverNew(execution, action, batches[index], 1, lastPage && index === batches.length - 1);
        }
      }),
    );
    const failure = settled.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (execution.aborted) throw execution.aborted;
    if (failure) throw failure.reason;
  }

  private async deliverNew(execution: Execution, action: BatchAction, members: EligibleMember[], memberAttempt: number, last = false): Promise<void> {
    if (members.length === 0) return;
    const seq = execution.nextSeq++;
    await this.callAndAck(execution, { seq, key: `${execution.setup.run.id}:${seq}${last ? ':last' : ''}`, action, members, recorded: false, last, total: execution.replaceTotal }, memberAttempt);
  }

  /** Whether the prefetched next page of a replace holds no eligible member (or nothing at all). */
  private async isLastPage(prefetched: Promise<Classified[] | Error> | undefined): Promise<boolean> {
    if (!prefetched) return true;
    const next = await prefetched;
    return !(next instanceof Error) && !next.some((item) => item.member);
  }

  private async segmentSize(setup: SyncSetup): Promise<number> {
    const [row]: { n: number }[] = await this.dataSource.query(`SELECT count(*)::int AS n FROM segment_memberships WHERE segment_id = $1`, [setup.activation.segmentId]);
    return row?.n ?? 0;
  }

  /**
   * After a full replace the vendor holds exactly what this run delivered: members it held before
   * and this run did not send (left the segment, held out, suppressed) are `removed`. Only when
   * the replace went through whole — with a failed batch, what the vendor holds is not known.
   */
  private async dropReplaced(setup: SyncSetup): Promise<void> {
    const counts = await countsOf(this.dataSource.manager, setup.run.id);
    if ((counts['replaced'] ?? 0) === 0 || (counts['failed'] ?? 0) > 0) return;
    await this.dataSource.transaction(async (tx) => {
      const [rows]: [unknown[], number] = await tx.query(
        `UPDATE activation_members SET state = 'removed', identifiers = NULL, last_sync_run_id = $2, updated_at = now()
         WHERE activation_id = $1 AND state = 'present' AND last_sync_run_id IS DISTINCT FROM $2 RETURNING profile_id`,
        [setup.activation.id, setup.run.id],
      );
      await addCounts(tx, setup.run.id, { removed: rows.length });
    });
  }

  /** Written inside the call's rate-limit slot, right before the plugin is called: `in_flight` means "may have reached the vendor". */
  private async recordBatch(execution: Execution, batch: Batch): Promise<void> {
    if (batch.recorded) return;
    await this.dataSource.query(
      `INSERT INTO sync_batches (sync_run_id, seq, action, profile_ids, idempotency_key, status) VALUES ($1, $2, $3, $4::uuid[], $5, 'in_flight')`,
      [execution.setup.run.id, batch.seq, batch.action, batch.members.map((member) => member.profileId), batch.key],
    );
    batch.recorded = true;
  }

  private async callAndAck(execution: Execution, batch: Batch, memberAttempt: number): Promise<void> {
    const { setup } = execution;
    const result = await this.call(execution, batch);
    if (result.kind === 'failed') return this.failBatch(execution, batch, result.reason, result.attempts);
    const outcomes = readOutcomes(result.value, batch.members.map((member) => member.profileId));
    if (!outcomes) return this.failBatch(execution, batch, `malformed plugin result (expected an array of outcomes, got ${typeof result.value})`, result.attempts);
    await this.ackBatch(execution, batch, outcomes, result);
    if (outcomes.retry.size === 0) return;
    const retry = batch.members.filter((member) => outcomes.retry.has(member.profileId));
    const reason = [...outcomes.retry.values()][0]?.reason ?? 'retryable';
    if (memberAttempt >= this.options.maxMemberAttempts) {
      return this.failMembers(setup.run.id, retry, setup.redact(`out of retries after ${memberAttempt} attempt(s): ${reason}`), setup, batch.action);
    }
    const hinted = Math.max(0, ...[...outcomes.retry.values()].map((value) => value.retryAfterMs ?? 0));
    let backoff = new ExponentialBackoff({ initialDelay: this.options.initialBackoffMs, maxDelay: this.options.maxBackoffMs }).next();
    for (let step = 1; step < memberAttempt; step++) backoff = backoff.next(undefined);
    await delay(Math.min(this.options.maxRetryAfterMs, Math.max(hinted, backoff.duration)));
    await addCounts(this.dataSource.manager, setup.run.id, { retriedMembers: retry.length });
    await this.deliverNew(execution, batch.action, retry, memberAttempt + 1);
  }

  /** One plugin call through the gate, with the holdout re-checked for every member right before it. */
  private call(execution: Execution, batch: Batch): Promise<CallResult> {
    const { setup } = execution;
    return callWithPolicy(execution.gate, this.options, async (signal) => {
      if (execution.aborted) throw execution.aborted;
      assertNoHeldOutMember(batch.members, setup.armOf);
      await this.recordBatch(execution, batch);
      const ctx: ConnectorContext<unknown, unknown> = {
        settings: setup.settings,
        secrets: setup.secrets,
        baseUrl: setup.baseUrl,
        audience: setup.activation.externalAudienceId ? { externalId: setup.activation.externalAudienceId } : undefined,
        idempotencyKey: batch.key,
        signal,
        logger: setup.logger,
        http: setup.http,
      };
      const connector = setup.connector;
      return this.observed(setup, () => this.invoke(connector, ctx, batch, setup));
    }).catch((error: unknown) => {
      if (error instanceof SyncException) execution.aborted ??= error;
      throw error;
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

  private invoke(connector: SyncSetup['connector'], ctx: ConnectorContext<unknown, unknown>, batch: Batch, setup: SyncSetup): Promise<unknown> {
    // Which methods exist was checked when the run was set up (sync-setup.ts phasesOf).
    if (batch.action === 'add' && connector.upsert) return connector.upsert(ctx, batch.members);
    if (batch.action === 'remove' && connector.remove) return connector.remove(ctx, batch.members);
    if (batch.action === 'send' && connector.send) return connector.send(ctx, { members: batch.members, message: (setup.activation.message ?? {}) as MessageTemplate });
    if (batch.action === 'replace' && connector.replace) {
      return connector.replace(ctx, { members: batch.members, sequence: batch.seq, last: batch.last === true, estimatedTotal: batch.total ?? batch.members.length, replaceKey: setup.run.id });
    }
    throw new SyncException('unsupported_mode', `connector "${connector.slug}" cannot ${batch.action}`);
  }

  /** Writes what the vendor answered, in one transaction, before the run moves on. */
  private async ackBatch(execution: Execution, batch: Batch, outcomes: ReadOutcomes, result: CallResult): Promise<void> {
    const { setup } = execution;
    const runId = setup.run.id;
    const delivered = batch.members.filter((member) => outcomes.delivered.has(member.profileId));
    const rejected = batch.members.filter((member) => outcomes.rejected.has(member.profileId));
    await this.dataSource.transaction(async (tx) => {
      const refreshed = batch.action === 'add' ? await this.countHeld(tx, setup, delivered) : 0;
      await this.setMemberState(tx, setup, delivered, STATE_OF_DELIVERED[batch.action]);
      if (batch.action !== 'remove') {
        await this.setMemberState(tx, setup, rejected, 'rejected');
        await recordTreatmentExposures(tx, setup.activation.id, runId, delivered.map((member) => member.profileId));
      } else {
        await this.touchMembers(tx, setup, rejected);
      }
      await this.recordRejections(
        tx,
        runId,
        rejected.map((member) => {
          const outcome = outcomes.rejected.get(member.profileId);
          return { profileId: member.profileId, kind: 'rejected', reason: setup.redact(outcome?.reason ?? 'rejected'), code: outcome?.code ?? null };
        }),
      );
      await this.recordSuppressions(tx, setup, rejected, outcomes);
      await tx.query(`UPDATE sync_batches SET status = 'acked', attempts = attempts + $3, updated_at = now() WHERE sync_run_id = $1 AND seq = $2`, [runId, batch.seq, result.attempts]);
      const deliveredCounts: Counts = refreshed > 0 ? { added: delivered.length - refreshed, refreshed } : { [DELIVERED_COUNT[batch.action]]: delivered.length };
      await addCounts(tx, runId, { ...deliveredCounts, rejected: rejected.length, requests: result.attempts, retried: result.attempts - 1 });
      if (outcomes.problems.length) {
        await appendErrors(tx, runId, [{ kind: 'malformed_outcomes', seq: batch.seq, count: outcomes.problems.length, samples: outcomes.problems.slice(0, 5), at: new Date().toISOString() }]);
      }
    });
    this.metrics?.recordSyncMembers(metricLabels(setup), batch.action, { delivered: delivered.length, rejected: rejected.length });
  }

  private async failBatch(execution: Execution, batch: Batch, rawReason: string, attempts: number): Promise<void> {
    const runId = execution.setup.run.id;
    const reason = execution.setup.redact(rawReason); // whole here: appendErrors stores 2 KB and the length
    await this.dataSource.transaction(async (tx) => {
      await tx.query(`UPDATE sync_batches SET status = 'failed', attempts = attempts + $3, error = $4, updated_at = now() WHERE sync_run_id = $1 AND seq = $2`, [runId, batch.seq, attempts, truncateVendorText(reason)]);
      await addCounts(tx, runId, { requests: attempts, retried: Math.max(0, attempts - 1) });
      await appendErrors(tx, runId, [{ kind: 'batch_failed', seq: batch.seq, action: batch.action, members: batch.members.length, reason, at: new Date().toISOString() }]);
    });
    this.metrics?.recordSyncError(metricLabels(execution.setup), 'batch_failed');
    await this.failMembers(runId, batch.members, reason, execution.setup, batch.action);
  }

  /** Members given up on in this run: recorded with the reason, retried by the next run. */
  private async failMembers(runId: string, members: EligibleMember[], reason: string, setup?: SyncSetup, action?: BatchAction): Promise<void> {
    await this.dataSource.transaction(async (tx) => {
      await this.recordRejections(tx, runId, members.map((member) => ({ profileId: member.profileId, kind: 'failed', reason, code: null })));
      if (setup && action) await this.touchMembers(tx, setup, members);
      await addCounts(tx, runId, { failed: members.length });
    });
    if (setup && action) this.metrics?.recordSyncMembers(metricLabels(setup), action, { failed: members.length });
  }

  private async setMemberState(tx: EntityManager, setup: SyncSetup, members: EligibleMember[], state: string): Promise<void> {
    if (members.length === 0) return;
    await tx.query(
      `INSERT INTO activation_members (activation_id, profile_id, state, identifiers, last_sync_run_id, updated_at, delivered_at)
       SELECT $1, t.profile_id, $3, t.identifiers, $4, now(), CASE WHEN $3 IN ('present', 'sent') THEN now() END
       FROM unnest($2::uuid[], $5::jsonb[]) AS t(profile_id, identifiers)
       ON CONFLICT (activation_id, profile_id) DO UPDATE
         SET state = excluded.state, identifiers = excluded.identifiers,
             last_sync_run_id = excluded.last_sync_run_id, updated_at = now(),
             delivered_at = coalesce(excluded.delivered_at, activation_members.delivered_at)`,
      [
        setup.activation.id,
        members.map((member) => member.profileId),
        state,
        setup.run.id,
        // A delivered remove forgets the identifiers: the vendor no longer holds them, and an erased
        // person's must not outlive the removal (privacy deletion, issue #16).
        members.map((member) => (state === 'removed' ? null : JSON.stringify(deliveredIdentifiers(member)))),
      ],
    );
  }

  /** Delivered adds the destination already held: membership refreshes (counted as `refreshed`, not `added`). */
  private async countHeld(tx: EntityManager, setup: SyncSetup, members: EligibleMember[]): Promise<number> {
    if (members.length === 0 || setup.scope.refreshAfterDays === null) return 0;
    const [row]: { n: number }[] = await tx.query(
      `SELECT count(*)::int AS n FROM activation_members WHERE activation_id = $1 AND profile_id = ANY($2::uuid[]) AND state = 'present'`,
      [setup.activation.id, members.map((member) => member.profileId)],
    );
    return row?.n ?? 0;
  }

  /** Marks members as handled by this run without changing what the destination holds. */
  private async touchMembers(tx: EntityManager, setup: SyncSetup, members: EligibleMember[]): Promise<void> {
    if (members.length === 0) return;
    await tx.query(
      `INSERT INTO activation_members (activation_id, profile_id, state, last_sync_run_id, updated_at)
       SELECT $1, unnest($2::uuid[]), 'failed', $3, now()
       ON CONFLICT (activation_id, profile_id) DO UPDATE SET last_sync_run_id = excluded.last_sync_run_id, updated_at = now()`,
      [setup.activation.id, members.map((member) => member.profileId), setup.run.id],
    );
  }

  private async recordRejections(tx: EntityManager, runId: string, rows: { profileId: string; kind: string; reason: string; code: string | null }[]): Promise<void> {
    if (rows.length === 0) return;
    await tx.query(
      `INSERT INTO sync_rejections (sync_run_id, profile_id, kind, reason, code)
       SELECT $1, * FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[])
       ON CONFLICT (sync_run_id, profile_id) DO UPDATE SET kind = excluded.kind, reason = excluded.reason, code = excluded.code`,
      [runId, rows.map((row) => row.profileId), rows.map((row) => row.kind), rows.map((row) => truncateVendorText(row.reason)), rows.map((row) => row.code)],
    );
  }

  /** `suppress` hints of rejections (e.g. SMS STOP): the identifier is never contacted on this channel again. */
  private async recordSuppressions(tx: EntityManager, setup: SyncSetup, rejected: EligibleMember[], outcomes: ReadOutcomes): Promise<void> {
    const channel = setup.connector.channel === 'webhook' ? 'all' : setup.connector.channel;
    for (const member of rejected) {
      const hint = outcomes.rejected.get(member.profileId)?.suppress;
      const value = hint ? member.identifiers[hint.identifier] : undefined;
      if (!hint || !value) continue;
      await tx.query(
        `INSERT INTO suppressions (identifier_type, identifier_value, channel, reason) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
        [hint.identifier, value, channel, hint.reason],
      );
    }
  }

  /** Batches a crashed execution sent without recording the answer: same members, same idempotency key. */
  private async replayInFlight(execution: Execution): Promise<void> {
    const { setup } = execution;
    const rows: { seq: number; action: BatchAction; profile_ids: string[]; idempotency_key: string }[] = await this.dataSource.query(
      `SELECT seq, action, profile_ids, idempotency_key FROM sync_batches WHERE sync_run_id = $1 AND status = 'in_flight' ORDER BY seq`,
      [setup.run.id],
    );
    for (const row of rows) {
      const candidates =
        row.action === 'remove' ? await readHeldIdentifiers(this.dataSource.manager, setup.activation.id, row.profile_ids) : await readProfiles(this.dataSource.manager, setup.scope, row.profile_ids);
      const classified = candidates.map((candidate) => (row.action === 'remove' ? classifyRemove(candidate, setup.rules) : classifyAdd(candidate, setup.rules)));
      const members = eligibleMembers(classified);
      if (members.length === 0) {
        await this.dataSource.query(`UPDATE sync_batches SET status = 'failed', error = 'no member of the batch is eligible any more' WHERE sync_run_id = $1 AND seq = $2`, [setup.run.id, row.seq]);
        continue;
      }
      await addCounts(this.dataSource.manager, setup.run.id, { replayedBatches: 1 });
      await this.callAndAck(execution, { seq: row.seq, key: row.idempotency_key, action: row.action, members, recorded: true, last: row.idempotency_key.endsWith(':last'), total: execution.replaceTotal }, 1);
      if (execution.aborted) throw execution.aborted;
    }
  }

  /** Get-or-create of the vendor-side list, once per activation; its id is kept on the activation. */
  private async ensureAudience(execution: Execution): Promise<void> {
    const { setup } = execution;
    const ensure = setup.connector.ensureAudience?.bind(setup.connector);
    if (!ensure || setup.addAction !== 'add' || setup.activation.externalAudienceId) return;
    const result = await callWithPolicy(execution.gate, this.options, (signal) =>
      ensure(
        { settings: setup.settings, secrets: setup.secrets, baseUrl: setup.baseUrl, idempotencyKey: `${setup.activation.id}:audience`, signal, logger: setup.logger, http: setup.http },
        { name: `audiencekit: ${setup.activation.name}`, activationId: setup.activation.id },
      ),
    );
    const externalId = result.kind === 'answered' ? (result.value as { externalId?: unknown } | null)?.externalId : undefined;
    if (typeof externalId !== 'string' || externalId.length === 0) {
      const reason = result.kind === 'failed' ? result.reason : 'ensureAudience returned no externalId';
      throw new SyncException('unsupported_mode', `could not get or create the vendor audience: ${reason}`);
    }
    await this.dataSource.query(`UPDATE activations SET external_audience_id = $2 WHERE id = $1`, [setup.activation.id, externalId]);
    setup.activation.externalAudienceId = externalId;
  }

  /** The vendor's own count of the audience, next to what we sent (best effort). */
  private async recordAudienceSize(execution: Execution): Promise<void> {
    const { setup } = execution;
    const audienceSize = setup.connector.audienceSize?.bind(setup.connector);
    if (!audienceSize) return;
    try {
      const result = await callWithPolicy(execution.gate, { ...this.options, maxAttempts: 1 }, (signal) =>
        audienceSize({
          settings: setup.settings,
          secrets: setup.secrets,
          baseUrl: setup.baseUrl,
          audience: setup.activation.externalAudienceId ? { externalId: setup.activation.externalAudienceId } : undefined,
          idempotencyKey: `${setup.run.id}:audience-size`,
          signal,
          logger: setup.logger,
          http: setup.http,
        }),
      );
      if (result.kind === 'answered' && typeof result.value === 'number' && Number.isFinite(result.value)) {
        await this.dataSource.query(`UPDATE sync_runs SET counts = counts || jsonb_build_object('audienceSize', $2::bigint) WHERE id = $1`, [setup.run.id, Math.round(result.value)]);
      }
    } catch (error) {
      if (error instanceof SyncException && error.code === 'invalid_credentials') throw error;
      this.logger.warn(`audience size of run ${setup.run.id} unavailable: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /**
   * After a run that changed many member states, refresh the planner's statistics of
   * activation_members: with the stale estimate of a table that was empty, the next run's diff
   * (an anti-join against it) would be planned as a nested loop over the whole table.
   */
  private async refreshStatistics(runId: string): Promise<void> {
    const counts = await countsOf(this.dataSource.manager, runId);
    const changed = (counts['added'] ?? 0) + (counts['refreshed'] ?? 0) + (counts['sent'] ?? 0) + (counts['removed'] ?? 0) + (counts['rejected'] ?? 0);
    if (changed >= STATISTICS_REFRESH_ROWS) await this.dataSource.query(`ANALYZE activation_members`);
  }

  /** A destination or activation deleted mid-run stops the run before its next page. */
  private async assertLive(setup: SyncSetup): Promise<void> {
    const rows: { deleted_at: Date | null; status: string }[] = await this.dataSource.query(
      `SELECT d.deleted_at, a.status FROM activations a LEFT JOIN destinations d ON d.id = a.destination_id WHERE a.id = $1`,
      [setup.activation.id],
    );
    if (rows.length === 0 || rows[0].status === 'deleted' || rows[0].status === 'archived') throw new SyncException('activation_deleted', 'the activation was deleted during the run');
    if (rows[0].deleted_at) throw new SyncException('destination_deleted', 'the destination was deleted during the run');
  }

  private async finishDelivery(runId: string, started: number): Promise<SyncOutcome> {
    const counts = await countsOf(this.dataSource.manager, runId);
    const delivered = (counts['added'] ?? 0) + (counts['refreshed'] ?? 0) + (counts['sent'] ?? 0) + (counts['removed'] ?? 0);
    const status = (counts['failed'] ?? 0) === 0 ? 'succeeded' : delivered > 0 ? 'partial' : 'failed';
    await this.finish(runId, status, started, {});
    return { status, counts };
  }

  private async finish(
    runId: string,
    status: 'succeeded' | 'partial' | 'failed',
    started: number,
    extra: { counts?: Counts; plan?: Record<string, unknown>; errors?: Record<string, unknown>[]; appendErrors?: Record<string, unknown>[] },
  ): Promise<void> {
    if (extra.appendErrors) await appendErrors(this.dataSource.manager, runId, extra.appendErrors);
    await this.dataSource.query(
      `UPDATE sync_runs SET status = $2, finished_at = now(), duration_ms = $3,
              counts = CASE WHEN $4::jsonb IS NULL THEN counts ELSE $4::jsonb END,
              plan = coalesce($5::jsonb, plan),
              errors = CASE WHEN $6::jsonb IS NULL THEN errors ELSE $6::jsonb END
       WHERE id = $1`,
      [runId, status, Math.max(0, Date.now() - started), extra.counts ? JSON.stringify(extra.counts) : null, extra.plan ? JSON.stringify(extra.plan) : null, extra.errors ? JSON.stringify(extra.errors.map(boundErrorEntry)) : null],
    );
  }

  private async markRunning(run: SyncRunEntity): Promise<void> {
    if (run.status === 'running') return;
    await this.dataSource.query(`UPDATE sync_runs SET status = 'running', started_at = now() WHERE id = $1 AND status = 'queued'`, [run.id]);
  }

  private progressOf(run: SyncRunEntity, setup: SyncSetup): Progress {
    const stored = run.progress as Progress | null;
    return stored && (stored.phase === 'done' || setup.phases.includes(stored.phase)) ? stored : { phase: setup.phases[0], cursor: null, page: null };
  }

  private async saveProgress(manager: EntityManager, runId: string, progress: Progress): Promise<void> {
    await manager.query(`UPDATE sync_runs SET progress = $2::jsonb WHERE id = $1`, [runId, JSON.stringify(progress)]);
  }

  private async nextSeq(runId: string): Promise<number> {
    const [row] = await this.dataSource.query(`SELECT coalesce(max(seq), 0) + 1 AS next FROM sync_batches WHERE sync_run_id = $1`, [runId]);
    return Number(row.next);
  }

  /**
   * About two seconds of calls per page (at least 10 batches), so page turns stay rare next to the
   * calls; the first pages of a phase are smaller (2, 4, 8, ... batches) so the first call goes out
   * without waiting for a large read.
   */
  private pageSize(setup: SyncSetup, pageIndex = Number.POSITIVE_INFINITY): number {
    if (this.options.pageSize) return this.options.pageSize;
    const { maxBatchSize, maxRequestsPerSecond } = setup.limits;
    const full = Math.max(1, maxBatchSize) * Math.max(10, Math.ceil(2 * (maxRequestsPerSecond ?? 0)));
    return Math.min(full, Math.max(1, maxBatchSize) * 2 ** Math.min(30, pageIndex + 1));
  }

  /**
   * One run per destination at a time, across every worker: a session advisory lock on a connection
   * held for the run (released if the process dies). Busy → the queue retries the job later.
   */
  private async lockDestination(run: SyncRunEntity): Promise<{ release: () => Promise<void> }> {
    const [activation]: { destination_id: string }[] = await this.dataSource.query(`SELECT destination_id FROM activations WHERE id = $1`, [run.activationId]);
    if (!activation) return { release: async () => undefined };
    const runner: QueryRunner = this.dataSource.createQueryRunner();
    await runner.connect();
    const key = `sync-destination:${activation.destination_id}`;
    const [{ locked }] = await runner.query(`SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked`, [key]);
    if (!locked) {
      await runner.release();
      throw new SyncException('destination_busy', `destination ${activation.destination_id} is being synced by another run`);
    }
    return {
      release: async () => {
        try {
          await runner.query(`SELECT pg_advisory_unlock(hashtextextended($1, 0))`, [key]);
        } finally {
          await runner.release();
        }
      },
    };
  }
}

function eligibleMembers(classified: Classified[]): EligibleMember[] {
  return classified.flatMap((item) => (item.member ? [item.member] : []));
}

function heldOutMembers(classified: Classified[]): HeldOutMember[] {
  return classified.flatMap((item): HeldOutMember[] =>
    item.verdict === 'heldOutGlobal' ? [{ profileId: item.profileId, arm: 'global_holdout' }] : item.verdict === 'heldOutActivation' ? [{ profileId: item.profileId, arm: 'control' }] : [],
  );
}

function metricLabels(setup: SyncSetup): { destination: string; connector: string } {
  return { destination: setup.destination.id, connector: setup.connector.slug };
}
