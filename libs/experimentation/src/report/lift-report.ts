import { ExperimentationException } from '../experimentation.exception';
import { DEFAULT_SRM_THRESHOLD, sampleRatioMismatch } from '../stats/chi-square';
import { CONFIDENCE_SEQUENCE_METHOD, normalMixtureConfidenceSequence, tunedMixtureVariance } from '../stats/confidence-sequence';
import { assertCupedSums, cupedDifference } from '../stats/cuped';
import { meanAndVariance, welchTTest } from '../stats/means';
import { minimumDetectableEffect, twoProportionSampleSize } from '../stats/power';
import { assertCounts, newcombeDifference, relativeLift, twoProportionZTest, wilsonInterval } from '../stats/proportions';
import type { IntervalEstimate } from '../stats/types';
import { assertCount, assertFinite, assertNonNegative, assertOpenUnitInterval, assertRate } from '../validation';
import type {
  AlwaysValidReport,
  ArmInput,
  ArmReport,
  BaselineInput,
  CupedInput,
  LiftReport,
  LiftReportInput,
  ReportNote,
  SampleRatioMismatchReport,
  TimeWindow,
  ValueSums,
} from './lift-report.types';

const DEFAULT_ALPHA = 0.05;
const DEFAULT_POWER = 0.8;

const METHODS = {
  conversionRateInterval: 'Wilson score interval',
  absoluteLift: "difference of proportions, Newcombe's hybrid score interval (from the arms' Wilson intervals)",
  relativeLift: 'ratio of proportions minus 1, delta-method interval',
  test: 'two-proportion z-test, pooled variance, two-sided',
  alwaysValid: `${CONFIDENCE_SEQUENCE_METHOD}; tuning parameter: mixtureVariance τ² (ρ = 1/τ²)`,
  revenuePerMember: "Welch's unequal-variance t-test and t interval",
  sampleRatioMismatch: 'Pearson chi-square goodness of fit against the configured split',
  cuped: 'CUPED, θ = Cov(Y, X)/Var(X) pooled over both arms, normal interval',
  power: 'two-sided two-proportion z-test; pooled variance under H0, unpooled under H1',
};

/**
 * Builds a lift report from counts and sums alone, so any report can be recomputed from its
 * numbers. The result is JSON-safe: every undefined statistic is `null`, with a note saying why.
 *
 * Refused with {@link ExperimentationException} (field + reason): malformed numbers, conversions
 * above members, a control share outside (0, 1), a baseline window that is not the KPI window, a
 * covariate window that does not end before the KPI window, CUPED sums for other members, and
 * options out of range. Well-defined results with notes: empty arms, zero conversions, zero
 * variance, a split that fails the SRM check (reported, not thrown).
 *
 * @example buildLiftReport({ controlShare: 0.1, window: { start: '2025-03-01T00:00:00Z', end: '2025-03-08T00:00:00Z' },
 *   arms: { control: { members: 1000, conversions: 48 }, treatment: { members: 9000, conversions: 530 } } })
 */
export function buildLiftReport(input: LiftReportInput): LiftReport {
  const options = validateOptions(input);
  const { alpha } = options;
  const notes: ReportNote[] = [];
  const note = (path: string, message: string) => notes.push({ path, message });
  validateArms(input);
  const window = validateWindow(input.window, 'window');
  const baselineInput = validateBaseline(input.baseline, window);
  const cupedInput = validateCuped(input.cuped, input, window);
  const { control, treatment } = input.arms;

  const srm = sampleRatioMismatchReport(input, options.srmThreshold, note);
  const baselineRate = baselineInput && baselineInput.members > 0 ? baselineInput.conversions / baselineInput.members : null;
  const absoluteLift = newcombeDifference(treatment, control, alpha);
  const report: LiftReport = {
    version: 1,
    alpha,
    confidenceLevel: 1 - alpha,
    window: input.window,
    configuredControlShare: input.controlShare,
    methods: METHODS,
    sampleRatioMismatch: srm,
    arms: {
      control: armReport(control, alpha, baselineRate, 'arms.control', note),
      treatment: armReport(treatment, alpha, baselineRate, 'arms.treatment', note),
    },
    conversion: {
      absoluteLift,
      relativeLift: relativeLift(treatment, control, alpha),
      test: twoProportionZTest(treatment, control),
      alwaysValid: alwaysValidReport(input, options, baselineRate, absoluteLift, note),
    },
    revenuePerMember: revenueReport(input, alpha, note),
    cuped: cupedReport(cupedInput, alpha, note),
    baseline: baselineInput ? baselineReport(baselineInput, alpha, note) : null,
    power: powerReport(input, options, baselineRate, note),
    notes,
  };
  explainConversionNulls(input, note);
  return jsonSafe(report, notes);
}

