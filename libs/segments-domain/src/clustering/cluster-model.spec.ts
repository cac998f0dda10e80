import { thrownBy } from '../../fixtures/ml/assertions';
import { mallCustomers, numericColumn, onlineRetailSample } from '../../fixtures/ml/datasets';
import { adjustedRandIndex } from './adjusted-rand-index';
import { assignClusters, fitClusterModel, type ClusterModel } from './cluster-model';
import { describeClusters } from './cluster-profiles';
import { ClusteringException } from './clustering.exception';
import { featureMatrixFromColumns, selectRows, type FeatureMatrix } from './feature-matrix';

const thrown = (work: () => unknown) => thrownBy(ClusteringException, work);

describe('fitClusterModel on Mall_Customers.csv', () => {
  const mall = mallCustomers();
  const matrix = featureMatrixFromColumns({
    'Annual Income': numericColumn(mall, 'Annual Income (k$)'),
    'Spending Score': numericColumn(mall, 'Spending Score (1-100)'),
  });
  const fit = fitClusterModel(matrix, { k: 5, kmeans: { seed: 1 } });

  it('clusters, validates and describes the five groups', () => {
    expect(fit.model).toMatchObject({ kind: 'kmeans', version: 1, k: 5, features: ['Annual Income', 'Spending Score'] });
    expect(fit.silhouette).toMatchObject({ exact: true, sampleSize: 200 });
    expect(fit.silhouette.score).toBeGreaterThan(0.5);
    expect(fit.stability?.stable).toBe(true);
    expect(fit.profiles.map((profile) => profile.size).reduce((a, b) => a + b, 0)).toBe(200);
    expect(new Set(fit.profiles.map((profile) => profile.suggestedName)).size).toBe(5);
  });

  it('describes clusters in original units against the population average', () => {
    const incomes = numericColumn(mall, 'Annual Income (k$)');
    const averageIncome = incomes.reduce((a, b) => a + b, 0) / incomes.length;
    for (const profile of fit.profiles) {
      const members = incomes.filter((_, i) => fit.labels[i] === profile.cluster);
      const income = profile.features.find((feature) => feature.feature === 'Annual Income');
      expect(income?.mean).toBeCloseTo(members.reduce((a, b) => a + b, 0) / members.length, 10);
      expect(income?.ratioToAverage).toBeCloseTo((income?.mean ?? 0) / averageIncome, 12);
    }
    // The classic "high income, low spending" group.
    const careful = fit.profiles.find(
      (profile) => profile.suggestedName.includes('high Annual Income') || profile.suggestedName.includes('High Annual Income'),
    );
    expect(careful?.suggestedName).toMatch(/low Spending Score/);
    expect(careful?.description).toMatch(
      /^(Spending Score|Annual Income) \d\.\d× average, (Spending Score|Annual Income) \d\.\d× average$/,
    );
  });

  it('assigns profiles with the stored model, also after a JSON round trip', () => {
    const stored = JSON.parse(JSON.stringify(fit.model)) as ClusterModel;
    expect(Array.from(assignClusters(stored, matrix))).toEqual(Array.from(fit.labels));
    const someRows = selectRows(matrix, [5, 50, 150]);
    expect(Array.from(assignClusters(stored, someRows))).toEqual([fit.labels[5], fit.labels[50], fit.labels[150]]);
  });

  it('refuses more clusters than profiles and a constant feature', () => {
    expect(thrown(() => fitClusterModel(selectRows(matrix, [0, 1, 2]), { k: 4, stability: false }))).toMatchObject({
      code: 'too_few_rows',
    });
    const withConstant = featureMatrixFromColumns({
      score: numericColumn(mall, 'Spending Score (1-100)'),
      store: new Float64Array(200).fill(1),
    });
    expect(thrown(() => fitClusterModel(withConstant, { k: 3 }))).toMatchObject({ code: 'constant_feature', field: 'store' });
  });
});

