import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import {
  applyPreprocessor,
  assignClusters,
  assignTiers,
  chooseK,
  type ChooseKResult,
  ClusterDefinition,
  addDriftCounts,
  countDriftBins,
  DEFAULT_PSI_THRESHOLD,
  driftFromCounts,
  type DriftCounts,
  driftReference,
  type DriftReference,
  type DriftReport,
  rocAuc,
  selectRows,
  elbowOf,
  ClusteringException,
  type ClusterModel,
  compileFeatureSql,
  compileRfmScoresSql,
  featureIndexOfColumn,
  featureKinds,
  featurePreprocessing,
  FeatureSourceException,
  type FeatureSqlContext,
  featureTableFromRows,
  fitClusterModel,
  fitPreprocessor,
  sameFitSpecification,
  FittedDefinition,
  isFittedDefinition,
  parseComputedTraitDefinition,
  populationSegment,
  PropensityDefinition,
  PropensityException,
  type PropensityModel,
  quantileThresholds,
  type ResolvedComputedTrait,
  scorePropensity,
  SegmentDefinition,
  type StoredClvModel,
  trainPropensityModel,
  type FeatureMatrix,
  type TierThresholds,
} from '@audiencekit/segments-domain';
import { prepareClvVersion } from './clv-segments';
import { sqlTraitKeys } from './computed-traits/computed-traits.repository';
import { computedTraitsByKey, liveSegmentByKeyOrId, userIdOfProfile } from './model-features.repository';
import { assertSeenAndActive } from './model-population';
import { countPurchasers, featureRowsOf } from './segment-membership.repository';
import { SegmentsException, type SegmentsExceptionCode } from './segments.exception';

/** What a cluster segment version stores in `segment_versions.model`. */
export interface StoredClusterModel {
  kind: 'cluster';
  fittedAt: string;
  profiles: number;
  model: ClusterModel;
  silhouette: ReturnType<typeof fitClusterModel>['silhouette'];
  stability: ReturnType<typeof fitClusterModel>['stability'];
  clusters: ReturnType<typeof fitClusterModel>['profiles'];
  notes: string[];
  /** The computed traits the features read, as resolved at fit time (absent before #21: none). */
  computedTraits?: Record<string, ResolvedComputedTrait>;
}

/** The k-selection curves of a cluster definition (`POST /segments/choose-k`). */
export type ChooseKView = ReturnType<typeof chooseK> & { profiles: number; notes: string[] };

/** What a propensity segment version stores in `segment_versions.model`. */
export interface StoredPropensityModel {
  kind: 'propensity';
  fittedAt: string;
  cutoff: string;
  profiles: number;
  positives: number;
  model: PropensityModel;
  thresholds: TierThresholds;
  /** Tier sizes of the population scored at publication. */
  tierCounts: Record<'top' | 'middle' | 'bottom', number>;
  heldOutAuc: number;
  trainAuc: number;
  calibration: ReturnType<typeof trainPropensityModel>['calibration'];
  weights: ReturnType<typeof trainPropensityModel>['weights'];
  split: ReturnType<typeof trainPropensityModel>['split'];
  notes: string[];
  /** The computed traits the features read, as resolved at fit time (absent before #21: none). */
  computedTraits?: Record<string, ResolvedComputedTrait>;
  /**
   * Reference distributions of the features and the score on the training rows (as of the cutoff),
   * for drift (absent in models fitted before drift existed: refit to measure PSI).
   */
  drift?: DriftReference;
}

/**
 * Drift of a propensity segment's stored model (`GET /segments/:id/drift`): PSI of each feature and
 * of the score between the training rows and the population now, and the AUC of the stored model on
 * the outcomes observed since the fit. A measure that cannot be computed says why instead.
 */
export interface ModelDriftView {
  segmentId: string;
  version: number;
  fittedAt: string;
  cutoff: string;
  measuredAt: string;
  psiThreshold: number;
  aucFloor: number;
  psi: ({ available: true } & DriftReport) | { available: false; reason: string };
  auc:
    | {
        available: true;
        auc: number;
        /** Profiles scored as of the fit time whose outcome window has closed, and how many had the outcome (churn: churned). */
        profiles: number;
        positives: number;
        /** The window the outcome was observed in: (fittedAt, windowClosedAt]. */
        windowClosedAt: string;
        flagged: boolean;
      }
    | { available: false; reason: string; windowClosesAt?: string };
  /** One line per flag: a feature or the score above the PSI threshold, the AUC below the floor. */
  flags: string[];
  flagged: boolean;
}

