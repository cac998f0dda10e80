import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expectAllClose, expectClose, thrownBy } from '../../fixtures/ml/assertions';
import { categoricalCodes, featureMatrix, selectRows } from '../clustering/feature-matrix';
import { rocAuc } from './auc';
import {
  addDriftCounts,
  countDriftBins,
  decileEdges,
  driftFromCounts,
  driftReference,
  measureDrift,
  numericShares,
  populationStabilityIndex,
  PSI_EPSILON,
  type DriftReference,
} from './drift';
import type { PropensityModel } from './propensity-model';
import { PropensityException } from './propensity.exception';

interface NumericCase {
  name: string;
  kind: 'numeric';
  reference: (number | null)[];
  current: (number | null)[];
  edges: number[];
  expected: number[];
  actual: number[];
  psi: number;
}
interface CategoricalCase {
  name: string;
  kind: 'categorical';
  levels: string[];
  reference: (string | null)[];
  current: (string | null)[];
  expected: number[];
  actual: number[];
  psi: number;
}
interface DriftFixture {
  epsilon: number;
  psi: (NumericCase | CategoricalCase)[];
  auc: { name: string; scores: number[]; labels: number[]; auc: number }[];
}

const fixture: DriftFixture = JSON.parse(readFileSync(join(__dirname, '../../fixtures/drift/drift.json'), 'utf8'));
const numericCases = fixture.psi.filter((c): c is NumericCase => c.kind === 'numeric');
const categoricalCases = fixture.psi.filter((c): c is CategoricalCase => c.kind === 'categorical');
const values = (list: (number | null)[]) => Float64Array.from(list, (v) => (v === null ? Number.NaN : v));

/** A model whose preprocessor kept `levels` of the categorical column `name` (all drift reads of a model). */
function modelKeeping(name: string, levels: string[]): PropensityModel {
  return {
    preprocessor: {
      features: levels.map((level) => ({ name: `${name}=${level}`, oneHot: { of: name, level } })),
    },
  } as unknown as PropensityModel;
}

describe('drift against numpy / scikit-learn (fixtures/drift/make_drift_fixture.py)', () => {
  it('uses the same epsilon', () => {
    expect(PSI_EPSILON).toBe(fixture.epsilon);
  });

  it.each(numericCases.map((c) => [c.name, c] as const))('numeric %s: edges, shares and PSI', (_name, c) => {
    const edges = decileEdges(values(c.reference));
    expectAllClose(edges, c.edges, 1e-12, 'edges');
    expectAllClose(numericShares(values(c.reference), edges), c.expected, 1e-12, 'expected shares');
    expectAllClose(numericShares(values(c.current), edges), c.actual, 1e-12, 'actual shares');
    expectClose(populationStabilityIndex(c.expected, c.actual), c.psi, 1e-10, 'PSI');
  });

  it.each(categoricalCases.map((c) => [c.name, c] as const))('categorical %s: reference and PSI through a model matrix', (_name, c) => {
    const matrixOf = (list: (string | null)[]) => {
      const { codes, levels } = categoricalCodes(list);
      return featureMatrix(codes, list.length, ['contract'], { categories: { contract: levels } });
    };
    const reference = matrixOf(c.reference);
    const stored = driftReference(modelKeeping('contract', c.levels), reference, new Float64Array(reference.rows).fill(0.5));
    expect(stored.features[0]).toMatchObject({ feature: 'contract', kind: 'categorical', levels: c.levels });
    expectAllClose(stored.features[0].shares, c.expected, 1e-12, 'expected shares');
    const current = matrixOf(c.current);
    const report = measureDrift(stored, current, new Float64Array(current.rows).fill(0.5), 0.2);
    expectAllClose(
      report.features[0].bins.map((bin) => bin.actual),
      c.actual,
      1e-12,
      'actual shares',
    );
    expect(report.features[0].bins.map((bin) => bin.label)).toEqual([...c.levels, '(other)', '(missing)']);
    expectClose(report.features[0].psi, c.psi, 1e-10, 'PSI');
    expect(report.features[0].flagged).toBe(c.psi > 0.2);
  });

  it.each(fixture.auc.map((c) => [c.name, c] as const))('AUC %s equals roc_auc_score', (_name, c) => {
    expectClose(rocAuc(c.scores, c.labels), c.auc, 1e-12, 'AUC');
  });
});

