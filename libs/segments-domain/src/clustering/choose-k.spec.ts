import { thrownBy } from '../../fixtures/ml/assertions';
import { mallCustomers, numericColumn } from '../../fixtures/ml/datasets';
import { chooseK, elbowOf } from './choose-k';
import { ClusteringException } from './clustering.exception';
import { featureMatrix, featureMatrixFromColumns } from './feature-matrix';

describe('chooseK on Mall_Customers.csv (income and spending score)', () => {
  const mall = mallCustomers();
  const matrix = featureMatrixFromColumns({
    income: numericColumn(mall, 'Annual Income (k$)'),
    score: numericColumn(mall, 'Spending Score (1-100)'),
  });
  const result = chooseK(matrix, { kMin: 2, kMax: 10, seed: 1 });

  it('reports silhouette and inertia for every k from 2 to 10', () => {
    expect(result.candidates.map((candidate) => candidate.k)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10]);
    for (const candidate of result.candidates) {
      expect(candidate.silhouette).toBeGreaterThan(-1);
      expect(candidate.silhouette).toBeLessThanOrEqual(1);
      expect(candidate.converged).toBe(true);
    }
    const inertias = result.candidates.map((candidate) => candidate.inertia);
    expect(inertias).toEqual([...inertias].sort((a, b) => b - a));
    expect(result).toMatchObject({ silhouetteExact: true, silhouetteSampleSize: 200 });
  });

  it('finds the five well-known groups by silhouette and by the elbow', () => {
    expect(result.bestBySilhouette).toBe(5);
    expect(result.elbow).toBe(5);
    // The published optimum for this data (scikit-learn, best of 50 restarts: 44448.455).
    expect(result.candidates[3].inertia).toBeCloseTo(44448.4554479337, 6);
  });

  it('reports a sampled silhouette when asked for a smaller sample', () => {
    const sampled = chooseK(matrix, { kMin: 4, kMax: 6, seed: 1, silhouette: { sampleSize: 150, seed: 2 } });
    expect(sampled).toMatchObject({ silhouetteExact: false, silhouetteSampleSize: 150 });
  });
});

describe('chooseK bad input', () => {
  const tiny = featureMatrix(Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8]), 8, ['x']);
  const thrown = (work: () => unknown) => thrownBy(ClusteringException, work);

  it('refuses too few profiles for the largest k', () => {
    expect(thrown(() => chooseK(tiny, { kMax: 8 }))).toMatchObject({ code: 'too_few_rows', field: 'kMax' });
  });

  it('refuses a bad range', () => {
    expect(thrown(() => chooseK(tiny, { kMin: 1, kMax: 3 }))).toMatchObject({ code: 'invalid_option', field: 'kMin' });
    expect(thrown(() => chooseK(tiny, { kMin: 4, kMax: 3 }))).toMatchObject({ code: 'invalid_option', field: 'kMax' });
  });
});

describe('elbowOf', () => {
  it('picks the sharpest bend and gives none for a straight line or too few points', () => {
    expect(elbowOf([1000, 400, 300, 250, 220].map((inertia, i) => ({ k: i + 2, inertia })))).toBe(3);
    expect(elbowOf([5, 4, 3, 2].map((inertia, i) => ({ k: i + 2, inertia })))).toBeNull();
    expect(
      elbowOf([
        { k: 2, inertia: 5 },
        { k: 3, inertia: 1 },
      ]),
    ).toBeNull();
  });
});