export type StoredModel = StoredClusterModel | StoredPropensityModel;

export interface FeatureRows {
  profileIds: string[];
  /** Per row, the profile's stable key (first user id, email, phone or anonymous id): what the seeded split hashes. */
  stableKeys: string[];
  matrix: FeatureMatrix;
  /** 0/1 outcome per row, when an outcome was asked for. */
  outcome?: Float64Array;
}

/**
 * Told where a fit is, for the fit job's progress (the worker writes it to `model_fit_jobs`). Awaited
 * before each synchronous step, so the stage is stored before the step blocks the event loop.
 */
export type FitProgress = (stage: string, fraction: number) => Promise<void>;
const NO_PROGRESS: FitProgress = async () => undefined;

/** Runs reads with a manager of some pool (the API's analytics pool, or a data source's own manager). */
export type ReadRunner = <T>(work: (manager: EntityManager) => Promise<T>) => Promise<T>;

const DAY_MS = 86_400_000;
/** Rows scored and binned per synchronous step of a drift measurement (it runs on the API): the event loop turns between steps. */
const DRIFT_CHUNK_ROWS = 20_000;
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The model-backed segment types: RFM / intent × value publication checks, and the fit and
 * refresh-time scoring of cluster and propensity segments. Feature columns are aggregated in
 * Postgres (one query per fit or refresh); the pure libs fit and apply the models. Scoring at
 * refresh always uses the model stored with the version: members never move because of a refit,
 * and a refit is a new version.
 */
@Injectable()
export class ModelSegmentsService {
  /**
   * Run when a version is about to be created: fits the model of a cluster / propensity / clv definition
   * (or reuses `previous.model` when only the pick — `cluster` / `tier` — changed) and checks that an
   * RFM / intent × value window has purchasers. Returns the model to store (null for SQL-only types).
   * `reads` runs the data reads (the API passes its analytics pool); it is not called when none are needed.
   * @throws {SegmentsException} the refusal (too few profiles, constant feature, single class, AUC below floor, no purchases).
   */
  async prepareVersion(
    reads: ReadRunner,
    definition: SegmentDefinition,
    now: Date,
    previous?: { definition: Record<string, unknown>; model: Record<string, unknown> | null },
    progress: FitProgress = NO_PROGRESS,
  ): Promise<StoredModel | StoredClvModel | null> {
    if (definition.type === 'clv') return reads((manager) => prepareClvVersion(manager, definition, now, previous));
    if (definition.type === 'rfm' || definition.type === 'intent_value') {
      await reads((manager) => this.assertPurchasers(manager, definition, now));
      return null;
    }
    if (!isFittedDefinition(definition)) return null;
    if (
      previous?.model &&
      isFittedDefinition(previous.definition as { type: string }) &&
      sameFit(previous.definition as FittedDefinition, definition)
    ) {
      return previous.model as unknown as StoredModel;
    }
    return reads((manager) => this.fit(manager, definition, now, progress));
  }

  /** Fits a model for a cluster or propensity definition on the current data. */
  async fit(manager: EntityManager, definition: FittedDefinition, now: Date, progress: FitProgress = NO_PROGRESS): Promise<StoredModel> {
    return definition.type === 'cluster'
      ? this.fitCluster(manager, definition, now, progress)
      : this.fitPropensity(manager, definition, now, progress);
  }

  /** Members of a cluster / propensity segment at `now`, scored with the version's stored model. */
  async members(manager: EntityManager, definition: FittedDefinition, stored: StoredModel | null, now: Date): Promise<string[]> {
    if (!stored || stored.kind !== definition.type) throw new Error(`the version has no stored ${definition.type} model`);
    const rows = await this.featureRows(manager, definition, now, undefined, stored);
    if (rows.profileIds.length === 0) return [];
    if (stored.kind === 'cluster') {
      const labels = await this.refused(manager, definition, () => assignClusters(stored.model, rows.matrix));
      const cluster = (definition as ClusterDefinition).cluster;
      return rows.profileIds.filter((_, i) => labels[i] === cluster);
    }
    const scores = await this.refused(manager, definition, () => scorePropensity(stored.model, rows.matrix));
    const { tiers } = assignTiers(scores, stored.thresholds);
    const tier = (definition as PropensityDefinition).tier;
    return rows.profileIds.filter((_, i) => tiers[i] === tier);
  }