interface ResolvedOptions {
  alpha: number;
  srmThreshold: number;
  power: number;
  targetRelativeLift: number | null;
  mixtureVariance: number | null;
  plannedMembers: number | null;
  plannedConversionRate: number | null;
}

function validateOptions(input: LiftReportInput): ResolvedOptions {
  if (input === null || typeof input !== 'object') throw new ExperimentationException('invalid_option', 'input', 'must be an object');
  assertOpenUnitInterval(input.controlShare, 'controlShare', 'invalid_share');
  const options = input.options ?? {};
  const resolved: ResolvedOptions = {
    alpha: options.alpha ?? DEFAULT_ALPHA,
    srmThreshold: options.srmThreshold ?? DEFAULT_SRM_THRESHOLD,
    power: options.power ?? DEFAULT_POWER,
    targetRelativeLift: options.targetRelativeLift ?? null,
    mixtureVariance: options.sequential?.mixtureVariance ?? null,
    plannedMembers: options.sequential?.plannedMembers ?? null,
    plannedConversionRate: options.sequential?.plannedConversionRate ?? null,
  };
  assertOpenUnitInterval(resolved.alpha, 'options.alpha');
  assertOpenUnitInterval(resolved.srmThreshold, 'options.srmThreshold');
  assertOpenUnitInterval(resolved.power, 'options.power');
  if (resolved.targetRelativeLift !== null) {
    assertFinite(resolved.targetRelativeLift, 'options.targetRelativeLift');
    if (resolved.targetRelativeLift === 0)
      throw new ExperimentationException('invalid_option', 'options.targetRelativeLift', 'must not be 0');
  }
  if (resolved.mixtureVariance !== null) {
    assertNonNegative(resolved.mixtureVariance, 'options.sequential.mixtureVariance');
    if (resolved.mixtureVariance === 0)
      throw new ExperimentationException('invalid_option', 'options.sequential.mixtureVariance', 'must be > 0');
  }
  if (resolved.plannedMembers !== null) {
    assertCount(resolved.plannedMembers, 'options.sequential.plannedMembers');
    if (resolved.plannedMembers < 2)
      throw new ExperimentationException('invalid_option', 'options.sequential.plannedMembers', 'must be at least 2');
  }
  if (resolved.plannedConversionRate !== null) assertRate(resolved.plannedConversionRate, 'options.sequential.plannedConversionRate');
  return resolved;
}

function validateArms(input: LiftReportInput): void {
  if (!input.arms?.control || !input.arms?.treatment) {
    throw new ExperimentationException('inconsistent_input', 'arms', 'needs both a control and a treatment arm');
  }
  for (const arm of ['control', 'treatment'] as const) {
    assertCounts(input.arms[arm], `arms.${arm}`);
    const revenue = input.arms[arm].revenue;
    if (revenue) assertValueSums(revenue, input.arms[arm].members, `arms.${arm}.revenue`);
  }
  if (Boolean(input.arms.control.revenue) !== Boolean(input.arms.treatment.revenue)) {
    throw new ExperimentationException('inconsistent_input', 'arms.treatment.revenue', 'give revenue sums for both arms or for neither');
  }
}

function assertValueSums(sums: ValueSums, members: number, path: string): void {
  assertFinite(sums.sum, `${path}.sum`);
  assertNonNegative(sums.sumOfSquares, `${path}.sumOfSquares`);
  if (members === 0 && (sums.sum !== 0 || sums.sumOfSquares !== 0)) {
    throw new ExperimentationException('inconsistent_input', path, 'an arm without members cannot have revenue');
  }
  if (members * sums.sumOfSquares + 1e-9 * Math.max(1, sums.sum ** 2) < sums.sum ** 2) {
    throw new ExperimentationException(
      'inconsistent_input',
      `${path}.sumOfSquares`,
      'is too small for the given members and sum (n·Σy² must be ≥ (Σy)²)',
    );
  }
}

/** Parses a window and returns its bounds in epoch milliseconds. */
function validateWindow(window: TimeWindow | undefined, path: string): { start: number; end: number } {
  if (!window || typeof window.start !== 'string' || typeof window.end !== 'string') {
    throw new ExperimentationException('window_mismatch', path, 'must have ISO 8601 start and end');
  }
  const start = Date.parse(window.start);
  const end = Date.parse(window.end);
  if (Number.isNaN(start))
    throw new ExperimentationException('window_mismatch', `${path}.start`, `is not an ISO 8601 date-time: ${window.start}`);
  if (Number.isNaN(end))
    throw new ExperimentationException('window_mismatch', `${path}.end`, `is not an ISO 8601 date-time: ${window.end}`);
  if (end <= start) throw new ExperimentationException('window_mismatch', `${path}.end`, 'must be after start');
  return { start, end };
}

