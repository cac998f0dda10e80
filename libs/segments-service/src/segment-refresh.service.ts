import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { SegmentRunEntity, SegmentRunQuality } from '@audiencekit/persistence';
import { JobQueue, QUEUES } from '@audiencekit/server-core';
import { isUuid, REALTIME_CADENCE } from '@audiencekit/util';
import { isFittedDefinition, parseSegmentDefinition, type StoredClvModel } from '@audiencekit/segments-domain';
import { clvMembers } from './clv-segments';
import { ModelSegmentsService, StoredModel } from './model-segments.service';
import { SegmentDefinitionGate } from './segment-definition.gate';
import {
  applyRecordedChanges,
  countMembers,
  createRefreshMembers,
  findRun,
  insertEntryExitEvents,
  insertQueuedRun,
  insertRefreshMemberIds,
  insertRefreshMembersOf,
  lockRunCancelRequested,
  recordAdds,
  RefreshTrigger,
  requestRunCancel,
  recordRemoves,
  saveSucceededRun,
  tryLockSegmentRefresh,
  updateRun,
} from './segment-refresh.repository';
import { countSettledCorrections, lockSegmentExclusive, touchProfilesChangedBy } from './realtime/realtime.repository';
import { findVersionOrFail } from './segments.repository';
import { SegmentsException } from './segments.exception';
import { SegmentsService } from './segments.service';

export interface RefreshJob {
  runId: string;
}

/** Another worker holds the segment: the queue retries the job later. */
export class SegmentBusyException extends Error {
  constructor(readonly segmentId: string) {
    super(`segment ${segmentId} is being refreshed by another worker`);
    this.name = 'SegmentBusyException';
  }
}

/** A cancel was asked while the refresh ran: its transaction rolls back, nothing is written. */
class RefreshCancelled extends Error {
  constructor(readonly runId: string) {
    super(`refresh run ${runId} was cancelled`);
    this.name = 'RefreshCancelled';
  }
}

export interface RunOutcome {
  status: 'succeeded' | 'failed' | 'skipped' | 'cancelled';
  size?: number;
  adds?: number;
  removes?: number;
  /** Real-time segments: memberships the reconciliation corrected on profiles real time had settled (expected 0). */
  corrections?: number;
  error?: string;
}

// Job retries cover a worker that died mid-run (pg-boss re-delivers after expiry) and a segment
// busy in another worker; a failing definition is recorded as a failed run, never retried.
const REFRESH_JOB_OPTIONS = { retryLimit: 20, retryDelay: 5, retryBackoff: true, expireInMinutes: 30 };

/**
 * Refreshes a segment: computes its members with the compiled SQL inside Postgres, and in ONE
 * transaction records adds/removes, replaces the membership and emits Segment Entered / Exited
 * events. A failure rolls all of it back, so the previous membership stays intact; the run is then
 * marked failed with the reason.
 */
@Injectable()
export class SegmentRefreshService {
  private readonly logger = new Logger(SegmentRefreshService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly segments: SegmentsService,
    private readonly definitions: SegmentDefinitionGate,
    private readonly queue: JobQueue,
    private readonly models: ModelSegmentsService = new ModelSegmentsService(),
  ) {}

  /**
   * Records a queued run and enqueues its job in the same transaction. With `scheduledFor`, a
   * second request for the same fire time (another worker's tick) is a no-op and returns null.
   */
  async requestRefresh(segmentId: string, trigger: RefreshTrigger, scheduledFor?: Date): Promise<SegmentRunEntity | null> {
    return this.dataSource.transaction(async (manager) => {
      const segment = await this.segments.findLive(manager, segmentId);
      const run = await insertQueuedRun(manager, {
        segmentId: segment.id,
        version: segment.currentVersion,
        trigger,
        scheduledFor: scheduledFor ?? null,
      });
      if (!run) return null;
      await this.queue.sendInTransaction(manager, QUEUES.segmentRefresh, { runId: run.id } satisfies RefreshJob, REFRESH_JOB_OPTIONS);
      return run;
    });
  }

  /** Executes a queued (or interrupted) run. Idempotent: a finished run is not run again. */
  async execute(runId: string, now: Date = new Date()): Promise<RunOutcome> {
    const manager = this.dataSource.manager;
    const run = await findRun(manager, runId);
    if (!run || run.status === 'succeeded' || run.status === 'failed' || run.status === 'cancelled') return { status: 'skipped' };
    const started = Date.now();
    if (run.cancelRequestedAt) return this.markCancelled(run.id, started);
    await updateRun(manager, run.id, { status: 'running', startedAt: new Date() });
    try {
      const counts = await this.dataSource.transaction((transaction) => this.computeAndSwap(transaction, run, now, started));
      return { status: 'succeeded', ...counts };
    } catch (error) {
      if (error instanceof RefreshCancelled) return this.markCancelled(run.id, started);
      if (error instanceof SegmentBusyException) {
        await updateRun(manager, run.id, { status: 'queued', startedAt: null });
        throw error;
      }
      const reason = error instanceof Error ? error.message : String(error);
      this.logger.warn(`refresh of segment ${run.segmentId} (run ${run.id}) failed: ${reason}`);
      await updateRun(manager, run.id, {
        status: 'failed',
        error: reason.slice(0, 2_000),
        finishedAt: new Date(),
        durationMs: Date.now() - started,
      });
      return { status: 'failed', error: reason };
    }
  }