  /**
   * For a refit of a cluster segment: the cluster of `fresh` whose members overlap most with the
   * members of the picked cluster under `old` (cluster numbers are arbitrary between fits).
   */
  async matchCluster(
    manager: EntityManager,
    definition: ClusterDefinition,
    old: StoredClusterModel,
    fresh: StoredClusterModel,
    now: Date,
  ): Promise<number> {
    const rows = await this.featureRows(manager, definition, now, undefined, fresh);
    const before = assignClusters(old.model, (await this.featureRows(manager, definition, now, undefined, old)).matrix);
    const after = assignClusters(fresh.model, rows.matrix);
    const overlap = new Array<number>(fresh.model.k).fill(0);
    for (let i = 0; i < before.length; i++) if (before[i] === definition.cluster) overlap[after[i]] += 1;
    return overlap.indexOf(Math.max(...overlap));
  }

  /**
   * The feature matrix of a fitted definition's population as of `asOf`, one row per live profile
   * (ordered by stable key, labelled by profile id), aggregated in one SQL query; with `outcome`, also
   * the 0/1 label "performed `outcome.event` in (asOf, asOf + withinDays]" (churn: did not, among the
   * active). `context` holds the computed
   * traits as resolved at fit time (a stored model's, or {@link resolveFeatureSources}').
   */
  async featureRows(
    manager: EntityManager,
    definition: FittedDefinition,
    asOf: Date,
    outcome?: PropensityDefinition['outcome'],
    context: FeatureSqlContext = {},
  ): Promise<FeatureRows> {
    const rows = await featureRowsOf(manager, compileFeatureSql(definition, asOf, outcome, context));
    const table = featureTableFromRows(definition, featureKinds(definition, context), rows);
    return {
      ...table,
      stableKeys: rows.map((row) => String(row['stable_key'])),
      outcome: outcome ? Float64Array.from(rows, (row) => (row['outcome'] ? 1 : 0)) : undefined,
    };
  }

  /**
   * What a fit reads beyond the definition, checked: the definitions of the computed traits its
   * features name (current versions, stored with the model so refreshes compute the same thing), and
   * the segment its population is narrowed to.
   * @throws {SegmentsException} 400 naming the path: `unknown_computed_trait`, `sql_trait_not_a_feature`
   *   (a SQL trait keeps no history, so its value as of a cutoff is unknown), `invalid_definition` (a
   *   numeric option on a trait that resolves to categorical), `unknown_segment_reference`.
   */
  async resolveFeatureSources(manager: EntityManager, definition: FittedDefinition): Promise<FeatureSqlContext> {
    const segment = populationSegment(definition);
    if (segment !== undefined && !(await liveSegmentByKeyOrId(manager, segment))) {
      throw new SegmentsException('unknown_segment_reference', `the population segment "${segment}" does not exist`, [
        { path: 'definition.population.segment', message: `no live segment has key or id "${segment}"` },
      ]);
    }
    const keyed = definition.features.flatMap((feature, index) =>
      feature.source === 'computed_trait' ? [{ key: feature.key, index }] : [],
    );
    if (keyed.length === 0) return {};
    const keys = [...new Set(keyed.map((entry) => entry.key))];
    const found = new Map((await computedTraitsByKey(manager, keys)).map((row) => [row.key, row]));
    const sqlOwners = new Map((await sqlTraitKeys(manager, keys)).map((row) => [row.key, row.owner]));
    const problems = keyed.flatMap(({ key, index }): { code: SegmentsExceptionCode; path: string; message: string }[] => {
      const path = `definition.features.${index}.key`;
      if (sqlOwners.has(key))
        return [
          {
            code: 'sql_trait_not_a_feature',
            path,
            message: `"${key}" is a column of ${sqlOwners.get(key)}: a SQL trait keeps no history, so its value as of the cutoff cannot be computed; use a computed trait`,
          },
        ];
      if (!found.has(key)) return [{ code: 'unknown_computed_trait', path, message: `no computed trait has key "${key}"` }];
      return [];
    });
    if (problems.length) {
      throw new SegmentsException(
        problems[0].code,
        `model features refused: ${problems.map((p) => `${p.path} ${p.message}`).join('; ')}`,
        problems.map(({ path, message }) => ({ path, message })),
      );
    }
    const computedTraits: Record<string, ResolvedComputedTrait> = {};
    for (const [key, row] of found)
      computedTraits[key] = { version: row.version, definition: parseComputedTraitDefinition(row.definition) };
    const context = { computedTraits };
    const kinds = featureKinds(definition, context);
    definition.features.forEach((feature, index) => {
      if (kinds[index] !== 'categorical') return;
      const numeric = (['log1p', 'clip', 'shift'] as const).find(
        (option) => option in feature && (feature as Record<string, unknown>)[option],
      );
      if (numeric)
        throw new SegmentsException('invalid_definition', `definition.features.${index}.${numeric}: the feature is categorical (one-hot)`, [
          {
            path: `definition.features.${index}.${numeric}`,
            message: 'applies to numeric features only; this computed trait is categorical (set kind: "numeric" if its values are numbers)',
          },
        ]);
    });
    return context;
  }