function validateBaseline(baseline: BaselineInput | null | undefined, window: { start: number; end: number }): BaselineInput | null {
  if (!baseline) return null;
  const own = validateWindow(baseline.window, 'baseline.window');
  if (own.start !== window.start || own.end !== window.end) {
    throw new ExperimentationException(
      'window_mismatch',
      'baseline.window',
      'must be the same window as the KPI window, or the two rates are not comparable',
    );
  }
  assertCounts(baseline, 'baseline');
  if (baseline.revenue) assertValueSums(baseline.revenue, baseline.members, 'baseline.revenue');
  return baseline;
}

function validateCuped(
  cuped: CupedInput | null | undefined,
  input: LiftReportInput,
  window: { start: number; end: number },
): CupedInput | null {
  if (!cuped) return null;
  if (cuped.metric !== 'conversion' && cuped.metric !== 'revenue') {
    throw new ExperimentationException('invalid_option', 'cuped.metric', `must be 'conversion' or 'revenue', got ${String(cuped.metric)}`);
  }
  const covariate = validateWindow(cuped.covariateWindow, 'cuped.covariateWindow');
  if (covariate.end > window.start) {
    throw new ExperimentationException(
      'window_mismatch',
      'cuped.covariateWindow.end',
      'must not be after the KPI window starts: the covariate has to be measured before exposure',
    );
  }
  for (const arm of ['control', 'treatment'] as const) {
    const sums = cuped[arm];
    const counts = input.arms[arm];
    assertCupedSums(sums, `cuped.${arm}`);
    if (sums.n !== counts.members) {
      throw new ExperimentationException(
        'inconsistent_input',
        `cuped.${arm}.n`,
        `must equal arms.${arm}.members (${sums.n} ≠ ${counts.members})`,
      );
    }
    if (cuped.metric === 'conversion' && sums.sumY !== counts.conversions) {
      throw new ExperimentationException(
        'inconsistent_input',
        `cuped.${arm}.sumY`,
        `must equal arms.${arm}.conversions for the conversion metric (${sums.sumY} ≠ ${counts.conversions})`,
      );
    }
    if (cuped.metric === 'revenue') {
      const revenue = counts.revenue;
      if (!revenue)
        throw new ExperimentationException('inconsistent_input', `arms.${arm}.revenue`, 'is required when cuped.metric is revenue');
      if (Math.abs(sums.sumY - revenue.sum) > 1e-9 * Math.max(1, Math.abs(revenue.sum))) {
        throw new ExperimentationException(
          'inconsistent_input',
          `cuped.${arm}.sumY`,
          `must equal arms.${arm}.revenue.sum (${sums.sumY} ≠ ${revenue.sum})`,
        );
      }
    }
  }
  return cuped;
}

function sampleRatioMismatchReport(
  input: LiftReportInput,
  threshold: number,
  note: (path: string, message: string) => void,
): SampleRatioMismatchReport {
  const { control, treatment } = input.arms;
  const observed = { control: control.members, treatment: treatment.members };
  const result = sampleRatioMismatch([control.members, treatment.members], [input.controlShare, 1 - input.controlShare], threshold);
  if (!result) {
    note('sampleRatioMismatch', 'no members in either arm yet: nothing to check');
    return { observed, expected: null, statistic: null, pValue: null, threshold, detected: false };
  }
  if (result.mismatch) {
    note(
      'sampleRatioMismatch',
      `the arm sizes do not match the configured ${input.controlShare} control share (p = ${result.pValue.toPrecision(3)} < ${threshold}); the split is broken and the lift below must not be read`,
    );
  }
  return {
    observed,
    expected: { control: result.expected[0], treatment: result.expected[1] },
    statistic: result.statistic,
    pValue: result.pValue,
    threshold,
    detected: result.mismatch,
  };
}

