import type { CupedSums, MeanDifference } from '../stats/cuped';
import type { IntervalEstimate } from '../stats/types';

/** A half-open calendar interval [start, end), ISO 8601 date-times. */
export interface TimeWindow {
  start: string;
  end: string;
}

/** Sums of the KPI's value (e.g. revenue) over an arm's members; members without a value count 0. */
export interface ValueSums {
  sum: number;
  sumOfSquares: number;
}

export interface ArmInput {
  /** Members assigned to the arm (treatment: sent or eligible to be sent, by intent to treat). */
  members: number;
  /** Members with at least one KPI event in the window. */
  conversions: number;
  /** Sums of the KPI value per member, when the KPI carries a value. Both arms or neither. */
  revenue?: ValueSums | null;
}

/** The unsegmented population over the same window, so "segmented vs full base" can be read. */
export interface BaselineInput {
  window: TimeWindow;
  members: number;
  conversions: number;
  revenue?: ValueSums | null;
}

/** CUPED input: per-arm sums of Y (the KPI in the window) and X (the same KPI before exposure). */
export interface CupedInput {
  /** Which KPI Y is: the conversion indicator (Σy must equal conversions) or the value (Σy = revenue.sum). */
  metric: 'conversion' | 'revenue';
  /** The pre-exposure window X was measured over; it must end no later than `window.start`. */
  covariateWindow: TimeWindow;
  control: CupedSums;
  treatment: CupedSums;
}

export interface SequentialOptions {
  /** τ² of the normal mixture, on the squared scale of the absolute lift. Fix it before launch. */
  mixtureVariance?: number | null;
  /** Audience size (both arms) the interval should be tightest at; used when τ² is not given. */
  plannedMembers?: number | null;
  /** Conversion rate assumed for `plannedMembers`; defaults to the baseline's rate, then the pooled rate. */
  plannedConversionRate?: number | null;
}

export interface LiftReportOptions {
  /** Significance level of every interval and test (default 0.05). */
  alpha?: number;
  /** p-value below which the split is flagged as broken (default 0.001). */
  srmThreshold?: number;
  /** Power for the minimum detectable effect and the sample size (default 0.8). */
  power?: number;
  /** Relative lift the sample-size calculation targets (e.g. 0.1 for +10%); omitted → no sample size. */
  targetRelativeLift?: number | null;
  sequential?: SequentialOptions | null;
}

export interface LiftReportInput {
  /** The configured share of the audience held back as control, in (0, 1). */
  controlShare: number;
  /** The window conversions were counted in. */
  window: TimeWindow;
  arms: { control: ArmInput; treatment: ArmInput };
  baseline?: BaselineInput | null;
  cuped?: CupedInput | null;
  options?: LiftReportOptions | null;
}

/** Why a value is null (or what to keep in mind reading it); `path` is the report field. */
export interface ReportNote {
  path: string;
  message: string;
}

export interface ArmReport {
  members: number;
  conversions: number;
  conversionRate: number | null;
  /** Wilson score interval of the conversion rate. */
  conversionRateInterval: { lower: number; upper: number } | null;
  /** Mean and sample standard deviation of the KPI value per member, when given. */
  revenuePerMember: { mean: number; standardDeviation: number | null } | null;
  /** conversionRate / baseline conversion rate (1 = same as the full base). */
  indexVsBaseline: number | null;
}

export interface SampleRatioMismatchReport {
  observed: { control: number; treatment: number };
  expected: { control: number; treatment: number } | null;
  statistic: number | null;
  pValue: number | null;
  threshold: number;
  /** True: the split is broken (assignment, logging or delivery bug); do not read the lift. */
  detected: boolean;
}

export interface AlwaysValidReport {
  lower: number;
  upper: number;
  alpha: number;
  /** τ², variance of the N(0, τ²) mixture over the absolute lift. */
  mixtureVariance: number;
  /** ρ = 1/τ² in Howard et al.'s notation (intrinsic time = 1/se²). */
  rho: number;
  /** Where τ² came from: configured, tuned at the planned audience, or tuned at the current sample. */
  tuning: 'configured' | 'planned_members' | 'current_sample';
  tunedFor: { members: number; conversionRate: number } | null;
}

export interface LiftReport {
  version: 1;
  alpha: number;
  confidenceLevel: number;
  window: TimeWindow;
  configuredControlShare: number;
  methods: Record<string, string>;
  /** First on purpose: when `detected`, nothing below should be read. */
  sampleRatioMismatch: SampleRatioMismatchReport;
  arms: { control: ArmReport; treatment: ArmReport };
  conversion: {
    absoluteLift: IntervalEstimate | null;
    relativeLift: IntervalEstimate | null;
    test: { z: number; pValue: number } | null;
    alwaysValid: AlwaysValidReport | null;
  };
  revenuePerMember:
    (IntervalEstimate & { treatmentMean: number; controlMean: number; t: number; degreesOfFreedom: number; pValue: number }) | null;
  cuped: {
    metric: 'conversion' | 'revenue';
    covariateWindow: TimeWindow;
    theta: number | null;
    plain: MeanDifference;
    adjusted: MeanDifference | null;
    varianceReduction: number | null;
  } | null;
  baseline: {
    window: TimeWindow;
    members: number;
    conversions: number;
    conversionRate: number | null;
    conversionRateInterval: { lower: number; upper: number } | null;
    revenuePerMember: number | null;
  } | null;
  power: {
    power: number;
    baselineRate: number;
    baselineRateSource: 'control' | 'baseline';
    minimumDetectableEffect: { absolute: number; relative: number | null } | null;
    sampleSizeForTarget: {
      relativeLift: number;
      absoluteLift: number;
      treatmentMembers: number;
      controlMembers: number;
      totalMembers: number;
    } | null;
  } | null;
  notes: ReportNote[];
}