  /**
   * The silhouette and elbow (inertia) curves for k = kMin..kMax on a cluster definition's features,
   * preprocessed exactly as a fit would be, so a marketer can choose k before saving. Nothing is stored.
   * @throws {SegmentsException} the refusal (too few profiles for kMax, constant feature, ...).
   */
  async chooseK(
    manager: EntityManager,
    definition: ClusterDefinition,
    now: Date,
    range: { kMin: number; kMax: number },
    progress: FitProgress = NO_PROGRESS,
  ): Promise<ChooseKView> {
    await progress('reading features', 0.05);
    const rows = await this.featureRows(manager, definition, now, undefined, await this.resolveFeatureSources(manager, definition));
    this.assertPopulation(rows, definition);
    const { preprocessor, input } = await this.refused(manager, definition, () => {
      const fitted = fitPreprocessor(rows.matrix, { ...featurePreprocessing(definition), scaling: definition.scaling });
      return { preprocessor: fitted, input: applyPreprocessor(fitted, rows.matrix) };
    });
    const options = { seed: definition.seed, nInit: definition.restarts, silhouette: { seed: definition.seed } };
    // The range is refused as a whole (too few rows for kMax) before any k is fitted.
    if (input.rows <= range.kMax) await this.refused(manager, definition, () => chooseK(input, { ...range, ...options }));
    // Each k is fitted on its own (the same seed and silhouette sample as one chooseK call over the
    // range, so the curves are equal), with the progress stored between two k.
    const candidates: ChooseKResult['candidates'] = [];
    let sampling = { silhouetteExact: true, silhouetteSampleSize: input.rows };
    const span = range.kMax - range.kMin + 1;
    for (let k = range.kMin; k <= range.kMax; k++) {
      await progress(`fitting k = ${k}`, 0.1 + (0.85 * (k - range.kMin)) / span);
      const single = await this.refused(manager, definition, () => chooseK(input, { kMin: k, kMax: k, ...options }));
      candidates.push(...single.candidates);
      sampling = { silhouetteExact: single.silhouetteExact, silhouetteSampleSize: single.silhouetteSampleSize };
    }
    const bestBySilhouette = candidates.reduce((best, candidate) => (candidate.silhouette > best.silhouette ? candidate : best)).k;
    return {
      profiles: rows.profileIds.length,
      candidates,
      ...sampling,
      bestBySilhouette,
      elbow: elbowOf(candidates),
      notes: preprocessor.notes,
    };
  }

  private async fitCluster(
    manager: EntityManager,
    definition: ClusterDefinition,
    now: Date,
    progress: FitProgress,
  ): Promise<StoredClusterModel> {
    await progress('reading features', 0.05);
    const context = await this.resolveFeatureSources(manager, definition);
    const rows = await this.featureRows(manager, definition, now, undefined, context);
    if (rows.profileIds.length === 0) await assertSeenAndActive(manager, definition, now);
    this.assertPopulation(rows, definition);
    await progress(`fitting k = ${definition.k} (${definition.restarts} restarts)`, 0.2);
    const fit = await this.refused(manager, definition, () =>
      fitClusterModel(rows.matrix, {
        k: definition.k,
        preprocessing: { ...featurePreprocessing(definition), scaling: definition.scaling },
        kmeans: { seed: definition.seed, nInit: definition.restarts },
        silhouette: { seed: definition.seed },
      }),
    );
    return {
      kind: 'cluster',
      fittedAt: now.toISOString(),
      profiles: rows.profileIds.length,
      model: fit.model,
      silhouette: fit.silhouette,
      stability: fit.stability,
      clusters: fit.profiles,
      notes: fit.notes,
      ...context,
    };
  }

