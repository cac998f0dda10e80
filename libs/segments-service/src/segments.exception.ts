import type { ClusteringExceptionCode, PropensityExceptionCode } from '@audiencekit/segments-domain';
import { CodedException, type ErrorDetail } from '@audiencekit/util';

/** Why the segment service refused a request. apps/api maps each code to an HTTP status. */
export type SegmentsExceptionCode =
  /** The definition fails the schema or the cost budget (details name the path under `definition`). */
  | 'invalid_definition'
  /** A cluster / propensity definition cannot be previewed before its model is fitted. */
  | 'needs_fitted_model'
  | 'unknown_segment_reference'
  /** A `computed_trait` condition on a key no computed or SQL trait has (details name the path). */
  | 'unknown_computed_trait'
  /** A model feature on a SQL trait's column: it keeps no history, so its value as of a cutoff cannot be computed. */
  | 'sql_trait_not_a_feature'
  | 'segment_reference_cycle'
  /** A real-time cadence for a definition that cannot be evaluated one profile at a time (details name the part). */
  | 'not_realtime_capable'
  /** A segment real-time segments refer to cannot stop being real time while they do. */
  | 'segment_referenced_by_realtime'
  | 'segment_key_taken'
  | 'segment_not_found'
  | 'segment_version_not_found'
  | 'profile_not_found'
  /** Refit asked of a segment that has no model (rules, RFM, intent × value). */
  | 'not_a_model_segment'
  /** Choose-k asked with a definition that is not a cluster definition. */
  | 'not_a_cluster_definition'
  /** A propensity cutoff whose outcome window has not closed yet. */
  | 'outcome_window_open'
  | 'no_profiles'
  /** Every live profile was first seen after the fit's cutoff (imported profiles: at import, unless a first-seen column was mapped). */
  | 'no_profiles_seen_by_cutoff'
  /** A churn fit whose population has nobody active in the lookback before the cutoff (or before now, for scoring). */
  | 'no_active_profiles'
  | 'no_purchases_in_window'
  /** A list upload to a segment that is not a list segment, or a list definition previewed (its members are its uploads). */
  | 'not_a_list_segment'
  | 'list_needs_upload'
  /** A list upload that is not readable CSV, over the limits, or without a line. */
  | 'invalid_list_csv'
  | 'list_too_large'
  | 'empty_list'
  /** Run control: an unknown run of the segment, a cancel of a finished run, a retry of a run that did not fail. */
  | 'run_not_found'
  | 'run_not_cancellable'
  | 'run_not_retryable'
  /** A fit, refit or k choice whose work (restarts × k × rows, or rows × features × iterations) is above the configured cap. */
  | 'fit_work_over_cap'
  | 'fit_job_not_found'
  /** A fit refused by the pure libs (libs/segments-domain): their own code, the field under `definition`. */
  | ClusteringExceptionCode
  | PropensityExceptionCode;

export class SegmentsException extends CodedException<SegmentsExceptionCode> {
  constructor(code: SegmentsExceptionCode, message: string, details?: readonly ErrorDetail[]) {
    super(code, message, details);
  }
}