/** Recency (days before the last invoice), frequency (invoices) and monetary (net spend) per customer. */
function rfmFromTransactions(): FeatureMatrix {
  const records = onlineRetailSample();
  const customers = new Map<string, { last: number; invoices: Set<string>; monetary: number }>();
  let latest = 0;
  for (const record of records) {
    if (!record.CustomerID) continue;
    const time = Date.parse(`${record.InvoiceDate.replace(' ', 'T')}Z`);
    latest = Math.max(latest, time);
    const customer = customers.get(record.CustomerID) ?? { last: 0, invoices: new Set<string>(), monetary: 0 };
    customer.last = Math.max(customer.last, time);
    customer.invoices.add(record.InvoiceNo);
    customer.monetary += Number(record.Quantity) * Number(record.UnitPrice);
    customers.set(record.CustomerID, customer);
  }
  const rows = [...customers.values()];
  return featureMatrixFromColumns({
    recency: rows.map((customer) => (latest - customer.last) / 86_400_000),
    frequency: rows.map((customer) => customer.invoices.size),
    monetary: rows.map((customer) => customer.monetary),
  });
}

describe('fitClusterModel on online_retail_sample.csv (RFM features, log1p money)', () => {
  const rfm = rfmFromTransactions();

  it('aggregates the 3,569 customers of the sample', () => {
    expect(rfm.rows).toBe(3569);
  });

  it('refuses log1p of net refunds, naming the feature', () => {
    expect(thrown(() => fitClusterModel(rfm, { k: 4, preprocessing: { log1p: ['monetary'] } }))).toMatchObject({
      code: 'invalid_value',
      field: 'monetary',
    });
  });

  it('separates high-value frequent buyers from lapsed ones once refunds are excluded', () => {
    const buyers: number[] = [];
    for (let i = 0; i < rfm.rows; i++) if (rfm.data[i * 3 + 2] > 0) buyers.push(i);
    const matrix = selectRows(rfm, buyers);
    const fit = fitClusterModel(matrix, {
      k: 4,
      preprocessing: { log1p: ['recency', 'frequency', 'monetary'] },
      kmeans: { seed: 1 },
      stability: { replicates: 5 },
    });
    const ratio = (cluster: number, feature: string) =>
      fit.profiles[cluster].features.find((entry) => entry.feature === feature)?.ratioToAverage ?? 0;
    const best = fit.profiles.reduce((a, b) => (ratio(b.cluster, 'monetary') > ratio(a.cluster, 'monetary') ? b : a));
    const lapsed = fit.profiles.reduce((a, b) => (ratio(b.cluster, 'recency') > ratio(a.cluster, 'recency') ? b : a));
    expect(ratio(best.cluster, 'monetary')).toBeGreaterThan(2);
    expect(ratio(best.cluster, 'frequency')).toBeGreaterThan(2);
    expect(ratio(lapsed.cluster, 'recency')).toBeGreaterThan(1.5);
    expect(ratio(lapsed.cluster, 'monetary')).toBeLessThan(0.5);
    expect(fit.stability?.meanAdjustedRandIndex).toBeGreaterThan(0.75);
  });
});

describe('describeClusters', () => {
  const matrix = featureMatrixFromColumns({ spend: [10, 12, 100, 110, Number.NaN], balance: [-5, -4, 5, 6, 0] });

  it('skips missing values, and gives no ratio for a feature with negative values', () => {
    const [low, high] = describeClusters(matrix, Int32Array.from([0, 0, 1, 1, 1]), 2);
    expect(high.features.find((entry) => entry.feature === 'spend')?.mean).toBe(105);
    expect(low.features.find((entry) => entry.feature === 'balance')?.ratioToAverage).toBeNull();
    expect(low.description).toMatch(/balance -1\.\d sd from average/);
    expect(high.suggestedName).toBe('High spend, high balance');
    expect(low.suggestedName).toBe('Very low balance, low spend');
  });

  it('refuses labels outside 0..k-1', () => {
    expect(thrown(() => describeClusters(matrix, Int32Array.from([0, 0, 1, 1, 2]), 2))).toMatchObject({ code: 'invalid_labels' });
  });
});

it('adjustedRandIndex is 1 between a fit and its reassignment (sanity of the shared pieces)', () => {
  const matrix = featureMatrixFromColumns({ a: [1, 2, 10, 11, 20, 21] });
  const fit = fitClusterModel(matrix, { k: 3, stability: false, kmeans: { seed: 2 } });
  expect(adjustedRandIndex(assignClusters(fit.model, matrix), [0, 0, 1, 1, 2, 2])).toBe(1);
});