function armReport(
  arm: ArmInput,
  alpha: number,
  baselineRate: number | null,
  path: string,
  note: (path: string, message: string) => void,
): ArmReport {
  const interval = wilsonInterval(arm.conversions, arm.members, alpha);
  if (!interval) note(`${path}.conversionRate`, 'no members in this arm');
  let revenuePerMember: ArmReport['revenuePerMember'] = null;
  if (arm.revenue && arm.members > 0) {
    const { mean, variance } = meanAndVariance({ n: arm.members, sum: arm.revenue.sum, sumOfSquares: arm.revenue.sumOfSquares });
    revenuePerMember = { mean, standardDeviation: variance === null ? null : Math.sqrt(variance) };
    if (variance === null) note(`${path}.revenuePerMember.standardDeviation`, 'needs at least 2 members');
  }
  const rate = interval?.estimate ?? null;
  const indexVsBaseline = rate !== null && baselineRate !== null && baselineRate > 0 ? rate / baselineRate : null;
  if (baselineRate === 0 && rate !== null) note(`${path}.indexVsBaseline`, 'the baseline has no conversions: no index');
  return {
    members: arm.members,
    conversions: arm.conversions,
    conversionRate: rate,
    conversionRateInterval: interval ? { lower: interval.lower, upper: interval.upper } : null,
    revenuePerMember,
    indexVsBaseline,
  };
}

function explainConversionNulls(input: LiftReportInput, note: (path: string, message: string) => void): void {
  const { control, treatment } = input.arms;
  const emptyArm = control.members === 0 || treatment.members === 0;
  if (emptyArm) {
    note('conversion', 'an arm has no members: lift, test and intervals need both arms');
    return;
  }
  if (control.conversions === 0) note('conversion.relativeLift', 'the control arm has no conversions: a lift relative to 0 is undefined');
  const pooled = (control.conversions + treatment.conversions) / (control.members + treatment.members);
  if (pooled === 0) note('conversion.test', 'no conversions in either arm: the test statistic is 0/0');
  if (pooled === 1) note('conversion.test', 'every member converted in both arms: the test statistic is 0/0');
}

function alwaysValidReport(
  input: LiftReportInput,
  options: ResolvedOptions,
  baselineRate: number | null,
  absoluteLift: IntervalEstimate | null,
  note: (path: string, message: string) => void,
): AlwaysValidReport | null {
  const path = 'conversion.alwaysValid';
  if (absoluteLift === null) return null; // explained with the other conversion nulls
  if (absoluteLift.standardError === 0) {
    note(path, 'the absolute lift has zero standard error (every rate is 0% or 100%): no interval to widen');
    return null;
  }
  const { control, treatment } = input.arms;
  let mixtureVariance = options.mixtureVariance;
  let tuning: AlwaysValidReport['tuning'] = 'configured';
  let tunedFor: AlwaysValidReport['tunedFor'] = null;
  if (mixtureVariance === null) {
    const pooledRate = (control.conversions + treatment.conversions) / (control.members + treatment.members);
    const members = options.plannedMembers ?? control.members + treatment.members;
    const conversionRate = options.plannedMembers !== null ? (options.plannedConversionRate ?? baselineRate ?? pooledRate) : pooledRate;
    tuning = options.plannedMembers !== null ? 'planned_members' : 'current_sample';
    const controlMembers = members * input.controlShare;
    const treatmentMembers = members - controlMembers;
    const plannedVariance = conversionRate * (1 - conversionRate) * (1 / controlMembers + 1 / treatmentMembers);
    if (!(plannedVariance > 0)) {
      note(path, `cannot tune the mixture at a ${conversionRate} conversion rate; set options.sequential.mixtureVariance`);
      return null;
    }
    mixtureVariance = tunedMixtureVariance(Math.sqrt(plannedVariance), options.alpha);
    tunedFor = { members, conversionRate };
    if (tuning === 'current_sample') {
      note(
        path,
        'τ² was tuned at the current sample size because neither options.sequential.mixtureVariance nor plannedMembers was set; the always-valid guarantee holds only for a τ² fixed before the first look, so configure one at launch',
      );
    }
  }
  const sequence = normalMixtureConfidenceSequence({
    estimate: absoluteLift.estimate,
    standardError: absoluteLift.standardError,
    alpha: options.alpha,
    mixtureVariance,
  });
  return {
    lower: sequence.lower,
    upper: sequence.upper,
    alpha: sequence.alpha,
    mixtureVariance: sequence.mixtureVariance,
    rho: sequence.rho,
    tuning,
    tunedFor,
  };
}

function revenueReport(
  input: LiftReportInput,
  alpha: number,
  note: (path: string, message: string) => void,
): LiftReport['revenuePerMember'] {
  const { control, treatment } = input.arms;
  if (!control.revenue || !treatment.revenue) return null;
  const result = welchTTest(
    { n: treatment.members, sum: treatment.revenue.sum, sumOfSquares: treatment.revenue.sumOfSquares },
    { n: control.members, sum: control.revenue.sum, sumOfSquares: control.revenue.sumOfSquares },
    alpha,
  );
  if (!result) note('revenuePerMember', 'Welch’s test needs at least 2 members per arm and some variation in revenue');
  return result;
}

