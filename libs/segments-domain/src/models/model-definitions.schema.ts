import { z } from 'zod';
import { purchaseSourceShape } from '../rfm/rfm.schema';

const name = z.string().min(1).max(200);
const valuePath = name.refine(
  (path) => path.split('.').every((segment) => segment.length > 0 && !/^-?\d+$/.test(segment)),
  'must be a dot path of non-empty, non-numeric keys',
);
const featureNameText = z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,62}$/, 'must be a letter then letters, digits or _ (at most 63)');
const finite = z.number().finite();
const clip = z
  .object({ min: finite.optional(), max: finite.optional() })
  .strict()
  .refine((bounds) => bounds.min !== undefined || bounds.max !== undefined, 'must give min, max or both')
  .refine((bounds) => bounds.min === undefined || bounds.max === undefined || bounds.min <= bounds.max, 'min must not be above max');
/** Numeric transforms, applied in this order after imputation: clip → shift → log1p. */
const numericOptions = { clip: clip.optional(), shift: finite.optional(), log1p: z.boolean().optional() };
const common = { name: featureNameText.optional(), ...numericOptions };
/** How many of a categorical feature's most frequent values get a column of their own (default 10); the rest are "other". */
const topLevels = z.number().int().min(1).max(50).optional();
const kind = z.enum(['numeric', 'categorical']).optional();
/** A computed trait's key (same pattern as libs/segments-domain computed traits). */
const traitKey = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,62}$/, 'must be a computed trait key: a lower-case letter, then lower-case letters, digits or _');

/**
 * A feature column, aggregated in SQL per profile (as of the fit time, or the refresh time):
 * - `recency_days`: days since the last purchase in the window (missing without one);
 * - `frequency`: distinct orders in the window (0 without one);
 * - `monetary`: net revenue in the window, purchases minus refunds (0 without one);
 * - `avg_order_value`: monetary / frequency (missing without a purchase);
 * - `event_count`: events named `event` in the window (0 without one);
 * - `tenure_days`: days since the profile was first seen (missing if unknown);
 * - `trait`: a numeric trait (missing when absent or not a JSON number), or with `kind: "categorical"`
 *   a string / boolean / number trait one-hot encoded;
 * - `event_property`: the most frequent value of `property` over the `event` events in the window
 *   (ties: the value seen latest), one-hot encoded;
 * - `computed_trait`: the computed trait `key` computed as of the fit / refresh time from its
 *   definition (never today's stored value); numeric for count, sum, avg, min, max, distinct_count,
 *   categorical (one-hot) for most_frequent, first, last unless `kind` says otherwise.
 * Missing numeric values are imputed by the definition's `imputation` policy (default median,
 * reported); a missing categorical value is its own level. One-hot: the `topLevels` most frequent
 * values at fit time keep a column each, the others share "other", and the levels are stored with
 * the model (a value unseen then scores as "other").
 */
export const featureSpecSchema = z
  .discriminatedUnion('source', [
    z.object({ source: z.literal('recency_days'), ...common }).strict(),
    z.object({ source: z.literal('frequency'), ...common }).strict(),
    z.object({ source: z.literal('monetary'), ...common }).strict(),
    z.object({ source: z.literal('avg_order_value'), ...common }).strict(),
    z.object({ source: z.literal('tenure_days'), ...common }).strict(),
    z.object({ source: z.literal('event_count'), event: name, ...common }).strict(),
    z.object({ source: z.literal('trait'), trait: valuePath, kind, topLevels, ...common }).strict(),
    z
      .object({ source: z.literal('event_property'), event: name, property: valuePath, topLevels, name: featureNameText.optional() })
      .strict(),
    z.object({ source: z.literal('computed_trait'), key: traitKey, kind, topLevels, ...common }).strict(),
  ])
  .superRefine((feature, context) => {
    const declared = 'kind' in feature ? feature.kind : undefined;
    if (declared === 'categorical') {
      for (const option of ['log1p', 'clip', 'shift'] as const) {
        if (
          option in feature &&
          (feature as Record<string, unknown>)[option] !== undefined &&
          (feature as Record<string, unknown>)[option] !== false
        )
          context.addIssue({
            code: 'custom',
            path: [option],
            message: 'applies to numeric features only; this one is categorical (one-hot)',
          });
      }
    }
    if (declared === 'numeric' && 'topLevels' in feature && feature.topLevels !== undefined)
      context.addIssue({ code: 'custom', path: ['topLevels'], message: 'applies to categorical features only' });
    if (feature.source === 'trait' && declared !== 'categorical' && feature.topLevels !== undefined)
      context.addIssue({ code: 'custom', path: ['topLevels'], message: 'needs kind "categorical"' });
  });
