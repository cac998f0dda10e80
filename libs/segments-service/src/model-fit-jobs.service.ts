import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import {
  type ClusterDefinition,
  compileFeatureSql,
  sameFitSpecification,
  type FittedDefinition,
  isFittedDefinition,
  sameClvFit,
  parseSegmentDefinition,
  type SegmentDefinition,
} from '@audiencekit/segments-domain';
import { AnalyticsDatabase, APP_CONFIG, type AppConfig, JobQueue, QUEUES } from '@audiencekit/server-core';
import { CodedException, isUuid, latestDueFireTime, REALTIME_CADENCE } from '@audiencekit/util';
import {
  countFeatureRows,
  findFitJob,
  fitJobsOfSegment,
  finishFitJob,
  type FitJobKind,
  type FitJobRow,
  type FitJobState,
  insertFitJob,
  markFitJobRunning,
  segmentsWithRefitCadence,
  updateFitJobProgress,
} from './model-fit-jobs.repository';
import { sameDefinition } from './same-definition';
import { assertSeenAndActive } from './model-population';
import { ModelSegmentsService } from './model-segments.service';
import { SegmentDefinitionGate } from './segment-definition.gate';
import { CreateSegmentInput, UpdateSegmentInput } from './segment-input.schema';
import { SegmentsException } from './segments.exception';
import { SegmentsService } from './segments.service';
import { findVersion, segmentKeyExists } from './segments.repository';

/** The job a fit is queued as: only its row id travels through pg-boss; the row holds the input. */
export interface FitJob {
  fitJobId: string;
}

/** What GET /segments/fits/:id answers. */
export interface FitJobView {
  id: string;
  kind: FitJobKind;
  /** The segment (null for a create not finished yet and for a k choice). */
  segmentId: string | null;
  state: FitJobState;
  /** Where the fit is: queued, reading features, fitting k = 4, training, saving, succeeded, failed. */
  stage: string;
  /** 0..1. */
  progress: number;
  /** The work the cap was checked against (restarts × k tried × rows, or rows × features × 100). */
  work: number;
  /** Where to poll. */
  url: string;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  /** On success: `{ segment, version }` (create / update / refit) or the k curves (choose_k). */
  result: Record<string, unknown> | null;
  /** On failure: the refusal the synchronous route used to answer (`code`, `message`, `details`). */
  error: Record<string, unknown> | null;
}

/** The caps of a fit's work (AK_FIT_WORK_CAP, AK_PROPENSITY_WORK_CAP). */
export interface FitWorkCaps {
  cluster: number;
  propensity: number;
}
export const FIT_WORK_CAPS = Symbol('FIT_WORK_CAPS');
export const DEFAULT_FIT_WORK_CAPS: FitWorkCaps = { cluster: 20_000_000, propensity: 3_000_000_000 };
/** The trainer's most Newton iterations (libs/segments-domain logistic regression). */
const PROPENSITY_ITERATIONS = 100;

// A fit that fails is recorded as failed, never retried; the retries cover a worker that died
// mid-fit (pg-boss re-delivers after the expiry, and the job runs again from the start).
const FIT_JOB_OPTIONS = { retryLimit: 3, retryDelay: 5, expireInMinutes: 60 };

/**
 * Model fits as worker jobs (#21 "Fits in the worker"): creating or changing a cluster / propensity / clv
 * segment's fit, refitting it, and choosing k are queued here and answered 202 with a job to poll;
 * the worker runs `execute` (apps/worker ModelFitJobs). Everything cheap is checked before the job
 * is queued — the definition, the key, real time, the features' sources, and the work cap — so a
 * bad request is a 4xx at once and nothing is queued. What only the fit can find (too few profiles,
 * a constant feature, AUC below the floor) fails the job with the same code and details.
 */