function cupedReport(cuped: CupedInput | null, alpha: number, note: (path: string, message: string) => void): LiftReport['cuped'] {
  if (!cuped) return null;
  const result = cupedDifference(cuped.treatment, cuped.control, alpha);
  if (!result) {
    note('cuped', 'CUPED needs at least 2 members per arm and some variation in the KPI');
    return null;
  }
  if (result.theta === null)
    note('cuped.adjusted', 'the pre-exposure KPI is the same for every member: it carries no information, so there is no adjustment');
  else if (result.adjusted === null) note('cuped.adjusted', 'the adjusted KPI has zero variance');
  return { metric: cuped.metric, covariateWindow: cuped.covariateWindow, ...result };
}

function baselineReport(baseline: BaselineInput, alpha: number, note: (path: string, message: string) => void): LiftReport['baseline'] {
  const interval = wilsonInterval(baseline.conversions, baseline.members, alpha);
  if (!interval) note('baseline.conversionRate', 'the baseline population is empty');
  return {
    window: baseline.window,
    members: baseline.members,
    conversions: baseline.conversions,
    conversionRate: interval?.estimate ?? null,
    conversionRateInterval: interval ? { lower: interval.lower, upper: interval.upper } : null,
    revenuePerMember: baseline.revenue && baseline.members > 0 ? baseline.revenue.sum / baseline.members : null,
  };
}

function powerReport(
  input: LiftReportInput,
  options: ResolvedOptions,
  baselineRate: number | null,
  note: (path: string, message: string) => void,
): LiftReport['power'] {
  const { control, treatment } = input.arms;
  const source: 'control' | 'baseline' | null = control.members > 0 ? 'control' : baselineRate !== null ? 'baseline' : null;
  if (source === null) {
    note('power', 'no conversion rate to plan with: the control arm is empty and no baseline was given');
    return null;
  }
  const rate = source === 'control' ? control.conversions / control.members : (baselineRate as number);
  const design = { baselineRate: rate, treatmentMembers: treatment.members, controlMembers: control.members, alpha: options.alpha };
  const mde = minimumDetectableEffect(design, options.power);
  if (!mde)
    note(
      'power.minimumDetectableEffect',
      'undefined: an arm is empty, or even the largest possible increase would not reach the power at these sizes',
    );
  let sampleSizeForTarget: NonNullable<LiftReport['power']>['sampleSizeForTarget'] = null;
  const target = options.targetRelativeLift;
  if (target !== null) {
    const absoluteLift = rate * target;
    if (rate === 0) note('power.sampleSizeForTarget', 'a relative lift of a 0% conversion rate is 0: no sample size');
    else if (rate + absoluteLift > 1 || rate + absoluteLift < 0)
      note('power.sampleSizeForTarget', `a ${target} relative lift takes the ${rate} rate outside [0, 1]`);
    else {
      const size = twoProportionSampleSize({
        baselineRate: rate,
        absoluteEffect: absoluteLift,
        alpha: options.alpha,
        power: options.power,
        controlShare: input.controlShare,
      });
      sampleSizeForTarget = {
        relativeLift: target,
        absoluteLift,
        treatmentMembers: size.treatmentMembers,
        controlMembers: size.controlMembers,
        totalMembers: size.totalMembers,
      };
    }
  }
  return { power: options.power, baselineRate: rate, baselineRateSource: source, minimumDetectableEffect: mde, sampleSizeForTarget };
}

/**
 * Defence in depth: every statistic above is null when undefined, so this should never fire; if
 * it does, a non-finite number becomes null with a note rather than `NaN` in a response.
 */
function jsonSafe<T>(report: T, notes: ReportNote[]): T {
  const visit = (value: unknown, path: string): unknown => {
    if (typeof value === 'number' && !Number.isFinite(value)) {
      notes.push({ path, message: 'not a finite number (an unexpected case in the statistics): reported as null' });
      return null;
    }
    if (Array.isArray(value)) return value.map((item, i) => visit(item, `${path}[${i}]`));
    if (value !== null && typeof value === 'object') {
      const entries = Object.entries(value).map(([key, item]) => [key, visit(item, path ? `${path}.${key}` : key)]);
      return Object.fromEntries(entries);
    }
    return value;
  };
  const safe = visit({ ...report, notes: [] }, '') as T & { notes: ReportNote[] };
  safe.notes = notes;
  return safe;
}
