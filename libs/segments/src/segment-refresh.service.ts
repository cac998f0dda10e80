import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { SegmentRunEntity, SegmentVersionEntity } from '@audiencekit/persistence';
import { JobQueue, QUEUES } from '@audiencekit/server-core';
import { isFittedDefinition, parseSegmentDefinition } from '@audiencekit/segmentation';
import { ModelSegmentsService, StoredModel } from './model-segments.service';
import { SegmentDefinitionGate } from './segment-definition.gate';
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

export interface RunOutcome {
  status: 'succeeded' | 'failed' | 'skipped';
  size?: number;
  adds?: number;
  removes?: number;
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
  async requestRefresh(segmentId: string, trigger: 'manual' | 'schedule' | 'api', scheduledFor?: Date): Promise<SegmentRunEntity | null> {
    return this.dataSource.transaction(async (manager) => {
      const segment = await this.segments.findLive(manager, segmentId);
      const inserted: SegmentRunEntity[] = await manager.query(
        `INSERT INTO segment_runs (segment_id, version, status, trigger, scheduled_for)
         VALUES ($1, $2, 'queued', $3, $4)
         ON CONFLICT (segment_id, scheduled_for) DO NOTHING
         RETURNING id`,
        [segment.id, segment.currentVersion, trigger, scheduledFor ?? null],
      );
      if (inserted.length === 0) return null;
      const run = await manager.getRepository(SegmentRunEntity).findOneByOrFail({ id: inserted[0].id });
      await this.queue.sendInTransaction(manager, QUEUES.segmentRefresh, { runId: run.id } satisfies RefreshJob, REFRESH_JOB_OPTIONS);
      return run;
    });
  }

  /** Executes a queued (or interrupted) run. Idempotent: a finished run is not run again. */
  async execute(runId: string, now: Date = new Date()): Promise<RunOutcome> {
    const run = await this.dataSource.getRepository(SegmentRunEntity).findOneBy({ id: runId });
    if (!run || run.status === 'succeeded' || run.status === 'failed') return { status: 'skipped' };
    const started = Date.now();
    await this.dataSource.getRepository(SegmentRunEntity).update(run.id, { status: 'running', startedAt: new Date() });
    try {
      const counts = await this.dataSource.transaction((manager) => this.computeAndSwap(manager, run, now, started));
      return { status: 'succeeded', ...counts };
    } catch (error) {
      if (error instanceof SegmentBusyException) {
        await this.dataSource.getRepository(SegmentRunEntity).update(run.id, { status: 'queued', startedAt: null });
        throw error;
      }
      const reason = error instanceof Error ? error.message : String(error);
      this.logger.warn(`refresh of segment ${run.segmentId} (run ${run.id}) failed: ${reason}`);
      await this.dataSource
        .getRepository(SegmentRunEntity)
        .update(run.id, { status: 'failed', error: reason.slice(0, 2_000), finishedAt: new Date(), durationMs: Date.now() - started });
      return { status: 'failed', error: reason };
    }
  }