@Injectable()
export class ModelFitJobsService {
  private readonly logger = new Logger(ModelFitJobsService.name);
  private readonly analytics: Pick<AnalyticsDatabase, 'run'>;
  private readonly caps: FitWorkCaps;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly segments: SegmentsService,
    private readonly definitions: SegmentDefinitionGate,
    private readonly queue: JobQueue,
    private readonly models: ModelSegmentsService,
    @Optional() @Inject(APP_CONFIG) config?: AppConfig,
    @Optional() analytics?: AnalyticsDatabase,
  ) {
    this.caps = config ? { cluster: config.AK_FIT_WORK_CAP, propensity: config.AK_PROPENSITY_WORK_CAP } : DEFAULT_FIT_WORK_CAPS;
    this.analytics = analytics ?? { run: (work) => work(dataSource.manager) };
  }

  /** A create that needs a fit, queued; null when the definition has no model (create it synchronously). */
  async requestCreate(input: CreateSegmentInput, actor: string | null, now: Date = new Date()): Promise<FitJobView | null> {
    const definition = this.definitions.parse(input.definition);
    if (!isFittedDefinition(definition) && definition.type !== 'clv') return null;
    if (input.refreshCadence === REALTIME_CADENCE) this.definitions.assertRealtimeType(definition);
    if (await segmentKeyExists(this.dataSource.manager, input.key)) {
      throw new SegmentsException('segment_key_taken', `a segment with key "${input.key}" already exists`, [
        { path: 'key', message: 'is taken' },
      ]);
    }
    // A lifetime-value fit has no work cap yet (its cost grows with the orders, not with a setting to lower).
    const work = definition.type === 'clv' ? 0 : await this.checkedWork(definition, now);
    return this.enqueue({ kind: 'create', segmentId: null, input, actor, work });
  }

  /** A change whose new definition needs a fit, queued (card and version written together by the worker); null otherwise. */
  async requestUpdate(id: string, input: UpdateSegmentInput, actor: string | null, now: Date = new Date()): Promise<FitJobView | null> {
    if (input.definition === undefined) return null;
    const definition = this.definitions.parse(input.definition);
    if (!isFittedDefinition(definition) && definition.type !== 'clv') return null;
    const segment = await this.segments.findLive(this.dataSource.manager, id);
    const current = await findVersion(this.dataSource.manager, segment.id, segment.currentVersion);
    if (current && sameDefinition(current.definition, definition)) return null;
    const reusesModel =
      current?.model &&
      (definition.type === 'clv'
        ? sameClvFit(current.definition, definition)
        : isFittedDefinition(current.definition as { type: string }) && sameFit(current.definition as FittedDefinition, definition));
    if (reusesModel) return null;
    if ((input.refreshCadence ?? segment.refreshCadence) === REALTIME_CADENCE) this.definitions.assertRealtimeType(definition);
    await this.dataSource.transaction((manager) => this.definitions.assertNoCycle(manager, segment.id, definition));
    const work = definition.type === 'clv' ? 0 : await this.checkedWork(definition, now);
    return this.enqueue({ kind: 'update', segmentId: segment.id, input, actor, work });
  }

  /** A refit, queued. With `scheduledFor` (a cadence fire time), null when that fire time already has one. */
  async requestRefit(id: string, actor: string | null, scheduledFor?: Date, now: Date = new Date()): Promise<FitJobView | null> {
    const segment = await this.segments.findLive(this.dataSource.manager, id);
    const current = await findVersion(this.dataSource.manager, segment.id, segment.currentVersion);
    const definition = parseSegmentDefinition(current?.definition ?? {});
    if (!isFittedDefinition(definition) && definition.type !== 'clv') {
      throw new SegmentsException(
        'not_a_model_segment',
        `segment ${id} is a ${definition.type} segment; only cluster, propensity and clv segments are fitted`,
      );
    }
    // As on create, a lifetime-value fit has no work cap.
    const work = definition.type === 'clv' ? 0 : await this.checkedWork(definition, now);
    return this.enqueue({ kind: 'refit', segmentId: segment.id, input: {}, actor, work, scheduledFor });
  }

  /**
   * A k choice, queued. Refused at once (400, nothing queued) when the population has too few
   * profiles for `kMax`, saying why: see {@link refuseTooFewForK}.
   */
  async requestChooseK(definitionInput: unknown, range: { kMin: number; kMax: number }, now: Date = new Date()): Promise<FitJobView> {
    const definition = this.definitions.parse(definitionInput);
    if (definition.type !== 'cluster') {
      throw new SegmentsException('not_a_cluster_definition', 'choosing k needs a cluster definition', [
        { path: 'definition.type', message: `must be "cluster", got "${definition.type}"` },
      ]);
    }
    const rows = await this.analytics.run((manager) => this.countRows(manager, definition, now));
    if (rows <= range.kMax) await this.analytics.run((manager) => refuseTooFewForK(manager, definition, rows, range.kMax, now));
    const work = await this.checkedWork(definition, now, range, rows);
    return (await this.enqueue({ kind: 'choose_k', segmentId: null, input: { definition, ...range }, actor: null, work })) as FitJobView;
  }

  /**
   * Queues the refits whose cadence is due (every worker may call it on its tick: one job per
   * segment and fire time, the unique index makes the others no-ops). A refit refused before
   * queueing (over the cap, the segment's features gone) is logged and tried at the next fire time.
   */
  async enqueueDueRefits(now: Date = new Date()): Promise<string[]> {
    const queued: string[] = [];
    for (const candidate of await segmentsWithRefitCadence(this.dataSource.manager)) {
      const due = latestDueFireTime(candidate.refit_cadence, new Date(candidate.since), now);
      if (!due) continue;
      try {
        const job = await this.requestRefit(candidate.id, 'schedule', due, now);
        if (job) queued.push(job.id);
      } catch (error) {
        this.logger.warn(
          `scheduled refit of segment ${candidate.id} not queued: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
    return queued;
  }

  async get(id: string): Promise<FitJobView> {
    const row = isUuid(id) ? await findFitJob(this.dataSource.manager, id) : null;
    if (!row) throw new SegmentsException('fit_job_not_found', `no model fit job with id ${id}`);
    return toView(row);
  }

  /** A segment's latest fit jobs (create jobs appear once they have written the segment), newest first. */
  async ofSegment(segmentId: string, limit = 10): Promise<FitJobView[]> {
    const segment = await this.segments.findLive(this.dataSource.manager, segmentId);
    return (await fitJobsOfSegment(this.dataSource.manager, segment.id, limit)).map(toView);
  }

  /**
   * Runs a queued fit (the worker's handler). A refusal is stored as the job's error; a finished job
   * is not run again. Returns the job as it ends.
   */
  async execute(id: string, now: Date = new Date()): Promise<FitJobView> {
    const manager = this.dataSource.manager;
    const row = await findFitJob(manager, id);
    if (!row) throw new SegmentsException('fit_job_not_found', `no model fit job with id ${id}`);
    if (row.state === 'succeeded' || row.state === 'failed') return toView(row);
    await markFitJobRunning(manager, id);
    const progress = (stage: string, fraction: number) => updateFitJobProgress(manager, id, stage, fraction);
    try {
      const { result, segmentId } = await this.run(row, now, progress);
      await finishFitJob(manager, id, { state: 'succeeded', result, segmentId });
    } catch (error) {
      if (!(error instanceof CodedException)) throw error; // unexpected: pg-boss retries the job
      await finishFitJob(manager, id, {
        state: 'failed',
        error: { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) },
      });
      this.logger.warn(`model fit job ${id} (${row.kind}) refused: ${error.message}`);
    }
    return toView((await findFitJob(manager, id)) as FitJobRow);
  }

  private async run(
    row: FitJobRow,
    now: Date,
    progress: (stage: string, fraction: number) => Promise<void>,
  ): Promise<{ result: Record<string, unknown>; segmentId?: string }> {
    const actor = row.actor;
    switch (row.kind) {
      case 'choose_k': {
        const input = row.input as { definition: unknown; kMin: number; kMax: number };
        const curves = await this.segments.chooseK(input.definition, { kMin: input.kMin, kMax: input.kMax }, now, progress);
        return { result: curves as unknown as Record<string, unknown> };
      }
      case 'create': {
        const segment = await this.segments.create(row.input as unknown as CreateSegmentInput, actor, now, progress);
        return { result: await this.versionResult(segment), segmentId: segment.id };
      }
      case 'update': {
        const segment = await this.segments.update(row.segment_id as string, row.input as UpdateSegmentInput, actor, now, progress);
        return { result: await this.versionResult(segment), segmentId: segment.id };
      }
      case 'refit': {
        const segment = await this.segments.refit(row.segment_id as string, actor, now, progress);
        return { result: await this.versionResult(segment), segmentId: segment.id };
      }
    }
  }

  private async versionResult(segment: { id: string; version: number }): Promise<Record<string, unknown>> {
    return { segment, version: await this.segments.version(segment.id, segment.version) };
  }

  /**
   * The work of a fit, refused above the cap before anything is queued: restarts × k tried × rows
   * for a cluster fit or k choice, rows × features × 100 iterations for a propensity fit. Rows are
   * counted with the fit's own feature query (population, purchase window and cutoff included).
   * @throws {SegmentsException} `fit_work_over_cap` (400) naming the field to lower and the cap.
   */
  private async checkedWork(
    definition: FittedDefinition,
    now: Date,
    range?: { kMin: number; kMax: number },
    counted?: number,
  ): Promise<number> {
    const rows = counted ?? (await this.analytics.run(async (manager) => this.countRows(manager, definition, now)));
    if (definition.type === 'cluster') {
      const ks = range ? range.kMax - range.kMin + 1 : 1;
      const work = definition.restarts * ks * rows;
      if (work > this.caps.cluster) {
        const field = range && ks > 1 ? 'kMax' : 'definition.restarts';
        throw overCap(field, work, this.caps.cluster, `${definition.restarts} restarts × ${ks} k × ${rows} profiles`);
      }
      return work;
    }
    const work = rows * definition.features.length * PROPENSITY_ITERATIONS;
    if (work > this.caps.propensity) {
      throw overCap(
        'definition.features',
        work,
        this.caps.propensity,
        `${rows} profiles × ${definition.features.length} features × ${PROPENSITY_ITERATIONS} iterations`,
      );
    }
    return work;
  }

  private async countRows(manager: EntityManager, definition: FittedDefinition, now: Date): Promise<number> {
    const context = await this.models.resolveFeatureSources(manager, definition);
    const asOf =
      definition.type === 'propensity'
        ? definition.cutoff
          ? new Date(definition.cutoff)
          : new Date(now.getTime() - definition.outcome.withinDays * 86_400_000)
        : now;
    return countFeatureRows(manager, compileFeatureSql(definition, asOf, undefined, context));
  }

  private async enqueue(job: {
    kind: FitJobKind;
    segmentId: string | null;
    input: object;
    actor: string | null;
    work: number;
    scheduledFor?: Date;
  }): Promise<FitJobView | null> {
    return this.dataSource.transaction(async (manager) => {
      const row = await insertFitJob(manager, job);
      if (!row) return null;
      await this.queue.sendInTransaction(manager, QUEUES.modelFit, { fitJobId: row.id } satisfies FitJob, FIT_JOB_OPTIONS);
      return toView(row);
    });
  }
}

function overCap(field: string, work: number, cap: number, terms: string): SegmentsException {
  return new SegmentsException('fit_work_over_cap', `the fit's work ${terms} = ${work} is above the cap of ${cap}`, [
    { path: field, message: `the work (${terms} = ${work}) is above the cap of ${cap}; lower it, or narrow the population` },
  ]);
}

/** Key order does not count: `a` is the stored version's definition, read back from jsonb with its keys reordered. */
function sameFit(a: FittedDefinition, b: SegmentDefinition & FittedDefinition): boolean {
  return sameFitSpecification(a, b);
}

function toView(row: FitJobRow): FitJobView {
  return {
    id: row.id,
    kind: row.kind,
    segmentId: row.segment_id,
    state: row.state,
    stage: row.stage,
    progress: Number(row.progress),
    work: Number(row.work),
    url: `/segments/fits/${row.id}`,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    result: row.result,
    error: row.error,
  };
}

/**
 * The 400 of a k choice whose population has `rows` ≤ `kMax` profiles (k-means up to k = kMax needs
 * kMax + 1), naming the reason rather than leaving an empty curve or a failed job:
 * - none: every profile first seen after now (`no_profiles_seen_by_cutoff`), no purchaser in the
 *   window (`no_purchases_in_window` at `definition.window`), an empty population segment or no live
 *   profile at all (`no_profiles` at `definition.population[.segment]`);
 * - some: `too_few_rows` at `kMax`, with the count and the largest kMax that fits.
 * @throws {SegmentsException} always.
 */
async function refuseTooFewForK(
  manager: EntityManager,
  definition: ClusterDefinition,
  rows: number,
  kMax: number,
  now: Date,
): Promise<never> {
  const population =
    definition.population === 'purchasers'
      ? `profiles with a "${definition.purchaseEvent}" event in the window "${definition.window}"`
      : typeof definition.population === 'object'
        ? `members of the segment "${definition.population.segment}"`
        : 'live profiles';
  if (rows > 0) {
    throw new SegmentsException(
      'too_few_rows',
      `only ${rows} profile(s) are in the population (${population}); choosing k up to ${kMax} needs at least ${kMax + 1}`,
      [{ path: 'kMax', message: `must be at most ${rows - 1} for ${rows} profile(s), or widen definition.population` }],
    );
  }
  await assertSeenAndActive(manager, definition, now);
  if (definition.population === 'purchasers') {
    throw new SegmentsException(
      'no_purchases_in_window',
      `no profile to choose k on: none has a "${definition.purchaseEvent}" event in the window "${definition.window}" (population "purchasers")`,
      [{ path: 'definition.window', message: `contains no "${definition.purchaseEvent}" event` }],
    );
  }
  if (typeof definition.population === 'object') {
    throw new SegmentsException(
      'no_profiles',
      `no profile to choose k on: the population segment "${definition.population.segment}" has no live member (refresh it first?)`,
      [{ path: 'definition.population.segment', message: 'has no members' }],
    );
  }
  throw new SegmentsException('no_profiles', 'no profile to choose k on: there is no live profile', [
    { path: 'definition.population', message: 'matches no profile' },
  ]);
}
