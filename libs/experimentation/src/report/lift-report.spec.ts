import { mulberry32 } from '@audiencekit/testing';
import fixtures from '../../fixtures/stats.json';
import { expectClose, thrownBy } from '../../fixtures/assertions';
import { ExperimentationException } from '../experimentation.exception';
import { buildLiftReport } from './lift-report';
import type { LiftReport, LiftReportInput } from './lift-report.types';

const { input: fixtureInput, expected } = fixtures.report;
const baseInput = fixtureInput as LiftReportInput;
const WINDOW = { start: '2025-03-01T00:00:00Z', end: '2025-03-15T00:00:00Z' };

/** Every number in the report, with its path; the report must survive JSON unchanged. */
function numbersIn(value: unknown, path = ''): [string, number][] {
  if (typeof value === 'number') return [[path, value]];
  if (Array.isArray(value)) return value.flatMap((item, i) => numbersIn(item, `${path}[${i}]`));
  if (value !== null && typeof value === 'object')
    return Object.entries(value).flatMap(([key, item]) => numbersIn(item, path ? `${path}.${key}` : key));
  return [];
}

function expectJsonSafe(report: LiftReport): void {
  const nonFinite = numbersIn(report).filter(([, value]) => !Number.isFinite(value));
  expect(nonFinite).toEqual([]);
  expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  expect(report.notes.filter((note) => note.message.includes('unexpected case'))).toEqual([]);
}

function minimal(
  control: { members: number; conversions: number },
  treatment: { members: number; conversions: number },
  controlShare = 0.1,
): LiftReportInput {
  return { controlShare, window: WINDOW, arms: { control, treatment } };
}

describe('buildLiftReport: one activation end to end (every number from scipy/statsmodels)', () => {
  const report = buildLiftReport(baseInput);

  it('reports each arm with a Wilson interval, revenue per member and its index against the full base', () => {
    for (const arm of ['control', 'treatment'] as const) {
      const actual = report.arms[arm];
      const reference = expected.arms[arm];
      expectClose(actual.conversionRate, reference.conversionRate, `${arm} rate`);
      expectClose(actual.conversionRateInterval?.lower, reference.lower, `${arm} lower`);
      expectClose(actual.conversionRateInterval?.upper, reference.upper, `${arm} upper`);
      expectClose(actual.revenuePerMember?.mean, reference.revenueMean, `${arm} revenue mean`);
      expectClose(actual.revenuePerMember?.standardDeviation, reference.revenueStd, `${arm} revenue sd`);
      expectClose(actual.indexVsBaseline, reference.indexVsBaseline, `${arm} index`);
    }
    expectClose(report.baseline?.conversionRate, expected.baseline.conversionRate, 'baseline rate');
    expectClose(report.baseline?.conversionRateInterval?.lower, expected.baseline.lower, 'baseline lower');
  });

  it('reports the absolute and relative lift, the z-test and the Welch test', () => {
    for (const key of ['estimate', 'lower', 'upper'] as const) {
      expectClose(report.conversion.absoluteLift?.[key], expected.absoluteLift[key], `absolute ${key}`);
      expectClose(report.conversion.relativeLift?.[key], expected.relativeLift[key], `relative ${key}`);
      expectClose(report.revenuePerMember?.[key], expected.revenuePerMember[key], `revenue ${key}`);
    }
    expectClose(report.conversion.test?.z, expected.test.z, 'z');
    expectClose(report.conversion.test?.pValue, expected.test.pValue, 'p');
    expectClose(report.revenuePerMember?.t, expected.revenuePerMember.t, 't');
    expectClose(report.revenuePerMember?.degreesOfFreedom, expected.revenuePerMember.degreesOfFreedom, 'df');
    expectClose(report.revenuePerMember?.pValue, expected.revenuePerMember.pValue, 'revenue p');
  });

  it('checks the split first and finds it healthy', () => {
    expect(Object.keys(report).indexOf('sampleRatioMismatch')).toBeLessThan(Object.keys(report).indexOf('conversion'));
    expectClose(report.sampleRatioMismatch.statistic, expected.sampleRatioMismatch.statistic, 'SRM statistic');
    expectClose(report.sampleRatioMismatch.pValue, expected.sampleRatioMismatch.pValue, 'SRM p');
    expect(report.sampleRatioMismatch.detected).toBe(false);
  });

  it('reports CUPED next to the plain estimate, with a narrower interval', () => {
    expectClose(report.cuped?.theta, expected.cuped.theta, 'theta');
    for (const kind of ['plain', 'adjusted'] as const) {
      for (const key of ['estimate', 'lower', 'upper', 'pValue'] as const)
        expectClose(report.cuped?.[kind]?.[key], expected.cuped[kind][key], `cuped ${kind} ${key}`);
    }
    expect(report.cuped?.varianceReduction).toBeGreaterThan(0);
  });

  it('states the always-valid interval with its method and tuning parameter', () => {
    const alwaysValid = report.conversion.alwaysValid;
    expectClose(alwaysValid?.lower, expected.alwaysValid.lower, 'always-valid lower');
    expectClose(alwaysValid?.upper, expected.alwaysValid.upper, 'always-valid upper');
    expect(alwaysValid).toMatchObject({ tuning: 'configured', mixtureVariance: 2e-5, rho: 1 / 2e-5, alpha: 0.05 });
    expect(report.methods.alwaysValid).toMatch(/normal-mixture.*Howard.*mixtureVariance/);
    // Wider than the fixed-horizon interval: the price of peeking.
    expect((alwaysValid?.upper ?? 0) - (alwaysValid?.lower ?? 0)).toBeGreaterThan(
      (report.conversion.absoluteLift?.upper ?? 0) - (report.conversion.absoluteLift?.lower ?? 0),
    );
  });

  it('reports the minimum detectable effect and the sample size for the target lift', () => {
    expectClose(report.power?.minimumDetectableEffect?.absolute, expected.power.minimumDetectableEffect, 'MDE');
    expect(report.power).toMatchObject({ baselineRateSource: 'control', power: 0.8 });
    expect(report.power?.sampleSizeForTarget).toMatchObject({
      treatmentMembers: expected.power.treatmentMembers,
      controlMembers: expected.power.controlMembers,
    });
  });

  it('is JSON-safe and has nothing to explain', () => {
    expectJsonSafe(report);
    expect(report.notes).toEqual([]);
  });
});

