import { thrownBy } from '../../fixtures/ml/assertions';
import { mallCustomers, numericColumn } from '../../fixtures/ml/datasets';
import { ClusteringException } from './clustering.exception';
import { featureMatrix, featureMatrixFromColumns } from './feature-matrix';
import { kmeans } from './kmeans';
import { mulberry32, standardNormal } from './random';
import { clusteringStability } from './stability';

function uniformCube(rows: number, d: number, seed: number) {
  const random = mulberry32(seed);
  return featureMatrix(
    new Float64Array(rows * d).map(() => random()),
    rows,
    Array.from({ length: d }, (_, j) => `x${j}`),
  );
}

describe('clusteringStability', () => {
  it('finds the five Mall customer groups stable', () => {
    const mall = mallCustomers();
    const matrix = featureMatrixFromColumns({
      income: numericColumn(mall, 'Annual Income (k$)'),
      score: numericColumn(mall, 'Spending Score (1-100)'),
    });
    const result = clusteringStability(matrix, 5, { seed: 3, nInit: 3 });
    expect(result).toMatchObject({ k: 5, replicates: 20, sampleSize: 200, threshold: 0.75, stable: true });
    expect(result.adjustedRandIndices).toHaveLength(20);
    expect(result.meanAdjustedRandIndex).toBeGreaterThan(0.9);
    expect(result.minAdjustedRandIndex).toBe(Math.min(...result.adjustedRandIndices));
  });

  it('scores clearly separated clusters at (nearly) 1', () => {
    const random = mulberry32(6);
    const data = new Float64Array(400 * 2).map((_, index) => (Math.floor(index / 200) % 2) * 20 + standardNormal(random));
    const result = clusteringStability(featureMatrix(data, 400, ['x', 'y']), 2, { seed: 1, nInit: 2, replicates: 5 });
    expect(result.minAdjustedRandIndex).toBe(1);
    expect(result.stable).toBe(true);
  });

  it('flags clusters carved out of structureless noise as unstable', () => {
    const result = clusteringStability(uniformCube(600, 6, 5), 8, { seed: 2, nInit: 3 });
    expect(result.meanAdjustedRandIndex).toBeLessThan(0.75);
    expect(result.stable).toBe(false);
  });

  it('honours a custom threshold and a given reference labelling', () => {
    const matrix = uniformCube(300, 1, 8);
    const reference = kmeans(matrix, 3, { seed: 1 }).labels;
    const strict = clusteringStability(matrix, 3, { seed: 1, replicates: 5, threshold: 1, referenceLabels: reference });
    const lenient = clusteringStability(matrix, 3, { seed: 1, replicates: 5, threshold: 0, referenceLabels: reference });
    expect(strict.adjustedRandIndices).toEqual(lenient.adjustedRandIndices);
    expect(strict.stable).toBe(strict.meanAdjustedRandIndex >= 1);
    expect(lenient.stable).toBe(true);
  });

  it('refuses bad options', () => {
    const matrix = uniformCube(50, 2, 1);
    const thrown = (work: () => unknown) => thrownBy(ClusteringException, work);
    expect(thrown(() => clusteringStability(matrix, 3, { replicates: 1 }))).toMatchObject({ code: 'invalid_option', field: 'replicates' });
    expect(thrown(() => clusteringStability(matrix, 3, { threshold: 2 }))).toMatchObject({ code: 'invalid_option', field: 'threshold' });
    expect(thrown(() => clusteringStability(matrix, 3, { sampleSize: 2 }))).toMatchObject({ code: 'invalid_option', field: 'sampleSize' });
    expect(thrown(() => clusteringStability(matrix, 3, { referenceLabels: new Int32Array(3) }))).toMatchObject({ code: 'shape_mismatch' });
  });
});
