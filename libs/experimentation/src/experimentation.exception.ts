/**
 * Why an experimentation input was refused. Each code names one condition a caller can act on;
 * the API layer turns `field` and `reason` into a 4xx detail (`details[{ path, message }]`).
 */
export type ExperimentationExceptionCode =
  /** A share (control, global holdout, configured split) outside its allowed range. */
  | 'invalid_share'
  /** A salt or profile id that is not a non-empty string. */
  | 'invalid_identifier'
  /** A count or sum that is negative, fractional where an integer is needed, or not finite. */
  | 'invalid_number'
  /** Numbers that cannot belong together (conversions above members, CUPED sums for another population). */
  | 'inconsistent_input'
  /** The baseline or covariate window does not line up with the KPI window. */
  | 'window_mismatch'
  /** An option out of its allowed range (alpha, power, mixture variance, ...). */
  | 'invalid_option'
  /** A stored holdout hash version this code does not implement (never silently hashed with another). */
  | 'unknown_hash_version';

export class ExperimentationException extends Error {
  constructor(
    readonly code: ExperimentationExceptionCode,
    /** The input field concerned, as a dot path (`arms.control.conversions`). */
    readonly field: string,
    /** Human-readable reason, without the field name. */
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
    this.name = 'ExperimentationException';
  }
}