describe('buildLiftReport: well-defined results for degenerate data', () => {
  it('an empty control arm: nulls with reasons, and the SRM check flags the broken split', () => {
    const report = buildLiftReport(minimal({ members: 0, conversions: 0 }, { members: 5_000, conversions: 40 }));
    expect(report.arms.control).toMatchObject({ conversionRate: null, conversionRateInterval: null });
    expect(report.conversion).toEqual({ absoluteLift: null, relativeLift: null, test: null, alwaysValid: null });
    expect(report.sampleRatioMismatch.detected).toBe(true);
    expect(report.power).toBeNull();
    expect(report.notes.map((note) => note.path)).toEqual(
      expect.arrayContaining(['sampleRatioMismatch', 'arms.control.conversionRate', 'conversion', 'power']),
    );
    expectJsonSafe(report);
  });

  it('no members at all (day 0): nothing to compute, nothing flagged', () => {
    const report = buildLiftReport(minimal({ members: 0, conversions: 0 }, { members: 0, conversions: 0 }));
    expect(report.sampleRatioMismatch).toMatchObject({ detected: false, pValue: null, statistic: null });
    expectJsonSafe(report);
  });

  it('zero conversions in both arms: an absolute-lift interval around 0 (Newcombe), no relative lift, no test', () => {
    const report = buildLiftReport(minimal({ members: 1_000, conversions: 0 }, { members: 9_000, conversions: 0 }));
    expect(report.conversion.absoluteLift).toMatchObject({ estimate: 0, standardError: 0 });
    expect(report.conversion.absoluteLift?.lower).toBeLessThan(0);
    expect(report.conversion.absoluteLift?.upper).toBeGreaterThan(0);
    expect(report.conversion).toMatchObject({ relativeLift: null, test: null, alwaysValid: null });
    expect(report.arms.control.conversionRateInterval?.upper).toBeGreaterThan(0);
    expect(report.notes.map((note) => note.path)).toEqual(
      expect.arrayContaining(['conversion.relativeLift', 'conversion.test', 'conversion.alwaysValid']),
    );
    expectJsonSafe(report);
  });

  it("a small control without conversions: the absolute-lift interval agrees with the test (issue #16's 45/200 vs 0/10, p = 0.09)", () => {
    const report = buildLiftReport(minimal({ members: 10, conversions: 0 }, { members: 200, conversions: 45 }, 0.05));
    const reference = fixtures.newcombe.find((row) => row.treatment.conversions === 45 && row.control.members === 10 && row.alpha === 0.05);
    expect(report.methods.absoluteLift).toMatch(/Newcombe/);
    expect(report.conversion.test?.pValue).toBeGreaterThan(0.05);
    expectClose(report.conversion.absoluteLift?.lower, reference?.lower ?? NaN, 'lower');
    expectClose(report.conversion.absoluteLift?.upper, reference?.upper ?? NaN, 'upper');
    expect(report.conversion.absoluteLift?.lower).toBeLessThan(0);
    expect(report.conversion.absoluteLift?.upper).toBeGreaterThan(0);
    expectJsonSafe(report);
  });

  it('zero conversions in control only: absolute lift and test, but no relative lift', () => {
    const report = buildLiftReport(minimal({ members: 1_000, conversions: 0 }, { members: 9_000, conversions: 30 }));
    expect(report.conversion.relativeLift).toBeNull();
    expect(report.conversion.test?.pValue).toBeGreaterThan(0);
    expect(report.conversion.absoluteLift?.estimate).toBeCloseTo(30 / 9_000, 15);
    expectJsonSafe(report);
  });

  it('a sample-ratio mismatch is reported (not thrown), flagged with the first note', () => {
    const report = buildLiftReport(minimal({ members: 1_300, conversions: 60 }, { members: 9_000, conversions: 500 }));
    expect(report.sampleRatioMismatch.detected).toBe(true);
    expect(report.notes[0]).toMatchObject({ path: 'sampleRatioMismatch' });
    expect(report.notes[0].message).toMatch(/must not be read/);
  });

  it('uses a configurable SRM threshold', () => {
    const input = minimal({ members: 1_040, conversions: 60 }, { members: 9_000, conversions: 500 });
    expect(buildLiftReport(input).sampleRatioMismatch.detected).toBe(false);
    expect(buildLiftReport({ ...input, options: { srmThreshold: 0.5 } }).sampleRatioMismatch.detected).toBe(true);
  });

  it('single-member arms: rates, but no revenue test', () => {
    const report = buildLiftReport({
      controlShare: 0.5,
      window: WINDOW,
      arms: {
        control: { members: 1, conversions: 1, revenue: { sum: 20, sumOfSquares: 400 } },
        treatment: { members: 1, conversions: 0, revenue: { sum: 0, sumOfSquares: 0 } },
      },
    });
    expect(report.revenuePerMember).toBeNull();
    expect(report.arms.control.revenuePerMember).toEqual({ mean: 20, standardDeviation: null });
    expectJsonSafe(report);
  });
});