export type FeatureSpec = z.infer<typeof featureSpecSchema>;

/** The column name of a feature: its `name`, else the trait path (dots as _), `count_<event>`, `top_<event>_<property>`, the trait key or the source. */
export function featureName(feature: FeatureSpec): string {
  if (feature.name) return feature.name;
  switch (feature.source) {
    case 'trait':
      return feature.trait.replace(/\./g, '_');
    case 'event_count':
      return `count_${feature.event.replace(/[^A-Za-z0-9]+/g, '_')}`;
    case 'event_property':
      return `top_${feature.event}_${feature.property}`.replace(/[^A-Za-z0-9]+/g, '_');
    case 'computed_trait':
      return feature.key;
    default:
      return feature.source;
  }
}

const features = z
  .array(featureSpecSchema)
  .min(1)
  .max(50)
  .superRefine((list, context) => {
    const seen = new Set<string>();
    list.forEach((feature, index) => {
      const column = featureName(feature);
      if (seen.has(column))
        context.addIssue({ code: 'custom', path: [index, 'name'], message: `feature name "${column}" is used twice; give one a name` });
      seen.add(column);
    });
  });

/**
 * Who is trained and scored: profiles with a purchase in the window (default), every live profile,
 * or the current members of another segment (`{ "segment": "<key or id>" }`, at fit and at refresh).
 */
const population = z.union([z.enum(['purchasers', 'all']), z.object({ segment: name }).strict()]).default('purchasers');
export type ModelPopulation = z.infer<typeof population>;

const modelShape = {
  features,
  population,
  ...purchaseSourceShape,
  imputation: z.enum(['median', 'mean', 'reject']).default('median'),
  seed: z
    .number()
    .int()
    .min(0)
    .max(2 ** 31 - 1)
    .default(1),
};

/**
 * A k-means segment: the fit (features, k, scaling, seed) is done when a version is created and
 * stored with it; `cluster` picks one cluster of that stored model (0-based, as in its profiles).
 */
export const clusterDefinitionSchema = z
  .object({
    type: z.literal('cluster'),
    ...modelShape,
    k: z.number().int().min(2).max(20),
    scaling: z.enum(['standard', 'minmax', 'none']).default('standard'),
    restarts: z.number().int().min(1).max(50).default(10),
    cluster: z.number().int().min(0),
  })
  .strict()
  .superRefine((definition, context) => {
    if (definition.cluster >= definition.k)
      context.addIssue({ code: 'custom', path: ['cluster'], message: `must be below k = ${definition.k} (clusters are numbered from 0)` });
  });
export type ClusterDefinition = z.infer<typeof clusterDefinitionSchema>;

const days = z.number().int().min(1).max(3650);

/**
 * What a propensity model predicts:
 * - `kind: "performed"` (the default): the profile performs `event` within `withinDays` days after
 *   the cutoff;
 * - `kind: "churn"`: the profile does NOT perform `event` within `withinDays` days after the cutoff,
 *   among the profiles ACTIVE before it: those with, in the `active.lookbackDays` days up to the
 *   cutoff, an `event` event (`active.events: "outcome_event"`) or any track / page / screen event
 *   (`"any_event"`). Only active profiles are trained on, and at refresh only the profiles active in
 *   the lookback before the refresh time are scored (the others have churned already). The score is
 *   the churn risk: the top tier is the most at risk.
 */
