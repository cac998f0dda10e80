/**
 * Models (issue #21): the propensity fit on 1M profiles × 30 features against scikit-learn on the
 * identical matrix, scoring throughput (pure, and the refresh path over Postgres), and the CLV fit on
 * the full UCI Online Retail file against the scipy fixture script.
 *
 *   npm run bench -- models                      1,000,000 profiles
 *   npm run bench -- models --profiles=100000    quick run
 *
 * 1. Logistic fit. A seeded synthetic matrix: 22 numeric features (normal, correlated pairs and
 *    log-normal spends) and two categorical ones one-hot encoded (5 + 3 levels) = 30 columns, outcome
 *    drawn from a logistic model. The product's path: standardised with its preprocessor
 *    (fitPreprocessor, scaling "standard", as trainPropensityModel does), then fitLogisticRegression with
 *    the production settings (C = 1, Newton with Cholesky, tolerance 1e-10, at most 100 iterations).
 *    The standardised matrix is written to a temp file and fitted by scikit-learn in /usr/bin/python3
 *    (bench/lib/models-reference.py, only the fit timed): newton-cholesky at tol 1e-10 (the same
 *    stopping rule; the ratio column is against it) and its default lbfgs (tol 1e-4) for reference.
 *    trainPropensityModel end to end (split, preprocessing, fit on 75%, AUC, calibration) is a row too.
 * 2. Scoring. scorePropensity over the whole matrix (pure), then the refresh path
 *    (ModelSegmentsService.members: the feature query in Postgres, rows → matrix, score, tiers) on a
 *    scratch database with the same number of profiles whose traits carry the same 30 columns.
 * 3. CLV. fitClvModel (BG/NBD + Gamma-Gamma) on the full online_retail.csv prepared as the fixture
 *    script does, against that script's fit (make_clv_fixture.py imported, not run: its committed
 *    output stays) — as it runs, from two starts, and from one.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import {
  applyPreprocessor,
  assignTiers,
  fitClvModel,
  fitLogisticRegression,
  featureMatrix,
  fitPreprocessor,
  mulberry32,
  propensityDefinitionSchema,
  quantileThresholds,
  scorePropensity,
  sigmoid,
  standardNormal,
  summarizeOrders,
  trainPropensityModel,
  type FeatureMatrix,
  type OrderLine,
} from '@audiencekit/segments-domain';
import { ModelSegmentsService, type StoredPropensityModel } from '@audiencekit/segments-service';
import { createBenchDatabase } from './lib/bench-database';
import { printTable, timeIt } from './lib/report';

const ROOT = path.resolve(__dirname, '..');
const PYTHON = '/usr/bin/python3';
const SEED = 20261207;
const NUMERIC = 22;
const PLANS = ['free', 'starter', 'pro', 'team', 'enterprise'];
const CHANNELS = ['web', 'ios', 'android'];
const COLUMNS = NUMERIC + PLANS.length + CHANNELS.length;
const PROFILES = profilesFromArguments();
const REPEATS = 3;

function profilesFromArguments(): number {
  const flag = process.argv.find((argument) => argument.startsWith('--profiles='));
  const value = Number(flag?.slice('--profiles='.length) ?? 1_000_000);
  if (!Number.isInteger(value) || value < 1000) throw new Error(`--profiles must be an integer of at least 1000, got ${value}`);
  return value;
}

interface Synthetic {
  /** Raw features: numeric, then the one-hot columns (what the product's feature table holds). */
  matrix: FeatureMatrix;
  outcome: Float64Array;
  /** Per profile, the values as traits (for the database part). */
  plan: Uint8Array;
  channel: Uint8Array;
}

/** Seeded: numeric features (some correlated, some log-normal), two categoricals, a logistic outcome. */
function synthetic(rows: number): Synthetic {
  const random = mulberry32(SEED);
  const data = new Float64Array(rows * COLUMNS);
  const outcome = new Float64Array(rows);
  const plan = new Uint8Array(rows);
  const channel = new Uint8Array(rows);
  const weights = Array.from({ length: NUMERIC }, (_, j) => (j % 3 === 0 ? 0 : (random() - 0.5) * 0.8));
  const planEffect = [-0.6, -0.2, 0.1, 0.4, 0.8];
  const channelEffect = [0, 0.3, -0.3];
  for (let i = 0; i < rows; i++) {
    const row = i * COLUMNS;
    let z = -1.2;
    for (let j = 0; j < NUMERIC; j++) {
      const normal = standardNormal(random);
      // Every fourth column is a log-normal "spend", every fifth correlates with the one before.
      const value =
        j % 4 === 3
          ? Math.round(Math.exp(3 + 0.8 * normal) * 100) / 100
          : j % 5 === 4 && j % 4 !== 0
            ? 0.7 * data[row + j - 1] + 0.3 * normal
            : normal;
      data[row + j] = value;
      z += weights[j] * (j % 4 === 3 ? Math.log1p(value) - 3 : value);
    }
    const u = random();
    plan[i] = u < 0.4 ? 0 : u < 0.65 ? 1 : u < 0.85 ? 2 : u < 0.95 ? 3 : 4;
    channel[i] = Math.floor(random() * 3);
    data[row + NUMERIC + plan[i]] = 1;
    data[row + NUMERIC + PLANS.length + channel[i]] = 1;
    z += planEffect[plan[i]] + channelEffect[channel[i]];
    outcome[i] = random() < sigmoid(z) ? 1 : 0;
  }
  const columns = [
    ...Array.from({ length: NUMERIC }, (_, j) => `n${j}`),
    ...PLANS.map((level) => `plan=${level}`),
    ...CHANNELS.map((level) => `channel=${level}`),
  ];
  return { matrix: featureMatrix(data, rows, columns), outcome, plan, channel };
}

