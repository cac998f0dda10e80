import { Injectable, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { SegmentEntity, SegmentVersionEntity } from '@audiencekit/persistence';
import { AnalyticsDatabase } from '@audiencekit/server-core';
import { ClusterDefinition, isFittedDefinition, parseSegmentDefinition, PropensityDefinition } from '@audiencekit/segments-domain';
import { isUuid, REALTIME_CADENCE } from '@audiencekit/util';
import type { StoredClvModel, TierThresholds } from '@audiencekit/segments-domain';
import { prepareClvVersion } from './clv-segments';
import {
  ChooseKView,
  FitProgress,
  ModelDriftView,
  ModelSegmentsService,
  ReadRunner,
  StoredClusterModel,
  StoredModel,
  StoredPropensityModel,
} from './model-segments.service';
import { SegmentDefinitionGate } from './segment-definition.gate';
import { sameDefinition } from './same-definition';
import { CreateSegmentInput, UpdateSegmentInput } from './segment-input.schema';
import { SegmentsException } from './segments.exception';
import {
  archiveSegment,
  currentVersionsOf,
  findLiveSegment,
  findVersion,
  insertSegment,
  insertVersion,
  listLiveSegments,
  saveSegment,
  segmentKeyExists,
  versionsOf,
} from './segments.repository';

export interface SegmentView {
  id: string;
  key: string;
  name: string;
  description: string;
  owner: string;
  refreshCadence: string;
  /** Cluster / propensity segments: cron of the worker's refits (each a new version); null: only when asked. */
  refitCadence: string | null;
  kpi: SegmentEntity['kpi'];
  status: string;
  qualityThresholds: SegmentEntity['qualityThresholds'];
  version: number;
  definition: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
}

export interface VersionView {
  version: number;
  definition: Record<string, unknown>;
  /** The fitted model stored with the version (cluster and propensity segments), else null. */
  model: Record<string, unknown> | null;
  /** The headline figures of the stored model (null without one): to compare versions side by side. */
  metrics: ModelMetrics | null;
  /** The metrics of the version before (null for version 1 or without a model): a refit beside what it replaced. */
  previousMetrics: (ModelMetrics & { version: number }) | null;
  createdBy: string | null;
  createdAt: Date;
}

/**
 * What a refit is judged by: cluster silhouette and sizes; propensity AUCs and base rate; clv
 * customers with a repeat order, the two log-likelihoods, the horizon and the tier thresholds on the
 * predicted value (`profiles`: customers with an order).
 */
export interface ModelMetrics {
  kind: string;
  fittedAt: string;
  profiles: number;
  silhouette?: number;
  clusterSizes?: number[];
  heldOutAuc?: number;
  trainAuc?: number;
  positives?: number;
  repeatCustomers?: number;
  bgNbdLogLikelihood?: number;
  gammaGammaLogLikelihood?: number;
  horizonDays?: number;
  thresholds?: TierThresholds;
}

/** Segments and their immutable versions. Every change of definition is a new version. */
@Injectable()
export class SegmentsService {
  /** The analytics pool (DatabaseModule provides it); tests that build the service by hand use their data source. */
  private readonly analytics: Pick<AnalyticsDatabase, 'run'>;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly definitions: SegmentDefinitionGate,
    private readonly models: ModelSegmentsService = new ModelSegmentsService(),
    @Optional() analytics?: AnalyticsDatabase,
  ) {
    this.analytics = analytics ?? { run: (work) => work(dataSource.manager) };
  }

  /** Reads of a fit (feature rows, purchaser counts) go to the analytics pool: statement timeout, own connections. */
  private readonly reads: ReadRunner = (work) => this.analytics.run(work);

  /** `now` is the fit time of a cluster / propensity model (tests pass the data's own clock). */
  async create(input: CreateSegmentInput, actor: string | null, now: Date = new Date(), progress?: FitProgress): Promise<SegmentView> {
    const definition = this.definitions.parse(input.definition);
    if (input.refreshCadence === REALTIME_CADENCE) this.definitions.assertRealtimeType(definition);
    assertRefitCadenceFits(input.refitCadence ?? null, definition);
    // Fitting reads the data on the analytics pool, before the write transaction; a refusal is a 400
    // (a read over the statement timeout a 422 analytics_timeout) and nothing is saved.
    const model = await this.models.prepareVersion(this.reads, definition, now, undefined, progress);
    return this.dataSource.transaction((manager) => this.insertNew(manager, input, definition, toJson(model), actor, now));
  }

  /**
   * A new rules segment written inside the caller's transaction (issue #23's plays create four
   * segments and their activations all or nothing). Only rules definitions: they need no model fit,
   * which must never run inside a write transaction. A refusal throws the same errors as `create`.
   */
  async createRulesWithin(
    manager: EntityManager,
    input: CreateSegmentInput,
    actor: string | null,
    now: Date = new Date(),
  ): Promise<SegmentView> {
    const definition = this.definitions.parse(input.definition);
    if (definition.type !== 'rules')
      throw new SegmentsException('invalid_definition', 'only rules segments can be created inside another transaction', [
        { path: 'definition.type', message: 'must be "rules"' },
      ]);
    return this.insertNew(manager, input, definition, null, actor, now);
  }

  private async insertNew(
    manager: EntityManager,
    input: CreateSegmentInput,
    definition: ReturnType<SegmentDefinitionGate['parse']>,
    model: Record<string, unknown> | null,
    actor: string | null,
    now: Date,
  ): Promise<SegmentView> {
    if (await segmentKeyExists(manager, input.key)) {
      throw new SegmentsException('segment_key_taken', `a segment with key "${input.key}" already exists`, [
        { path: 'key', message: 'is taken' },
      ]);
    }
    const { definition: _raw, ...card } = input;
    const segment = await insertSegment(manager, card);
    await this.definitions.assertNoCycle(manager, segment.id, definition);
    if (segment.refreshCadence === REALTIME_CADENCE) await this.definitions.assertRealtimeCapable(manager, definition, now);
    await insertVersion(manager, { segmentId: segment.id, version: 1, definition, model, createdBy: actor });
    return toView(segment, definition);
  }

  async update(
    id: string,
    input: UpdateSegmentInput,
    actor: string | null,
    now: Date = new Date(),
    progress?: FitProgress,
  ): Promise<SegmentView> {
    const newDefinition = input.definition === undefined ? undefined : this.definitions.parse(input.definition);
    if (newDefinition && (input.refreshCadence ?? (await this.findLive(this.dataSource.manager, id)).refreshCadence) === REALTIME_CADENCE) {
      this.definitions.assertRealtimeType(newDefinition);
    }
    // Fit (or the purchase-window check) before the write transaction, so no lock is held while a model trains.
    const before = newDefinition ? await this.currentVersionRow(id) : undefined;
    const changes = before !== undefined && !sameDefinition(newDefinition, before.definition);
    const model = changes && newDefinition ? await this.models.prepareVersion(this.reads, newDefinition, now, before, progress) : null;
    return this.dataSource.transaction(async (manager) => {
      const segment = await this.lockLive(manager, id);
      const wasRealtime = segment.refreshCadence === REALTIME_CADENCE;
      const { definition: _raw, ...card } = input;
      Object.assign(segment, card);
      const isRealtime = segment.refreshCadence === REALTIME_CADENCE;
      if (input.refitCadence !== undefined || newDefinition)
        assertRefitCadenceFits(
          segment.refitCadence,
          newDefinition ?? parseSegmentDefinition((await this.versionRow(manager, id, segment.currentVersion)).definition),
        );
      if (wasRealtime && !isRealtime) await this.definitions.assertNotReferencedByRealtime(manager, segment);
      const current = await this.versionRow(manager, id, segment.currentVersion);
      let definition = current.definition;
      const definitionChanges = newDefinition !== undefined && !sameDefinition(newDefinition, current.definition);
      // The definition that will be current must qualify: a new one, or the stored one turned real time.
      if (isRealtime && (definitionChanges || !wasRealtime)) {
        await this.definitions.assertRealtimeCapable(manager, parseSegmentDefinition(newDefinition ?? current.definition), now);
      }
      if (newDefinition && definitionChanges) {
        await this.definitions.assertNoCycle(manager, id, newDefinition);
        // Rare: another change landed between the read above and this lock; prepare against it now.
        const stored = changes ? model : await this.models.prepareVersion(this.reads, newDefinition, now, current);
        segment.currentVersion += 1;
        definition = newDefinition;
        await insertVersion(manager, {
          segmentId: id,
          version: segment.currentVersion,
          definition,
          model: toJson(stored),
          createdBy: actor,
        });
      }
      await saveSegment(manager, segment);
      return toView(segment, definition);
    });
  }

  /**
   * Refits the model of a cluster, propensity or clv segment on the current data into a new version
   * (the only way its model changes). A cluster pick follows the cluster of the new model that
   * shares most members with the old picked cluster, since cluster numbers are arbitrary per fit; a
   * clv refit fits BG/NBD + Gamma-Gamma on the orders up to `now` and cuts new tier thresholds.
   * @throws {SegmentsException} `not_a_model_segment` for other segment types, or the refusal of the refit.
   */
  async refit(id: string, actor: string | null, now: Date = new Date(), progress?: FitProgress): Promise<SegmentView> {
    // Fit on the analytics pool first; the write transaction opens only once the model is ready.
    const before = await this.currentVersionRow(id);
    const prepared = await this.refitted(id, before, now, progress);
    return this.dataSource.transaction(async (manager) => {
      const segment = await this.lockLive(manager, id);
      const current = await this.versionRow(manager, id, segment.currentVersion);
      // Rare: another version landed since the read above; refit against it now.
      const { model, definition } = current.version === before.version ? prepared : await this.refitted(id, current, now);
      segment.currentVersion += 1;
      await insertVersion(manager, { segmentId: id, version: segment.currentVersion, definition, model: toJson(model), createdBy: actor });
      await saveSegment(manager, segment);
      return toView(segment, definition);
    });
  }

  /** The refit model of `current` and the definition to store with it (a cluster pick follows its members). */
  private async refitted(
    id: string,
    current: SegmentVersionEntity,
    now: Date,
    progress?: FitProgress,
  ): Promise<{ model: StoredModel | StoredClvModel; definition: Record<string, unknown> }> {
    const parsed = parseSegmentDefinition(current.definition);
    if (parsed.type === 'clv') {
      await progress?.('fitting BG/NBD + Gamma-Gamma on the orders', 0.1);
      return this.reads(async (manager) => ({ model: await prepareClvVersion(manager, parsed, now), definition: current.definition }));
    }
    if (!isFittedDefinition(parsed)) {
      throw new SegmentsException(
        'not_a_model_segment',
        `segment ${id} is a ${parsed.type} segment; only cluster, propensity and clv segments are fitted`,
      );
    }
    return this.reads(async (manager) => {
      const model = await this.models.fit(manager, parsed, now, progress);
      if (parsed.type !== 'cluster' || !current.model || model.kind !== 'cluster') return { model, definition: current.definition };
      const cluster = await this.models.matchCluster(
        manager,
        parsed as ClusterDefinition,
        current.model as unknown as StoredClusterModel,
        model,
        now,
      );
      return { model, definition: { ...current.definition, cluster } };
    });
  }

  /** Silhouette and elbow curves for a cluster definition over k = kMin..kMax; saves nothing. */
  async chooseK(
    definitionInput: unknown,
    range: { kMin: number; kMax: number },
    now: Date = new Date(),
    progress?: FitProgress,
  ): Promise<ChooseKView> {
    const definition = this.definitions.parse(definitionInput);
    if (definition.type !== 'cluster') {
      throw new SegmentsException('not_a_cluster_definition', 'choosing k needs a cluster definition', [
        { path: 'definition.type', message: `must be "cluster", got "${definition.type}"` },
      ]);
    }
    return this.analytics.run((manager) => this.models.chooseK(manager, definition, now, range, progress));
  }

  async get(id: string): Promise<SegmentView> {
    const segment = await this.findLive(this.dataSource.manager, id);
    const version = await this.versionRow(this.dataSource.manager, id, segment.currentVersion);
    return toView(segment, version.definition);
  }

  async list(page: { limit: number; offset: number; owner?: string; status?: string }): Promise<{ items: SegmentView[]; total: number }> {
    const [segments, total] = await listLiveSegments(this.dataSource.manager, page);
    const versions = await currentVersionsOf(this.dataSource.manager, segments);
    const byId = new Map(versions.map((v) => [v.segmentId, v.definition]));
    return { items: segments.map((s) => toView(s, byId.get(s.id) ?? {})), total };
  }

  /** Soft delete: history stays for as-of queries; the segment disappears from the API and the scheduler. */
  async remove(id: string): Promise<void> {
    if (!(await archiveSegment(this.dataSource.manager, id))) throw segmentNotFound(id);
  }

  async versions(id: string): Promise<VersionView[]> {
    await this.findLive(this.dataSource.manager, id);
    const rows = await versionsOf(this.dataSource.manager, id);
    return rows.map((row, index) => toVersionView(row, index > 0 ? rows[index - 1] : null));
  }

  async version(id: string, version: number): Promise<VersionView> {
    await this.findLive(this.dataSource.manager, id);
    const row = await this.versionRow(this.dataSource.manager, id, version);
    const previous = version > 1 ? await findVersion(this.dataSource.manager, id, version - 1) : null;
    return toVersionView(row, previous);
  }

  /**
   * Drift of a propensity (or churn) segment's current model as of `now` (see
   * {@link ModelSegmentsService.drift}); reads on the analytics pool.
   * @throws {SegmentsException} `segment_not_found`, `not_a_model_segment` for any other type.
   */
  async drift(id: string, now: Date = new Date()): Promise<ModelDriftView> {
    const row = await this.currentVersionRow(id);
    const definition = parseSegmentDefinition(row.definition);
    const model = row.model as unknown as StoredPropensityModel | null;
    if (definition.type !== 'propensity' || model?.kind !== 'propensity') {
      throw new SegmentsException(
        'not_a_model_segment',
        `segment ${id} is a ${definition.type} segment; drift is measured for propensity (and churn) segments`,
      );
    }
    const drift = await this.reads((manager) => this.models.drift(manager, definition as PropensityDefinition, model, now));
    return { segmentId: id, version: row.version, ...drift };
  }

  /** Loads a live (not deleted) segment or answers 404. */
  async findLive(manager: EntityManager, id: string): Promise<SegmentEntity> {
    const segment = isUuid(id) ? await findLiveSegment(manager, id) : null;
    if (!segment) throw segmentNotFound(id);
    return segment;
  }

  private async lockLive(manager: EntityManager, id: string): Promise<SegmentEntity> {
    const segment = isUuid(id) ? await findLiveSegment(manager, id, { lock: true }) : null;
    if (!segment) throw segmentNotFound(id);
    return segment;
  }

  private async currentVersionRow(id: string): Promise<SegmentVersionEntity> {
    const segment = await this.findLive(this.dataSource.manager, id);
    return this.versionRow(this.dataSource.manager, id, segment.currentVersion);
  }

  private async versionRow(manager: EntityManager, id: string, version: number): Promise<SegmentVersionEntity> {
    const row = await findVersion(manager, id, version);
    if (!row) throw new SegmentsException('segment_version_not_found', `segment ${id} has no version ${version}`);
    return row;
  }
}