export const propensityOutcomeSchema = z
  .object({
    kind: z.enum(['performed', 'churn']).default('performed'),
    event: name,
    withinDays: days,
    active: z
      .object({ lookbackDays: days, events: z.enum(['outcome_event', 'any_event']) })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((outcome, context) => {
    if (outcome.kind === 'churn' && !outcome.active)
      context.addIssue({
        code: 'custom',
        path: ['active'],
        message:
          'a churn outcome needs active: { lookbackDays, events: "outcome_event" | "any_event" } (who counts as active before the cutoff)',
      });
    if (outcome.kind !== 'churn' && outcome.active)
      context.addIssue({ code: 'custom', path: ['active'], message: 'applies to kind "churn" only' });
  });
export type PropensityOutcome = z.infer<typeof propensityOutcomeSchema>;

/**
 * When the model page flags drift (GET /segments/:id/drift): `aucFloor` — the AUC on outcomes
 * observed since the fit below which the model is flagged (default: the definition's `aucFloor`, the
 * floor it was published under); `psiThreshold` — the population stability index of a feature or of
 * the score above which it is flagged (default 0.2, the usual "significant shift" rule). Not part of
 * the fit: changing them reuses the stored model.
 */
export const driftSchema = z
  .object({ aucFloor: z.number().min(0).max(1).optional(), psiThreshold: z.number().gt(0).max(10).optional() })
  .strict();
export type DriftSettings = z.infer<typeof driftSchema>;

/**
 * A propensity segment: a logistic-regression model of its outcome (performed `outcome.event`
 * within `outcome.withinDays` days after the cutoff, or churn: did not, among the active), trained
 * when a version is created (features as of the cutoff, default: fit time − withinDays) and stored
 * with it with its tier thresholds; `tier` picks the members. At refresh the stored model scores
 * features as of the refresh time.
 */
export const propensityDefinitionSchema = z
  .object({
    type: z.literal('propensity'),
    ...modelShape,
    outcome: propensityOutcomeSchema,
    cutoff: z.iso.datetime({ offset: true }).optional(),
    C: z.number().positive().max(1e6).default(1),
    aucFloor: z.number().min(0).max(1).default(0.6),
    testFraction: z.number().gt(0).lt(1).default(0.25),
    tierShares: z
      .object({ topShare: z.number().gt(0).lt(1).default(0.2), bottomShare: z.number().gt(0).lt(1).default(0.5) })
      .strict()
      .default({ topShare: 0.2, bottomShare: 0.5 }),
    tier: z.enum(['top', 'middle', 'bottom']),
    drift: driftSchema.optional(),
  })
  .strict();
export type PropensityDefinition = z.infer<typeof propensityDefinitionSchema>;

export type FittedDefinition = ClusterDefinition | PropensityDefinition;

/** The segment (key or id) a definition's population is narrowed to, if any. */
export function populationSegment(definition: FittedDefinition): string | undefined {
  return typeof definition.population === 'object' ? definition.population.segment : undefined;
}

/** True for definitions whose members come from a model fitted when the version is created. */
export function isFittedDefinition(definition: { type: string }): definition is FittedDefinition {
  return definition.type === 'cluster' || definition.type === 'propensity';
}

/**
 * True when two fitted definitions determine the same model ({@link fitSpecification} equal), whatever
 * the order of their keys: a definition read back from a jsonb column has its keys reordered.
 * @example sameFitSpecification(storedVersion.definition, { ...storedVersion.definition, tier: 'bottom' }) // true
 */
export function sameFitSpecification(a: FittedDefinition, b: FittedDefinition): boolean {
  return a.type === b.type && canonicalJson(fitSpecification(a)) === canonicalJson(fitSpecification(b));
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`)
      .join(',')}}`;
  return JSON.stringify(value);
}

/** The part of a fitted definition that determines the model: everything but the pick (`cluster` / `tier`) and the drift flags' settings. */
export function fitSpecification(definition: FittedDefinition): Record<string, unknown> {
  if (definition.type === 'cluster') {
    const { cluster: _pick, ...spec } = definition;
    return spec;
  }
  const { tier: _pick, drift: _drift, ...spec } = definition;
  return spec;
}