describe('measureDrift', () => {
  const shifted = numericCases.find((c) => c.name === 'normal-shifted') as NumericCase;
  const same = numericCases.find((c) => c.name === 'normal-same') as NumericCase;

  it('flags a feature and a score whose PSI is above the threshold, and only those', () => {
    const reference = featureMatrix(values(shifted.reference), shifted.reference.length, ['spend']);
    const stored = driftReference(
      modelKeeping('none', []),
      reference,
      values(shifted.reference).map((v) => v / 100),
    );
    for (const [current, psi] of [
      [shifted.current, shifted.psi],
      [same.current.slice(0, 1500), null],
    ] as const) {
      const matrix = featureMatrix(values([...current]), current.length, ['spend']);
      const report = measureDrift(
        stored,
        matrix,
        values([...current]).map((v) => v / 100),
        0.2,
      );
      if (psi !== null) expectClose(report.features[0].psi, psi, 1e-10, 'PSI');
      // The score is the feature / 100: same bins, same PSI.
      expectClose(report.score.psi, report.features[0].psi, 1e-9, 'score PSI');
      expect(report.features[0].flagged).toBe(report.features[0].psi > 0.2);
      expect(report.score.flagged).toBe(report.score.psi > 0.2);
    }
    const flaggedShift = measureDrift(
      stored,
      featureMatrix(values(shifted.current), shifted.current.length, ['spend']),
      values(shifted.current),
      0.2,
    );
    expect(flaggedShift.features[0].flagged).toBe(true);
    expect(
      measureDrift(stored, featureMatrix(values(shifted.current), shifted.current.length, ['spend']), values(shifted.current), 0.25)
        .features[0].flagged,
    ).toBe(false);
  });

  it('is 0 for the reference rows themselves and names a feature the population lacks', () => {
    const reference = featureMatrix(values(same.reference), same.reference.length, ['spend']);
    const scores = values(same.reference).map((v) => v / 100);
    const stored: DriftReference = driftReference(modelKeeping('none', []), reference, scores);
    expect(measureDrift(stored, reference, scores).features[0].psi).toBe(0);
    expect(measureDrift(stored, reference, scores).score.psi).toBe(0);
    const other = featureMatrix(values(same.reference), same.reference.length, ['frequency']);
    expect(thrownBy(PropensityException, () => measureDrift(stored, other, scores))).toMatchObject({
      code: 'unknown_feature',
      field: 'spend',
    });
  });

  it('counted in chunks and summed, gives exactly the report of the whole population', () => {
    const lognormal = numericCases.find((c) => c.name === 'lognormal-missing') as NumericCase;
    const contract = categoricalCases.find((c) => c.name === 'contract') as CategoricalCase;
    const rows = Math.min(lognormal.current.length, contract.current.length);
    const build = (numeric: (number | null)[], categorical: (string | null)[]) => {
      const { codes, levels } = categoricalCodes(categorical.slice(0, rows));
      const data = new Float64Array(rows * 2);
      for (let i = 0; i < rows; i++) {
        data[i * 2] = numeric[i] ?? Number.NaN;
        data[i * 2 + 1] = codes[i];
      }
      return featureMatrix(data, rows, ['spend', 'contract'], { categories: { contract: levels } });
    };
    const reference = build(lognormal.reference, contract.reference);
    const stored = driftReference(
      modelKeeping('contract', contract.levels),
      reference,
      Float64Array.from({ length: rows }, (_, i) => i / rows),
    );
    const now = build(lognormal.current, contract.current);
    const scores = Float64Array.from({ length: rows }, (_, i) => ((i * 7919) % rows) / rows);
    const whole = measureDrift(stored, now, scores, 0.2);
    let counts = countDriftBins(stored, selectRows(now, [0]), scores.subarray(0, 1));
    for (let start = 1; start < rows; start += 97) {
      const end = Math.min(rows, start + 97);
      const indices = Array.from({ length: end - start }, (_, k) => start + k);
      counts = addDriftCounts(counts, countDriftBins(stored, selectRows(now, indices), scores.subarray(start, end)));
    }
    expect(driftFromCounts(stored, counts, 0.2)).toEqual(whole);
    expect(whole.features.map((f) => f.flagged)).toEqual([true, true]);
  });

  it('replaces empty bins by epsilon', () => {
    expectClose(populationStabilityIndex([0.5, 0.5], [1, 0]), 0.5 * Math.log(2) + (1e-4 - 0.5) * Math.log(1e-4 / 0.5), 1e-12, 'PSI');
    expect(thrownBy(PropensityException, () => populationStabilityIndex([1], [0.5, 0.5]))).toMatchObject({ code: 'shape_mismatch' });
  });
});