  private async fitPropensity(
    manager: EntityManager,
    definition: PropensityDefinition,
    now: Date,
    progress: FitProgress,
  ): Promise<StoredPropensityModel> {
    const windowMs = definition.outcome.withinDays * DAY_MS;
    const cutoff = definition.cutoff ? new Date(definition.cutoff) : new Date(now.getTime() - windowMs);
    if (cutoff.getTime() + windowMs > now.getTime()) {
      throw new SegmentsException(
        'outcome_window_open',
        `the outcome window (${definition.outcome.withinDays} days after the cutoff ${cutoff.toISOString()}) has not closed yet`,
        [{ path: 'definition.cutoff', message: `must be at least ${definition.outcome.withinDays} days before now` }],
      );
    }
    await progress('reading features', 0.05);
    const context = await this.resolveFeatureSources(manager, definition);
    const training = await this.featureRows(manager, definition, cutoff, definition.outcome, context);
    if (training.profileIds.length === 0) await assertSeenAndActive(manager, definition, cutoff);
    this.assertPopulation(training, definition);
    await progress('training', 0.2);
    const report = await this.refused(manager, definition, () =>
      trainPropensityModel(training.matrix, training.outcome as Float64Array, {
        C: definition.C,
        aucFloor: definition.aucFloor,
        testFraction: definition.testFraction,
        seed: definition.seed,
        keys: training.stableKeys,
        preprocessing: featurePreprocessing(definition),
      }),
    );
    // Tier thresholds are cut on the population the segment will score: its profiles as of now.
    await progress('scoring the population', 0.7);
    const current = await this.featureRows(manager, definition, now, undefined, context);
    if (current.profileIds.length === 0) await assertSeenAndActive(manager, definition, now);
    this.assertPopulation(current, definition);
    const scores = await this.refused(manager, definition, () => scorePropensity(report.model, current.matrix));
    const thresholds = await this.refused(manager, definition, () => quantileThresholds(scores, definition.tierShares));
    return {
      kind: 'propensity',
      fittedAt: now.toISOString(),
      cutoff: cutoff.toISOString(),
      profiles: training.profileIds.length,
      positives: (training.outcome as Float64Array).reduce((sum, value) => sum + value, 0),
      model: report.model,
      thresholds,
      tierCounts: assignTiers(scores, thresholds).counts,
      heldOutAuc: report.heldOutAuc,
      trainAuc: report.trainAuc,
      calibration: report.calibration,
      weights: report.weights,
      split: report.split,
      notes: report.notes,
      ...context,
      drift: driftReference(report.model, training.matrix, scorePropensity(report.model, training.matrix)),
    };
  }

