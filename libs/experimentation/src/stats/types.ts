/** One arm of a binary KPI: how many members, how many of them converted in the window. */
export interface ConversionCounts {
  members: number;
  conversions: number;
}

/** Sufficient statistics of a numeric per-member value (revenue), members without a value counting 0. */
export interface MomentSums {
  /** Number of members. */
  n: number;
  /** Σ y. */
  sum: number;
  /** Σ y². */
  sumOfSquares: number;
}

/** An estimate with a two-sided confidence interval at the stated level. */
export interface IntervalEstimate {
  estimate: number;
  lower: number;
  upper: number;
  standardError: number;
}
