import { type ClusteringExceptionCode } from '../clustering/clustering.exception';

/** Why a propensity model was refused. Nothing is published when one of these is thrown. */
export type PropensityExceptionCode =
  /** The outcome is not one 0/1 value per profile. */
  | 'invalid_outcome'
  /** The outcome (or one side of the split) has a single class: there is nothing to learn or to measure. */
  | 'single_class'
  /** The held-out AUC is below the configured floor; the report is attached for the user to read. */
  | 'auc_below_floor'
  /** Newton's method did not converge within the iteration limit. */
  | 'not_converged'
  | 'invalid_option'
  | 'shape_mismatch'
  /** Feature problems found while preprocessing (same meaning as for clustering). */
  | Extract<
      ClusteringExceptionCode,
      'missing_values' | 'non_finite' | 'invalid_value' | 'constant_feature' | 'unknown_feature' | 'too_few_rows'
    >;

export class PropensityException<Report = unknown> extends Error {
  constructor(
    readonly code: PropensityExceptionCode,
    /** Human-readable reason, without the field name. */
    readonly reason: string,
    /** The feature, option or input concerned, when there is one. */
    readonly field?: string,
    /** For `auc_below_floor`: the full evaluation of the refused model. */
    readonly report?: Report,
    /** The profile whose value is the problem, when there is one (a feature value log1p cannot take, ...). */
    readonly profileId?: string,
  ) {
    super(field ? `${field}: ${reason}` : reason);
    this.name = 'PropensityException';
  }
}