function python(args: string[]): Record<string, unknown> {
  return JSON.parse(
    execFileSync(PYTHON, [path.join(__dirname, 'lib/models-reference.py'), ...args], { maxBuffer: 64 * 1024 * 1024 }).toString(),
  );
}

function hasSklearn(): boolean {
  try {
    execFileSync(PYTHON, ['-c', 'import sklearn, scipy, pandas'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function logisticFit(data: Synthetic, sklearn: boolean): Promise<void> {
  const { matrix, outcome } = data;
  const positives = outcome.reduce((sum, y) => sum + y, 0);
  console.log(
    `\n1. logistic fit: ${PROFILES.toLocaleString('en-US')} profiles × ${COLUMNS} columns (${NUMERIC} numeric, one-hot ${PLANS.length} + ${CHANNELS.length}), ${((100 * positives) / PROFILES).toFixed(1)}% positive`,
  );
  const preprocessor = fitPreprocessor(matrix, { scaling: 'standard' });
  const standardised = applyPreprocessor(preprocessor, matrix);
  fitLogisticRegression(standardised, outcome, { C: 1, maxIterations: 1 }); // warm-up (JIT), not timed
  let ours = fitLogisticRegression(standardised, outcome, { C: 1 });
  const oursMs = await timeIt(() => (ours = fitLogisticRegression(standardised, outcome, { C: 1 })));
  let endToEnd: ReturnType<typeof trainPropensityModel> | undefined;
  const endToEndMs = await timeIt(() => (endToEnd = trainPropensityModel(matrix, outcome, { C: 1, seed: 1, aucFloor: 0 })));

  const rows: Record<string, string | number>[] = [
    {
      fit: 'ours: fitLogisticRegression (Newton, tol 1e-10)',
      iterations: ours.iterations,
      ms: oursMs,
      'ratio to sklearn newton-cholesky': '',
    },
    {
      fit: `ours: trainPropensityModel end to end (fit on ${endToEnd?.split.train.toLocaleString('en-US')})`,
      iterations: endToEnd?.iterations ?? 0,
      ms: endToEndMs,
      'ratio to sklearn newton-cholesky': '',
    },
  ];
  if (sklearn) {
    const directory = mkdtempSync(path.join(os.tmpdir(), 'ak-models-bench-'));
    try {
      const xPath = path.join(directory, 'x.f64');
      const yPath = path.join(directory, 'y.f64');
      writeFileSync(xPath, new Uint8Array(standardised.data.buffer, standardised.data.byteOffset, standardised.data.byteLength));
      writeFileSync(yPath, new Uint8Array(outcome.buffer, outcome.byteOffset, outcome.byteLength));
      const reference = python(['logistic', xPath, yPath, String(PROFILES), String(COLUMNS)]) as Record<
        string,
        { ms: number; iterations: number; coefficients: number[]; intercept: number }
      > & { sklearn: string };
      const newton = reference['newton-cholesky'];
      const lbfgs = reference['lbfgs-default'];
      rows[0]['ratio to sklearn newton-cholesky'] = oursMs / newton.ms;
      rows[1]['ratio to sklearn newton-cholesky'] = endToEndMs / newton.ms;
      rows.push(
        {
          fit: `sklearn ${reference.sklearn} newton-cholesky, tol 1e-10`,
          iterations: newton.iterations,
          ms: newton.ms,
          'ratio to sklearn newton-cholesky': 1,
        },
        {
          fit: 'sklearn lbfgs, its defaults (tol 1e-4)',
          iterations: lbfgs.iterations,
          ms: lbfgs.ms,
          'ratio to sklearn newton-cholesky': lbfgs.ms / newton.ms,
        },
      );
      printTable(rows);
      const gap = Math.max(
        Math.abs(ours.intercept - newton.intercept),
        ...newton.coefficients.map((value, j) => Math.abs(value - ours.coefficients[j])),
      );
      console.log(`largest |coefficient difference| ours vs sklearn newton-cholesky: ${gap.toExponential(2)}`);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  } else {
    printTable(rows);
    console.log(`(${PYTHON} has no scikit-learn: no comparison)`);
  }
}

async function scoring(data: Synthetic): Promise<void> {
  const report = trainPropensityModel(data.matrix, data.outcome, { C: 1, seed: 1, aucFloor: 0 });
  scorePropensity(report.model, data.matrix); // warm-up
  const times: number[] = [];
  let scores: Float64Array = new Float64Array(0);
  for (let i = 0; i < REPEATS; i++) times.push(await timeIt(() => (scores = scorePropensity(report.model, data.matrix))));
  const pureMs = median(times);
  const thresholds = quantileThresholds(scores, { topShare: 0.2, bottomShare: 0.5 });

  console.log(`\n2. scoring ${PROFILES.toLocaleString('en-US')} profiles with the stored model (median of ${REPEATS})`);
  const database = await createBenchDatabase('models');
  try {
    const manager = database.dataSource.manager;
    const loadMs = await timeIt(() => loadProfiles(database.dataSource.query.bind(database.dataSource), data));
    console.log(`loaded ${PROFILES.toLocaleString('en-US')} profiles (30 trait columns) in ${(loadMs / 1000).toFixed(1)} s`);
    const definition = propensityDefinitionSchema.parse({
      type: 'propensity',
      population: 'all',
      features: [
        ...Array.from({ length: NUMERIC }, (_, j) => ({ source: 'trait', trait: `n${j}` })),
        { source: 'trait', trait: 'plan', kind: 'categorical' },
        { source: 'trait', trait: 'channel', kind: 'categorical' },
      ],
      outcome: { event: 'Order Completed', withinDays: 30 },
      tier: 'top',
    });
    const service = new ModelSegmentsService();
    const now = new Date(Date.now() + 60_000);
    // The stored model: fitted on the database's own feature table (its one-hot column order).
    const table = await service.featureRows(manager, definition, now);
    const outcome = Float64Array.from(table.profileIds, (_, i) => data.outcome[Number(table.stableKeys[i].slice('user_id:u'.length))]);
    const fitted = trainPropensityModel(table.matrix, outcome, { C: 1, seed: 1, aucFloor: 0, keys: table.stableKeys });
    const stored = {
      kind: 'propensity',
      model: fitted.model,
      thresholds: quantileThresholds(scorePropensity(fitted.model, table.matrix), definition.tierShares),
    } as unknown as StoredPropensityModel;

    const query: number[] = [];
    const score: number[] = [];
    const members: number[] = [];
    let memberCount = 0;
    for (let i = 0; i < REPEATS; i++) {
      let rows = table;
      query.push(await timeIt(async () => (rows = await service.featureRows(manager, definition, now, undefined, stored))));
      score.push(await timeIt(() => assignTiers(scorePropensity(stored.model, rows.matrix), stored.thresholds)));
      members.push(await timeIt(async () => (memberCount = (await service.members(manager, definition, stored, now)).length)));
    }
    const refreshMs = median(members);
    printTable([
      {
        step: 'scorePropensity alone (in memory, no database)',
        ms: pureMs,
        'profiles/s': Math.round(PROFILES / (pureMs / 1000)),
        'share of refresh': pureMs / refreshMs,
      },
      {
        step: 'feature query (Postgres → rows → matrix)',
        ms: median(query),
        'profiles/s': Math.round(table.profileIds.length / (median(query) / 1000)),
        'share of refresh': median(query) / refreshMs,
      },
      {
        step: 'score + tiers on that matrix',
        ms: median(score),
        'profiles/s': Math.round(table.profileIds.length / (median(score) / 1000)),
        'share of refresh': median(score) / refreshMs,
      },
      {
        step: `refresh path: members() (${memberCount.toLocaleString('en-US')} in tier top)`,
        ms: refreshMs,
        'profiles/s': Math.round(table.profileIds.length / (refreshMs / 1000)),
        'share of refresh': 1,
      },
    ]);
    console.log(`tier thresholds from the in-memory model: ${JSON.stringify(thresholds)}`);
  } finally {
    await database.drop();
  }
}

/** Profiles whose traits hold the synthetic features: n0..n21 numbers, plan and channel strings; user id u<row>. */
async function loadProfiles(query: (sql: string, params?: unknown[]) => Promise<unknown>, data: Synthetic): Promise<void> {
  const chunk = 20_000;
  for (let from = 0; from < PROFILES; from += chunk) {
    const to = Math.min(PROFILES, from + chunk);
    const traits: string[] = [];
    for (let i = from; i < to; i++) {
      const record: Record<string, number | string> = {};
      for (let j = 0; j < NUMERIC; j++) record[`n${j}`] = data.matrix.data[i * COLUMNS + j];
      record.plan = PLANS[data.plan[i]];
      record.channel = CHANNELS[data.channel[i]];
      traits.push(JSON.stringify(record));
    }
    await query(
      `WITH t AS MATERIALIZED (SELECT gen_random_uuid() AS id, ordinality - 1 + $2::int AS i, value::jsonb AS traits
                              FROM unnest($1::text[]) WITH ORDINALITY value),
            p AS (INSERT INTO profiles (id, traits) SELECT id, traits FROM t)
       INSERT INTO identities (profile_id, type, value) SELECT id, 'user_id', 'u' || i FROM t`,
      [traits, from],
    );
  }
  await query('VACUUM ANALYZE profiles');
  await query('VACUUM ANALYZE identities');
}

function dataFile(file: string): string {
  const candidates = [path.join(ROOT, 'data', file), path.resolve(ROOT, '../shared/data', file)];
  const found = candidates.find((candidate) => existsSync(candidate));
  if (!found) throw new Error(`${file} not found in ${candidates.join(' or ')}`);
  return found;
}

/** The fixture script's preparation: customer rows, no cancellation, quantity and price > 0, one order per invoice. */
function retailOrderLines(file: string): OrderLine[] {
  const records = parse(readFileSync(file, 'utf8'), { columns: true, skip_empty_lines: true }) as Record<string, string>[];
  return records.flatMap((row) => {
    const quantity = Number(row.Quantity);
    const price = Number(row.UnitPrice);
    if (row.CustomerID === '' || row.InvoiceNo.startsWith('C') || !(quantity > 0) || !(price > 0)) return [];
    return [
      {
        customerId: row.CustomerID.replace(/\.0$/, ''),
        orderId: row.InvoiceNo,
        time: Date.parse(`${row.InvoiceDate.replace(' ', 'T')}Z`),
        amount: quantity * price,
      },
    ];
  });
}

async function clvFit(sklearn: boolean): Promise<void> {
  const file = dataFile('online_retail.csv');
  let summaries: ReturnType<typeof summarizeOrders> = [];
  const prepareMs = await timeIt(() => (summaries = summarizeOrders(retailOrderLines(file))));
  let model = fitClvModel(summaries); // warm-up
  const times: number[] = [];
  for (let i = 0; i < REPEATS; i++) times.push(await timeIt(() => (model = fitClvModel(summaries))));
  const oursMs = median(times);
  console.log(
    `\n3. CLV fit on ${path.basename(file)}: ${summaries.length.toLocaleString('en-US')} customers, ${model.fit.repeatCustomers.toLocaleString('en-US')} with a repeat order (median of ${REPEATS})`,
  );
  const rows: Record<string, string | number>[] = [
    { fit: 'ours: fitClvModel (BG/NBD + Gamma-Gamma)', 'prepare ms': prepareMs, 'fit ms': oursMs, 'ratio to scipy one start': '' },
  ];
  if (sklearn) {
    const reference = python(['clv', file]) as {
      customers: number;
      prepareMs: number;
      twoStartsMs: number;
      oneStartMs: number;
      bgnbd: Record<string, number>;
      gammaGamma: Record<string, number>;
    };
    if (reference.customers !== summaries.length)
      throw new Error(`scipy prepared ${reference.customers} customers, we ${summaries.length}`);
    rows[0]['ratio to scipy one start'] = oursMs / reference.oneStartMs;
    rows.push(
      {
        fit: 'scipy fixture: one start (BFGS + root)',
        'prepare ms': reference.prepareMs,
        'fit ms': reference.oneStartMs,
        'ratio to scipy one start': 1,
      },
      {
        fit: 'scipy fixture as it runs (two starts)',
        'prepare ms': '',
        'fit ms': reference.twoStartsMs,
        'ratio to scipy one start': reference.twoStartsMs / reference.oneStartMs,
      },
    );
    printTable(rows);
    const ours: Record<string, number> = { ...model.bgNbd, ...model.gammaGamma };
    const theirs: Record<string, number> = { ...reference.bgnbd, ...reference.gammaGamma };
    const gap = Math.max(...['r', 'alpha', 'a', 'b', 'p', 'q', 'v'].map((key) => Math.abs(ours[key] / theirs[key] - 1)));
    console.log(
      `parameters ours vs scipy: largest relative difference ${gap.toExponential(2)} (${JSON.stringify(model.bgNbd)}, ${JSON.stringify(model.gammaGamma)})`,
    );
  } else {
    printTable(rows);
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function main(): Promise<void> {
  const sklearn = hasSklearn();
  const data = synthetic(PROFILES);
  await logisticFit(data, sklearn);
  await scoring(data);
  await clvFit(sklearn);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
