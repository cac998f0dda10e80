/**
 * Why a clustering or its input was refused. Each code names one condition a caller can act on;
 * the API layer turns `field` and `reason` into a 4xx detail, so nothing half-computed is published.
 */
export type ClusteringExceptionCode =
  /** A feature column or matrix shape does not match what was declared. */
  | 'shape_mismatch'
  /** A named feature is not in the matrix. */
  | 'unknown_feature'
  /** A value is missing and the imputation policy is `reject`, or every value of a feature is missing. */
  | 'missing_values'
  /** A value is ±Infinity (never treated as missing: it is a bug upstream). */
  | 'non_finite'
  /** A value cannot be transformed (log1p of a value ≤ −1). */
  | 'invalid_value'
  /** Every observed value of a feature is the same, so it carries no information and cannot be scaled. */
  | 'constant_feature'
  /** Fewer profiles than the clustering needs (k-means needs at least k, silhouette k + 1). */
  | 'too_few_rows'
  /** Fewer distinct points than clusters: some clusters would be empty by construction. */
  | 'too_few_distinct_points'
  /** A label vector that silhouette or the adjusted Rand index cannot use. */
  | 'invalid_labels'
  /** An option out of its allowed range. */
  | 'invalid_option';

export class ClusteringException extends Error {
  constructor(
    readonly code: ClusteringExceptionCode,
    /** Human-readable reason, without the field name. */
    readonly reason: string,
    /** The feature or option concerned, when there is one. */
    readonly field?: string,
    /** The row's label (a profile id) when one value of one profile is the problem. */
    readonly profileId?: string,
  ) {
    super(field ? `${field}: ${reason}` : reason);
    this.name = 'ClusteringException';
  }
}