export function segmentNotFound(id: string): SegmentsException {
  return new SegmentsException('segment_not_found', `no segment with id ${id}`);
}

function toView(segment: SegmentEntity, definition: Record<string, unknown>): SegmentView {
  return {
    id: segment.id,
    key: segment.key,
    name: segment.name,
    description: segment.description,
    owner: segment.owner,
    refreshCadence: segment.refreshCadence,
    refitCadence: segment.refitCadence ?? null,
    kpi: segment.kpi,
    status: segment.status,
    qualityThresholds: segment.qualityThresholds,
    version: segment.currentVersion,
    definition,
    createdAt: segment.createdAt,
    updatedAt: segment.updatedAt,
  };
}

function toVersionView(row: SegmentVersionEntity, previous: SegmentVersionEntity | null): VersionView {
  const before = previous ? modelMetrics(previous.model) : null;
  return {
    version: row.version,
    definition: row.definition,
    model: row.model,
    metrics: modelMetrics(row.model),
    previousMetrics: previous && before ? { version: previous.version, ...before } : null,
    createdBy: row.createdBy,
    createdAt: row.createdAt,
  };
}

/** The headline figures of a stored cluster / propensity / clv model; null for other versions. */
export function modelMetrics(model: Record<string, unknown> | null): ModelMetrics | null {
  if (!model || (model['kind'] !== 'cluster' && model['kind'] !== 'propensity' && model['kind'] !== 'clv')) return null;
  if (model['kind'] === 'clv') {
    const clv = model as unknown as StoredClvModel;
    return {
      kind: 'clv',
      fittedAt: clv.fittedAt,
      profiles: clv.profiles,
      repeatCustomers: clv.model.fit.repeatCustomers,
      bgNbdLogLikelihood: clv.model.fit.bgNbdLogLikelihood,
      gammaGammaLogLikelihood: clv.model.fit.gammaGammaLogLikelihood,
      horizonDays: clv.horizonDays,
      thresholds: clv.thresholds,
    };
  }
  const stored = model as unknown as StoredModel;
  if (stored.kind === 'cluster') {
    return {
      kind: 'cluster',
      fittedAt: stored.fittedAt,
      profiles: stored.profiles,
      silhouette: stored.silhouette.score,
      clusterSizes: stored.clusters.map((cluster) => cluster.size),
    };
  }
  return {
    kind: 'propensity',
    fittedAt: stored.fittedAt,
    profiles: stored.profiles,
    heldOutAuc: stored.heldOutAuc,
    trainAuc: stored.trainAuc,
    positives: stored.positives,
  };
}

/** A refit cadence is for segments with a model (cluster, propensity, clv): a 400 naming `refitCadence` on any other definition. */
function assertRefitCadenceFits(refitCadence: string | null, definition: { type: string }): void {
  if (refitCadence === null || isFittedDefinition(definition) || definition.type === 'clv') return;
  throw new SegmentsException('not_a_model_segment', `a ${definition.type} segment has no model to refit`, [
    { path: 'refitCadence', message: 'only cluster, propensity and clv segments are refitted; use null' },
  ]);
}

function toJson(model: object | null): Record<string, unknown> | null {
  return model as Record<string, unknown> | null;
}
