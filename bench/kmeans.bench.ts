// k-means: ours (typed arrays, libs/segments-domain) against ml-kmeans v7 (arrays of arrays) on the same
// synthetic data and the same initial centres, in the same process; plus the sampled silhouette.
//   npm run bench -- kmeans                 1,000,000 points × 6 features, k = 8
//   npm run bench -- kmeans --rows=100000   smaller run (or KMEANS_BENCH_ROWS=100000)
import {
  adjustedRandIndex,
  featureMatrix,
  kmeans,
  kmeansPlusPlus,
  mulberry32,
  silhouetteScore,
  standardNormal,
} from '@audiencekit/segments-domain';
import { printTable, timeIt } from './lib/report';

const FEATURES = 6;
const K = 8;
const MAX_ITERATIONS = 100;
const SEED = 20240611;
const rows = rowsFromArguments();

// ml-kmeans 7 is ESM with types only behind package.json "exports", which this repository's
// `moduleResolution: node` does not read: load it at run time, typed from its shipped declarations.
type MlKmeans = typeof import('ml-kmeans/lib/index');
const ML_KMEANS_PACKAGE = 'ml-kmeans';

/** Eight overlapping Gaussian blobs in 6 dimensions: enough overlap that Lloyd needs a few dozen iterations. */
function syntheticData(n: number): Float64Array {
  const random = mulberry32(SEED);
  const centres = Array.from({ length: K }, () => Array.from({ length: FEATURES }, () => (random() - 0.5) * 12));
  const data = new Float64Array(n * FEATURES);
  for (let i = 0; i < n; i++) {
    const centre = centres[i % K];
    for (let j = 0; j < FEATURES; j++) data[i * FEATURES + j] = centre[j] + 2 * standardNormal(random);
  }
  return data;
}

function rowsFromArguments(): number {
  const flag = process.argv.find((argument) => argument.startsWith('--rows='));
  const value = Number(flag?.slice('--rows='.length) ?? process.env.KMEANS_BENCH_ROWS ?? 1_000_000);
  if (!Number.isInteger(value) || value < 1000) throw new Error(`--rows must be an integer of at least 1000, got ${value}`);
  return value;
}

async function main(): Promise<void> {
  const { kmeans: mlKmeans } = (await import(ML_KMEANS_PACKAGE)) as MlKmeans;
  console.log(
    `${rows.toLocaleString('en-US')} points × ${FEATURES} features, k = ${K}, at most ${MAX_ITERATIONS} iterations, tolerance 0 (run to a fixed point)`,
  );
  const matrix = featureMatrix(
    syntheticData(rows),
    rows,
    Array.from({ length: FEATURES }, (_, j) => `f${j}`),
  );
  let initial: Float64Array = new Float64Array(0);
  const initMs = await timeIt(() => (initial = kmeansPlusPlus(matrix, K, mulberry32(SEED + 1))));
  const initialRows = Array.from({ length: K }, (_, c) => Array.from(initial.subarray(c * FEATURES, (c + 1) * FEATURES)));

  let ours = kmeans(matrix, K, { initialCentroids: initial, maxIterations: 1 }); // warm-up (JIT), not timed
  const oursMs = await timeIt(() => (ours = kmeans(matrix, K, { initialCentroids: initial, maxIterations: MAX_ITERATIONS, tolerance: 0 })));

  let nested: number[][] = [];
  const convertMs = await timeIt(
    () => (nested = Array.from({ length: rows }, (_, i) => Array.from(matrix.data.subarray(i * FEATURES, (i + 1) * FEATURES)))),
  );
  mlKmeans(nested, K, { initialization: initialRows.map((row) => [...row]), maxIterations: 1 }); // warm-up, not timed
  let theirs = mlKmeans(nested, K, { initialization: initialRows.map((row) => [...row]), maxIterations: MAX_ITERATIONS, tolerance: 0 });
  const theirsMs = await timeIt(
    () =>
      (theirs = mlKmeans(nested, K, { initialization: initialRows.map((row) => [...row]), maxIterations: MAX_ITERATIONS, tolerance: 0 })),
  );

  let silhouette = silhouetteScore(matrix, ours.labels, { sampleSize: 10_000, seed: 1 });
  const silhouetteMs = await timeIt(() => (silhouette = silhouetteScore(matrix, ours.labels, { sampleSize: 10_000, seed: 1 })));
  let silhouette20k = silhouette;
  const silhouette20kMs = await timeIt(() => (silhouette20k = silhouetteScore(matrix, ours.labels, { sampleSize: 20_000, seed: 1 })));

  const largestCentroidGap = Math.max(
    ...theirs.centroids.flatMap((row, c) => row.map((value, j) => Math.abs(value - ours.centroids[c * FEATURES + j]))),
  );
  printTable([
    { step: 'k-means++ init (ours, shared by both)', iterations: '', 'total ms': initMs, 'ms / iteration': '' },
    { step: 'Lloyd, ours (Float64Array)', iterations: ours.iterations, 'total ms': oursMs, 'ms / iteration': oursMs / ours.iterations },
    {
      step: 'Lloyd, ml-kmeans 7 (number[][])',
      iterations: theirs.iterations,
      'total ms': theirsMs,
      'ms / iteration': theirsMs / theirs.iterations,
    },
    { step: 'ml-kmeans input conversion (not in its total)', iterations: '', 'total ms': convertMs, 'ms / iteration': '' },
    {
      step: `silhouette, sample ${silhouette.sampleSize.toLocaleString('en-US')}`,
      iterations: '',
      'total ms': silhouetteMs,
      'ms / iteration': '',
    },
    {
      step: `silhouette, sample ${silhouette20k.sampleSize.toLocaleString('en-US')}`,
      iterations: '',
      'total ms': silhouette20kMs,
      'ms / iteration': '',
    },
  ]);
  console.log(
    `\nspeed ratio per iteration (ml-kmeans ÷ ours): ${(theirsMs / theirs.iterations / (oursMs / ours.iterations)).toFixed(1)}×  (target ≥ 3×)`,
  );
  console.log(`speed ratio total: ${(theirsMs / oursMs).toFixed(1)}×`);
  console.log(`same centroids: largest difference ${largestCentroidGap.toExponential(2)}`);
  // ml-kmeans returns the labels of its last assignment, made before its last centre update; ours are reassigned to the final centres.
  console.log(
    `labels: adjusted Rand index ${adjustedRandIndex(ours.labels, theirs.clusters).toFixed(6)} (1 when both reached a fixed point)`,
  );
  console.log(
    `inertia ${ours.inertia.toFixed(1)}; silhouette ${silhouette.score.toFixed(4)} (sample 10,000), ${silhouette20k.score.toFixed(4)} (sample 20,000)`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