  /**
   * Cancels a queued run at once, or asks a running one to stop: it rolls back at its commit, so
   * the membership stays as it was. Returns the run as it is now.
   * @throws {SegmentsException} `run_not_found` (404), `run_not_cancellable` (409: already finished).
   */
  async cancel(segmentId: string, runId: string): Promise<SegmentRunEntity> {
    const manager = this.dataSource.manager;
    const run = await this.runOf(segmentId, runId);
    if ((await requestRunCancel(manager, run.segmentId, run.id)) === null) {
      const now = await findRun(manager, run.id);
      throw new SegmentsException(
        'run_not_cancellable',
        `refresh run ${runId} is ${now?.status}; only queued or running runs can be cancelled`,
        [{ path: 'runId', message: `run is ${now?.status}` }],
      );
    }
    return (await findRun(manager, run.id)) as SegmentRunEntity;
  }

  /**
   * Retries a failed or cancelled run: a new run of the segment's current version (trigger `retry`).
   * @throws {SegmentsException} `run_not_found` (404), `run_not_retryable` (409).
   */
  async retry(segmentId: string, runId: string): Promise<SegmentRunEntity> {
    const run = await this.runOf(segmentId, runId);
    if (run.status !== 'failed' && run.status !== 'cancelled')
      throw new SegmentsException('run_not_retryable', `refresh run ${runId} is ${run.status}; only failed or cancelled runs are retried`, [
        { path: 'runId', message: `run is ${run.status}` },
      ]);
    return (await this.requestRefresh(run.segmentId, 'retry')) as SegmentRunEntity;
  }

  private async runOf(segmentId: string, runId: string): Promise<SegmentRunEntity> {
    const segment = await this.segments.findLive(this.dataSource.manager, segmentId);
    const run = isUuid(runId) ? await findRun(this.dataSource.manager, runId) : null;
    if (!run || run.segmentId !== segment.id) throw new SegmentsException('run_not_found', `segment ${segmentId} has no run ${runId}`);
    return run;
  }

  private async markCancelled(runId: string, started: number): Promise<RunOutcome> {
    await updateRun(this.dataSource.manager, runId, { status: 'cancelled', finishedAt: new Date(), durationMs: Date.now() - started });
    this.logger.log(`refresh run ${runId} cancelled`);
    return { status: 'cancelled' };
  }

  private async computeAndSwap(
    manager: EntityManager,
    run: SegmentRunEntity,
    now: Date,
    started: number,
  ): Promise<{ size: number; adds: number; removes: number; corrections?: number }> {
    if (!(await tryLockSegmentRefresh(manager, run.segmentId))) throw new SegmentBusyException(run.segmentId);
    const segment = await this.segments.findLive(manager, run.segmentId);
    // A real-time segment's refresh is its reconciliation: real-time batches writing its membership
    // finish first and wait for it, so it compares against a membership nobody moves meanwhile.
    const reconciles = segment.refreshCadence === REALTIME_CADENCE;
    if (reconciles) await lockSegmentExclusive(manager, run.segmentId);
    const version = await findVersionOrFail(manager, run.segmentId, run.version);
    const definition = parseSegmentDefinition(version.definition);

    await createRefreshMembers(manager);
    if (isFittedDefinition(definition)) {
      // Cluster / propensity: features aggregated in SQL, scored with the model stored with this version.
      await insertRefreshMemberIds(manager, await this.models.members(manager, definition, version.model as StoredModel | null, now));
    } else if (definition.type === 'clv') {
      // Lifetime value: every profile's orders up to now, scored with the version's stored model and thresholds.
      await insertRefreshMemberIds(manager, await clvMembers(manager, definition, version.model as StoredClvModel | null, now));
    } else {
      await insertRefreshMembersOf(manager, this.definitions.compile(definition, now, { segmentId: run.segmentId, version: run.version }));
    }
    const previous = await countMembers(manager, run.segmentId);
    const adds = await recordAdds(manager, run, now);
    const removes = await recordRemoves(manager, run, now);
    await applyRecordedChanges(manager, run);
    await insertEntryExitEvents(manager, run.id, segment.key, now);

    const size = previous + adds - removes;
    const quality = assessQuality({ size, previous, adds, removes }, segment.qualityThresholds);
    const corrections = reconciles ? await countSettledCorrections(manager, run.id, now) : null;
    if (reconciles) await touchProfilesChangedBy(manager, run.id);
    if (corrections)
      this.logger.warn({ segment: segment.key, runId: run.id, corrections }, 'reconciliation corrected real-time membership');
    // Last stop before commit: a cancel asked meanwhile rolls all of it back (the lock makes a later cancel wait and then find the run finished).
    if (await lockRunCancelRequested(manager, run.id)) throw new RefreshCancelled(run.id);
    // The duration is written with the status, in the same transaction, so nobody reads a succeeded run without one.
    await saveSucceededRun(manager, {
      id: run.id,
      size,
      adds,
      removes,
      quality,
      corrections,
      finishedAt: new Date(),
      durationMs: Date.now() - started,
    });
    return { size, adds, removes, ...(corrections === null ? {} : { corrections }) };
  }
}

export type RunQuality = SegmentRunQuality;

/** Quality flags of one run, stored with it: empty, below the minimum size, churn above the threshold. */
export function assessQuality(
  counts: { size: number; previous: number; adds: number; removes: number },
  thresholds: { minSize: number; maxChurn: number },
): RunQuality {
  const churn = counts.previous > 0 ? (counts.adds + counts.removes) / counts.previous : null;
  return {
    empty: counts.size === 0,
    notSubstantial: counts.size < thresholds.minSize,
    unstable: churn !== null && churn > thresholds.maxChurn,
    churn,
    minSize: thresholds.minSize,
    maxChurn: thresholds.maxChurn,
  };
}
