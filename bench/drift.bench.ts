/**
 * Model drift cost (#21) beside what it rides on, in the same process on the same matrix: the
 * reference a propensity fit stores (`driftReference`: decile edges and shares of every feature and
 * of the score) against the fit itself (`trainPropensityModel`), and a drift measurement
 * (`measureDrift`: PSI of every feature and the score) against scoring the same population
 * (`scorePropensity`, what a refresh does). Synthetic data: numeric features (normal, lognormal with
 * 10 % missing, Poisson counts) and categorical ones (6 levels), outcome from a logistic model.
 *
 *   npm run bench -- drift                              # 200,000 profiles × 30 features (6 categorical)
 *   npm run bench -- drift --profiles=1000000           # the size
 */
import {
  categoricalCodes,
  driftReference,
  featureMatrix,
  type FeatureMatrix,
  measureDrift,
  scorePropensity,
  trainPropensityModel,
} from '@audiencekit/segments-domain';
import { printTable, timeIt } from './lib/report';

const PROFILES = Number(argument('profiles') ?? 200_000);
const FEATURES = Number(argument('features') ?? 30);
const CATEGORICAL = Math.floor(FEATURES / 5);

function argument(name: string): string | undefined {
  return process.argv.find((arg) => arg.startsWith(`--${name}=`))?.split('=')[1];
}

/** Park–Miller: the same data every run. */
function random(seed: number): () => number {
  let state = seed;
  return () => (state = (state * 48_271) % 2_147_483_647) / 2_147_483_647;
}

function normal(next: () => number): number {
  return Math.sqrt(-2 * Math.log(next() + 1e-12)) * Math.cos(2 * Math.PI * next());
}

function synthetic(rows: number, shift: number, seed: number): { matrix: FeatureMatrix; outcome: Float64Array } {
  const next = random(seed);
  const names = Array.from({ length: FEATURES }, (_, j) => (j < CATEGORICAL ? `c${j}` : `x${j}`));
  const data = new Float64Array(rows * FEATURES);
  const outcome = new Float64Array(rows);
  const levels = ['a', 'b', 'c', 'd', 'e', 'f'];
  const categories: Record<string, string[]> = {};
  for (let j = 0; j < CATEGORICAL; j++) {
    const { codes, levels: seen } = categoricalCodes(
      Array.from({ length: rows }, () => levels[Math.min(5, Math.floor(next() ** (1 + shift) * 6))]),
    );
    categories[names[j]] = seen;
    for (let i = 0; i < rows; i++) data[i * FEATURES + j] = codes[i];
  }
  for (let i = 0; i < rows; i++) {
    let z = -1;
    for (let j = CATEGORICAL; j < FEATURES; j++) {
      const kind = j % 3;
      const value =
        kind === 0
          ? normal(next) + shift
          : kind === 1
            ? next() < 0.1
              ? Number.NaN
              : Math.exp(normal(next) + shift)
            : Math.floor(-Math.log(next() + 1e-12) * (2 + shift));
      data[i * FEATURES + j] = value;
      if (Number.isFinite(value)) z += (kind === 1 ? Math.log1p(value) : value) * (j % 2 ? 0.05 : -0.04);
    }
    outcome[i] = next() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
  }
  return { matrix: featureMatrix(data, rows, names, { categories }), outcome };
}

async function main(): Promise<void> {
  console.log(`drift: ${PROFILES.toLocaleString('en-US')} profiles × ${FEATURES} features (${CATEGORICAL} categorical)`);
  const training = synthetic(PROFILES, 0, 7);
  const now = synthetic(PROFILES, 0.6, 11);
  const log1p = training.matrix.names.filter((_, j) => j >= CATEGORICAL && j % 3 === 1);
  let report!: ReturnType<typeof trainPropensityModel>;
  const fitMs = await timeIt(() => {
    report = trainPropensityModel(training.matrix, training.outcome, { seed: 1, aucFloor: 0, preprocessing: { log1p } });
  });
  let reference!: ReturnType<typeof driftReference>;
  const referenceMs = await timeIt(() => {
    reference = driftReference(report.model, training.matrix, scorePropensity(report.model, training.matrix));
  });
  let scores!: Float64Array;
  const scoreMs = await timeIt(() => {
    scores = scorePropensity(report.model, now.matrix);
  });
  let drift!: ReturnType<typeof measureDrift>;
  const measureMs = await timeIt(() => {
    drift = measureDrift(reference, now.matrix, scores);
  });
  printTable([
    { step: 'fit (trainPropensityModel)', ms: fitMs, 'ratio to baseline': 1 },
    { step: 'driftReference (incl. scoring the training rows)', ms: referenceMs, 'ratio to baseline': referenceMs / fitMs },
    { step: 'score the population now (scorePropensity)', ms: scoreMs, 'ratio to baseline': 1 },
    { step: 'measureDrift (PSI of every feature + score)', ms: measureMs, 'ratio to baseline': measureMs / scoreMs },
  ]);
  const flagged = drift.features.filter((feature) => feature.flagged).length;
  console.log(
    `held-out AUC ${report.heldOutAuc.toFixed(4)}; shifted population: ${flagged}/${drift.features.length} features flagged, score PSI ${drift.score.psi.toFixed(4)}; reference JSON ${JSON.stringify(reference).length.toLocaleString('en-US')} bytes`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
