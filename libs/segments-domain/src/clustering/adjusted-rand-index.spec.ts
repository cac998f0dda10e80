import { expectClose, thrownBy } from '../../fixtures/ml/assertions';
import { readFixture } from '../../fixtures/ml/datasets';
import { adjustedRandIndex } from './adjusted-rand-index';
import { ClusteringException } from './clustering.exception';

interface AriCase {
  name: string;
  first: number[];
  second: number[];
  ari: number;
}

const fixture = readFixture<{ adjustedRandIndices: AriCase[] }>('silhouette-ari.json');

describe('adjustedRandIndex against scikit-learn', () => {
  it.each(fixture.adjustedRandIndices.map((testCase) => [testCase.name, testCase] as const))('%s', (_name, testCase) => {
    expectClose(adjustedRandIndex(testCase.first, testCase.second), testCase.ari, 1e-9, 'adjusted Rand index');
  });

  it('is symmetric', () => {
    const [first] = fixture.adjustedRandIndices;
    expect(adjustedRandIndex(first.second, first.first)).toBeCloseTo(adjustedRandIndex(first.first, first.second), 15);
  });

  it('is 1 for the same partition under other names and below 1 otherwise', () => {
    expect(adjustedRandIndex([0, 0, 1, 1, 2], [7, 7, 3, 3, 9])).toBe(1);
    expect(adjustedRandIndex([0, 0, 1, 1, 2], [0, 0, 1, 2, 2])).toBeLessThan(1);
  });
});

describe('adjustedRandIndex bad input', () => {
  it('refuses labellings of different lengths', () => {
    expect(thrownBy(ClusteringException, () => adjustedRandIndex([0, 1], [0, 1, 1]))).toMatchObject({ code: 'shape_mismatch' });
  });

  it('refuses non-integer labels', () => {
    expect(thrownBy(ClusteringException, () => adjustedRandIndex([0, Number.NaN], [0, 1]))).toMatchObject({
      code: 'invalid_labels',
      field: 'first',
    });
  });
});