  private async computeAndSwap(manager: EntityManager, run: SegmentRunEntity, now: Date, started: number): Promise<{ size: number; adds: number; removes: number }> {
    const [{ locked }] = await manager.query(`SELECT pg_try_advisory_xact_lock(hashtextextended('segment-refresh:' || $1, 0)) AS locked`, [run.segmentId]);
    if (!locked) throw new SegmentBusyException(run.segmentId);
    const segment = await this.segments.findLive(manager, run.segmentId);
    const version = await manager.getRepository(SegmentVersionEntity).findOneByOrFail({ segmentId: run.segmentId, version: run.version });
    const definition = parseSegmentDefinition(version.definition);

    await manager.query(`CREATE TEMP TABLE refresh_members (profile_id uuid PRIMARY KEY) ON COMMIT DROP`);
    if (isFittedDefinition(definition)) {
      // Cluster / propensity: features aggregated in SQL, scored with the model stored with this version.
      const members = await this.models.members(manager, definition, version.model as StoredModel | null, now);
      await manager.query(`INSERT INTO refresh_members (profile_id) SELECT DISTINCT unnest($1::uuid[])`, [members]);
    } else {
      const query = this.definitions.compile(definition, now);
      await manager.query(`INSERT INTO refresh_members (profile_id) SELECT DISTINCT q.profile_id FROM (${query.text}) q`, query.values);
    }
    const [{ previous }] = await manager.query(`SELECT count(*)::int AS previous FROM segment_memberships WHERE segment_id = $1`, [run.segmentId]);

    const common = [run.id, run.segmentId, run.version, now];
    const adds = await this.insertChanges(
      manager,
      `SELECT $1::uuid, $2::uuid, n.profile_id, 'added', $3::int, $4::timestamptz FROM refresh_members n
       WHERE NOT EXISTS (SELECT 1 FROM segment_memberships m WHERE m.segment_id = $2 AND m.profile_id = n.profile_id)`,
      common,
    );
    const removes = await this.insertChanges(
      manager,
      `SELECT $1::uuid, $2::uuid, m.profile_id, 'removed', $3::int, $4::timestamptz FROM segment_memberships m
       WHERE m.segment_id = $2 AND NOT EXISTS (SELECT 1 FROM refresh_members n WHERE n.profile_id = m.profile_id)`,
      common,
    );
    await manager.query(
      `DELETE FROM segment_memberships m USING segment_membership_changes c
       WHERE c.run_id = $1 AND c.change = 'removed' AND m.segment_id = $2 AND m.profile_id = c.profile_id`,
      [run.id, run.segmentId],
    );
    await manager.query(
      `INSERT INTO segment_memberships (segment_id, profile_id, entered_at, run_id)
       SELECT segment_id, profile_id, changed_at, run_id FROM segment_membership_changes WHERE run_id = $1 AND change = 'added'`,
      [run.id],
    );
    await this.emitEntryExitEvents(manager, run, segment.key, now);

    const size = previous + adds - removes;
    const quality = assessQuality({ size, previous, adds, removes }, segment.qualityThresholds);
    // The duration is written with the status, in the same transaction, so nobody reads a succeeded run without one.
    await manager.getRepository(SegmentRunEntity).save({ id: run.id, status: 'succeeded', size, adds, removes, quality, finishedAt: new Date(), durationMs: Date.now() - started });
    return { size, adds, removes };
  }

  private async insertChanges(manager: EntityManager, select: string, params: unknown[]): Promise<number> {
    const [{ count }] = await manager.query(
      `WITH inserted AS (
         INSERT INTO segment_membership_changes (run_id, segment_id, profile_id, change, version, changed_at) ${select}
         RETURNING 1)
       SELECT count(*)::int AS count FROM inserted`,
      params,
    );
    return count;
  }

  /** Entry and exit as ordinary track events, so activations, webhooks and other segments can use them. */
  private async emitEntryExitEvents(manager: EntityManager, run: SegmentRunEntity, segmentKey: string, now: Date): Promise<void> {
    await manager.query(
      `INSERT INTO events (message_id, profile_id, type, name, timestamp, properties)
       SELECT 'segment:' || c.run_id || ':' || c.profile_id || ':' || c.change, c.profile_id, 'track',
              CASE c.change WHEN 'added' THEN 'Segment Entered' ELSE 'Segment Exited' END, $2::timestamptz,
              jsonb_build_object('segment_id', c.segment_id, 'segment_key', $3::text, 'segment_version', c.version, 'run_id', c.run_id)
       FROM segment_membership_changes c WHERE c.run_id = $1
       ON CONFLICT (message_id, source_id) DO NOTHING`,
      [run.id, now, segmentKey],
    );
  }
}

export interface RunQuality {
  empty: boolean;
  notSubstantial: boolean;
  unstable: boolean;
  churn: number | null;
  minSize: number;
  maxChurn: number;
}

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