describe('buildLiftReport: tuning of the always-valid interval', () => {
  const input = minimal({ members: 1_000, conversions: 48 }, { members: 9_000, conversions: 530 });

  it('tunes τ² at the planned audience when given, using the baseline rate', () => {
    const report = buildLiftReport({
      ...input,
      baseline: { window: WINDOW, members: 100_000, conversions: 5_000 },
      options: { sequential: { plannedMembers: 50_000 } },
    });
    expect(report.conversion.alwaysValid).toMatchObject({ tuning: 'planned_members', tunedFor: { members: 50_000, conversionRate: 0.05 } });
    expect(report.notes).toEqual([]);
  });

  it('falls back to the current sample, and says why that is weaker', () => {
    const report = buildLiftReport(input);
    expect(report.conversion.alwaysValid?.tuning).toBe('current_sample');
    expect(report.notes.find((note) => note.path === 'conversion.alwaysValid')?.message).toMatch(/fixed before the first look/);
  });
});

describe('buildLiftReport: refused input (ExperimentationException with field and reason)', () => {
  const input = minimal({ members: 1_000, conversions: 48 }, { members: 9_000, conversions: 530 });

  it.each([0, 1, 1.2, -0.1, Number.NaN])('a control share of %p', (controlShare) => {
    expect(thrownBy(ExperimentationException, () => buildLiftReport({ ...input, controlShare }))).toMatchObject({
      code: 'invalid_share',
      field: 'controlShare',
    });
  });

  it('conversions above members, negative or fractional counts', () => {
    const arms = (control: { members: number; conversions: number }) => ({ ...input, arms: { ...input.arms, control } });
    expect(thrownBy(ExperimentationException, () => buildLiftReport(arms({ members: 10, conversions: 11 })))).toMatchObject({
      code: 'inconsistent_input',
      field: 'arms.control.conversions',
    });
    expect(thrownBy(ExperimentationException, () => buildLiftReport(arms({ members: -1, conversions: 0 })))).toMatchObject({
      code: 'invalid_number',
      field: 'arms.control.members',
    });
    expect(thrownBy(ExperimentationException, () => buildLiftReport(arms({ members: 10, conversions: 2.5 })))).toMatchObject({
      code: 'invalid_number',
      field: 'arms.control.conversions',
    });
  });

  it('a baseline over a different window', () => {
    const error = thrownBy(ExperimentationException, () =>
      buildLiftReport({
        ...input,
        baseline: { window: { start: WINDOW.start, end: '2025-03-14T00:00:00Z' }, members: 10, conversions: 1 },
      }),
    );
    expect(error).toMatchObject({ code: 'window_mismatch', field: 'baseline.window' });
  });

  it('a malformed or empty KPI window', () => {
    expect(
      thrownBy(ExperimentationException, () => buildLiftReport({ ...input, window: { start: 'yesterday', end: WINDOW.end } })).field,
    ).toBe('window.start');
    expect(
      thrownBy(ExperimentationException, () => buildLiftReport({ ...input, window: { start: WINDOW.end, end: WINDOW.start } })).field,
    ).toBe('window.end');
  });

  it('a CUPED covariate window that overlaps the exposure, or sums for other members', () => {
    const cuped = baseInput.cuped as NonNullable<LiftReportInput['cuped']>;
    const overlapping = {
      ...baseInput,
      cuped: { ...cuped, covariateWindow: { start: '2025-02-20T00:00:00Z', end: '2025-03-02T00:00:00Z' } },
    };
    expect(thrownBy(ExperimentationException, () => buildLiftReport(overlapping))).toMatchObject({
      code: 'window_mismatch',
      field: 'cuped.covariateWindow.end',
    });
    const otherMembers = { ...baseInput, cuped: { ...cuped, control: { ...cuped.control, n: cuped.control.n + 1 } } };
    expect(thrownBy(ExperimentationException, () => buildLiftReport(otherMembers))).toMatchObject({
      code: 'inconsistent_input',
      field: 'cuped.control.n',
    });
    const otherConversions = {
      ...baseInput,
      cuped: { ...cuped, treatment: { ...cuped.treatment, sumY: cuped.treatment.sumY - 1, sumYY: cuped.treatment.sumYY - 1 } },
    };
    expect(thrownBy(ExperimentationException, () => buildLiftReport(otherConversions))).toMatchObject({
      code: 'inconsistent_input',
      field: 'cuped.treatment.sumY',
    });
  });

  it('revenue for one arm only', () => {
    const oneSided = { ...input, arms: { ...input.arms, control: { ...input.arms.control, revenue: { sum: 10, sumOfSquares: 100 } } } };
    expect(thrownBy(ExperimentationException, () => buildLiftReport(oneSided)).field).toBe('arms.treatment.revenue');
  });

  it('options out of range', () => {
    expect(thrownBy(ExperimentationException, () => buildLiftReport({ ...input, options: { alpha: 0 } })).field).toBe('options.alpha');
    expect(thrownBy(ExperimentationException, () => buildLiftReport({ ...input, options: { power: 1 } })).field).toBe('options.power');
    expect(
      thrownBy(ExperimentationException, () => buildLiftReport({ ...input, options: { sequential: { mixtureVariance: -1 } } })).field,
    ).toBe('options.sequential.mixtureVariance');
  });
});