  /**
   * Drift of a propensity (or churn) model since its fit, as of `now`:
   * - PSI of each feature and of the score: the stored reference (training rows, features as of the
   *   cutoff) against the population the segment scores now (features as of `now`, the stored model's
   *   scores), on the reference's bins; flagged above `definition.drift.psiThreshold` (default 0.2);
   * - AUC since the fit: the profiles of the population as of the fit time (`fittedAt`), scored with
   *   the stored model on their features as of then, against the outcome in (fittedAt, fittedAt +
   *   withinDays] (churn: no outcome event then, among those active before the fit time); only once
   *   that window has closed (`now` ≥ fittedAt + withinDays); flagged below `definition.drift.aucFloor`
   *   (default: the definition's `aucFloor`).
   * Scoring and binning run `chunkRows` rows at a time, the event loop turning in between.
   */
  async drift(
    manager: EntityManager,
    definition: PropensityDefinition,
    stored: StoredPropensityModel,
    now: Date,
    chunkRows = DRIFT_CHUNK_ROWS,
  ): Promise<Omit<ModelDriftView, 'segmentId' | 'version'>> {
    const psiThreshold = definition.drift?.psiThreshold ?? DEFAULT_PSI_THRESHOLD;
    const aucFloor = definition.drift?.aucFloor ?? definition.aucFloor;
    const psi = await this.psiNow(manager, definition, stored, now, psiThreshold, chunkRows);
    const auc = await this.aucSinceFit(manager, definition, stored, now, aucFloor, chunkRows);
    const flags: string[] = [];
    if (psi.available) {
      for (const feature of psi.features)
        if (feature.flagged) flags.push(`feature ${feature.feature}: PSI ${feature.psi.toFixed(4)} > ${psiThreshold}`);
      if (psi.score.flagged) flags.push(`score: PSI ${psi.score.psi.toFixed(4)} > ${psiThreshold}`);
    }
    if (auc.available && auc.flagged) flags.push(`AUC since the fit ${auc.auc.toFixed(4)} < floor ${aucFloor}`);
    return {
      fittedAt: stored.fittedAt,
      cutoff: stored.cutoff,
      measuredAt: now.toISOString(),
      psiThreshold,
      aucFloor,
      psi,
      auc,
      flags,
      flagged: flags.length > 0,
    };
  }

  private async psiNow(
    manager: EntityManager,
    definition: PropensityDefinition,
    stored: StoredPropensityModel,
    now: Date,
    psiThreshold: number,
    chunkRows: number,
  ): Promise<ModelDriftView['psi']> {
    if (!stored.drift)
      return { available: false, reason: 'this version was fitted before reference distributions were stored; refit it to measure PSI' };
    const current = await this.featureRows(manager, definition, now, undefined, stored);
    if (current.profileIds.length === 0) return { available: false, reason: 'the population has no profile now' };
    const reference = stored.drift;
    let counts: DriftCounts | undefined;
    await this.scoreInChunks(manager, definition, stored.model, current.matrix, chunkRows, (chunk, scores) => {
      const part = countDriftBins(reference, chunk, scores);
      counts = counts ? addDriftCounts(counts, part) : part;
    });
    return { available: true, ...driftFromCounts(reference, counts as DriftCounts, psiThreshold) };
  }

  /**
   * Scores `matrix` with the stored model `chunkRows` rows at a time (default DRIFT_CHUNK_ROWS), handing each chunk and its
   * scores to `visit`, and lets the event loop turn between chunks (drift is measured on the API).
   */
  private async scoreInChunks(
    manager: EntityManager,
    definition: PropensityDefinition,
    model: PropensityModel,
    matrix: FeatureMatrix,
    chunkRows: number,
    visit: (chunk: FeatureMatrix, scores: Float64Array, start: number) => void,
  ): Promise<void> {
    for (let start = 0; start < matrix.rows; start += chunkRows) {
      const end = Math.min(matrix.rows, start + chunkRows);
      const chunk = selectRows(
        matrix,
        Int32Array.from({ length: end - start }, (_, k) => start + k),
      );
      await this.refused(manager, definition, () => visit(chunk, scorePropensity(model, chunk), start));
      await nextTurn();
    }
  }

  private async aucSinceFit(
    manager: EntityManager,
    definition: PropensityDefinition,
    stored: StoredPropensityModel,
    now: Date,
    aucFloor: number,
    chunkRows: number,
  ): Promise<ModelDriftView['auc']> {
    const fittedAt = new Date(stored.fittedAt);
    const closes = new Date(fittedAt.getTime() + definition.outcome.withinDays * DAY_MS);
    if (closes.getTime() > now.getTime()) {
      return {
        available: false,
        reason: `no outcome observed since the fit yet: the ${definition.outcome.withinDays}-day outcome window of the profiles scored at the fit (${fittedAt.toISOString()}) closes at ${closes.toISOString()}`,
        windowClosesAt: closes.toISOString(),
      };
    }
    const rows = await this.featureRows(manager, definition, fittedAt, definition.outcome, stored);
    const outcome = rows.outcome as Float64Array;
    const positives = outcome.reduce((sum, value) => sum + value, 0);
    if (rows.profileIds.length === 0) return { available: false, reason: 'the population had no profile at the fit time' };
    if (positives === 0 || positives === rows.profileIds.length) {
      const label = definition.outcome.kind === 'churn' ? 'churned' : `performed "${definition.outcome.event}"`;
      return {
        available: false,
        reason: `AUC needs both outcomes: ${positives === 0 ? 'none' : 'all'} of the ${rows.profileIds.length} profiles scored at the fit ${label} in the window since`,
      };
    }
    const scores = new Float64Array(rows.profileIds.length);
    await this.scoreInChunks(manager, definition, stored.model, rows.matrix, chunkRows, (_chunk, part, start) => scores.set(part, start));
    const auc = await this.refused(manager, definition, () => rocAuc(scores, outcome));
    return {
      available: true,
      auc,
      profiles: rows.profileIds.length,
      positives,
      windowClosedAt: closes.toISOString(),
      flagged: auc < aucFloor,
    };
  }