describe('buildLiftReport: never NaN or Infinity (2,000 random inputs, zeros and extremes included)', () => {
  it('returns finite numbers or null for every valid input', () => {
    const random = mulberry32(424242);
    const pick = <T>(values: T[]) => values[Math.floor(random() * values.length)];
    for (let i = 0; i < 2_000; i++) {
      const arm = () => {
        const members = pick([0, 1, 2, 3, 10, 1_000, 123_457, 5_000_000]);
        const conversions = pick([0, members, Math.floor(random() * (members + 1))]);
        const value = pick([0, 1, 99.99]);
        return { members, conversions, revenue: { sum: conversions * value, sumOfSquares: conversions * value * value } };
      };
      const input: LiftReportInput = {
        controlShare: pick([0.001, 0.1, 0.5, 0.999]),
        window: WINDOW,
        arms: { control: arm(), treatment: arm() },
        baseline: random() < 0.5 ? { window: WINDOW, ...arm() } : null,
        options: {
          targetRelativeLift: pick([null, 0.1, -0.5, 3]),
          alpha: pick([0.05, 0.2]),
          sequential: random() < 0.5 ? { plannedMembers: 10_000 } : null,
        },
      };
      const report = buildLiftReport(input);
      const nonFinite = numbersIn(report).filter(([, value]) => !Number.isFinite(value));
      expect([i, nonFinite]).toEqual([i, []]);
      expect(report.notes.filter((note) => note.message.includes('unexpected case'))).toEqual([]);
    }
  });
});