  private assertPopulation(rows: FeatureRows, definition: FittedDefinition): void {
    if (rows.profileIds.length > 0) return;
    if (definition.population === 'purchasers') throw noPurchases(definition);
    const segment = populationSegment(definition);
    if (segment !== undefined) {
      throw new SegmentsException(
        'no_profiles',
        `the population segment "${segment}" has no live member first seen by then to fit a model on`,
        [{ path: 'definition.population.segment', message: 'has no members (refresh it first?)' }],
      );
    }
    throw new SegmentsException('no_profiles', 'there are no profiles to fit a model on', [
      { path: 'definition.population', message: 'matches no profile' },
    ]);
  }

  /**
   * Runs a pure model step; its refusal becomes a 400 naming the feature, and a refusal about one
   * profile's value names the customer (profile id and user id), never a row position.
   */
  private async refused<T>(manager: EntityManager, definition: FittedDefinition, work: () => T): Promise<T> {
    try {
      return refuseAs400(definition, work);
    } catch (error) {
      if (!(error instanceof SegmentsException)) throw error;
      const profileId = refusedProfiles.get(error);
      if (!profileId) throw error;
      const userId = await userIdOfProfile(manager, profileId);
      if (!userId) throw error;
      const named = (text: string) => text.split(`profile ${profileId}`).join(`profile ${profileId} (user id ${userId})`);
      throw new SegmentsException(
        error.code,
        named(error.message),
        (error.details ?? []).map((detail) => ({ ...detail, message: named(detail.message) })),
      );
    }
  }

  private async assertPurchasers(
    manager: EntityManager,
    definition: Extract<SegmentDefinition, { type: 'rfm' | 'intent_value' }>,
    now: Date,
  ): Promise<void> {
    if ((await countPurchasers(manager, compileRfmScoresSql(definition, { now }))) === 0) throw noPurchases(definition);
  }
}

function noPurchases(definition: { window: string; purchaseEvent: string }): SegmentsException {
  return new SegmentsException(
    'no_purchases_in_window',
    `no profile has a "${definition.purchaseEvent}" event in the window "${definition.window}"`,
    [{ path: 'definition.window', message: `contains no "${definition.purchaseEvent}" event` }],
  );
}

/** Key order does not count: `a` is usually a stored version's definition, read back from jsonb with its keys reordered. */
function sameFit(a: FittedDefinition, b: FittedDefinition): boolean {
  return sameFitSpecification(a, b);
}

/** Clustering and propensity refusals become `SegmentsException`s (400 in the API) naming the field under `definition`; nothing is stored. */
function refuseAs400<T>(definition: FittedDefinition, work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (error instanceof FeatureSourceException) {
      throw new SegmentsException('invalid_definition', `model refused: ${error.message}`, [
        { path: `definition.features.${error.index}`, message: error.reason },
      ]);
    }
    if (error instanceof ClusteringException || error instanceof PropensityException) {
      const featureIndex = featureIndexOfColumn(definition, error.field);
      const path =
        featureIndex >= 0
          ? `definition.features.${featureIndex}`
          : error.field && error.field in definition
            ? `definition.${error.field}`
            : 'definition';
      const refusal = new SegmentsException(error.code, `model refused: ${error.message}`, [{ path, message: error.reason }]);
      if (error.profileId) refusedProfiles.set(refusal, error.profileId);
      throw refusal;
    }
    throw error;
  }
}

/** The profile a refusal is about, for `refused` to add the customer's user id to the message. */
const refusedProfiles = new WeakMap<SegmentsException, string>();
