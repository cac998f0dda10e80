import { BarChart } from '../charts/bar-chart';
import { CalibrationChart } from '../charts/calibration-chart';
import { formatFixed, formatNumber, formatPercent } from '../format';
import type { StoredClusterModel, StoredClvModel, StoredModel, StoredPropensityModel } from '../types';

// The API stores, per fitted version, the chosen k's silhouette and the cluster profiles (not the
// silhouette/elbow curve over k), and for propensity the held-out AUC, calibration and weights.
function ClusterCharts({ model }: { model: StoredClusterModel }) {
  return (
    <div>
      <p>
        {model.clusters.length} clusters over {formatNumber(model.profiles)} profiles · silhouette {formatFixed(model.silhouette.score, 3)}
        {model.silhouette.exact ? '' : ` (sample of ${formatNumber(model.silhouette.sampleSize)})`}
      </p>
      <BarChart
        label="Cluster sizes (share of profiles)"
        bars={model.clusters.map((cluster) => ({ label: `cluster ${cluster.cluster}`, value: cluster.share }))}
        format={(value) => formatPercent(value)}
      />
      {model.clusters.map((cluster) => (
        <details key={cluster.cluster}>
          <summary>
            Cluster {cluster.cluster}: {cluster.description}
          </summary>
          <BarChart
            label={`Cluster ${cluster.cluster} profile: standardised difference from the average`}
            bars={cluster.features.map((feature) => ({ label: feature.feature, value: feature.standardisedDifference }))}
            format={(value) => formatFixed(value, 2)}
          />
        </details>
      ))}
    </div>
  );
}

function PropensityCharts({ model }: { model: StoredPropensityModel }) {
  return (
    <div>
      <p>
        Held-out AUC <strong>{formatFixed(model.heldOutAuc, 3)}</strong> (train {formatFixed(model.trainAuc, 3)}) ·{' '}
        {formatNumber(model.positives)} positives of {formatNumber(model.profiles)} · Brier {formatFixed(model.calibration.brierScore, 3)}
      </p>
      <div className="grid">
        <CalibrationChart bins={model.calibration.bins} />
        <BarChart
          label="Profiles per tier"
          bars={(['top', 'middle', 'bottom'] as const).map((tier) => ({ label: tier, value: model.tierCounts[tier] }))}
          format={formatNumber}
          width={360}
        />
      </div>
      <BarChart
        label="Feature weights (log-odds per standard deviation)"
        bars={model.weights.map((weight) => ({ label: weight.feature, value: weight.standardised }))}
        format={(value) => formatFixed(value, 2)}
      />
    </div>
  );
}

// A lifetime-value model has no curve to draw: its fitted parameters and the value tiers are the story.
function ClvCharts({ model }: { model: StoredClvModel }) {
  const { bgNbd, gammaGamma, fit } = model.model;
  const discount = model.monthlyDiscountRate === null ? 'no discount' : `${formatPercent(model.monthlyDiscountRate)} a month discount`;
  return (
    <div>
      <p>
        Lifetime value over <strong>{formatNumber(model.horizonDays)} days</strong> ({discount}) · fitted on {formatNumber(fit.customers)}{' '}
        customers, {formatNumber(fit.repeatCustomers)} with repeat orders
      </p>
      <table aria-label="Fitted parameters">
        <tbody>
          <tr>
            <th>BG/NBD</th>
            <td>
              r {formatFixed(bgNbd.r, 4)} · α {formatFixed(bgNbd.alpha, 4)} · a {formatFixed(bgNbd.a, 4)} · b {formatFixed(bgNbd.b, 4)}
            </td>
          </tr>
          <tr>
            <th>Gamma-Gamma</th>
            <td>
              p {formatFixed(gammaGamma.p, 4)} · q {formatFixed(gammaGamma.q, 4)} · v {formatFixed(gammaGamma.v, 4)}
            </td>
          </tr>
          <tr>
            <th>Tier thresholds</th>
            <td>
              top ≥ {formatFixed(model.thresholds.top, 2)} · bottom ≤ {formatFixed(model.thresholds.bottom, 2)}
            </td>
          </tr>
        </tbody>
      </table>
      <BarChart
        label="Profiles per tier"
        bars={(['top', 'middle', 'bottom'] as const).map((tier) => ({ label: tier, value: model.tierCounts[tier] }))}
        format={formatNumber}
        width={360}
      />
    </div>
  );
}

function ModelBody({ model }: { model: StoredModel }) {
  switch (model.kind) {
    case 'cluster':
      return <ClusterCharts model={model} />;
    case 'propensity':
      return <PropensityCharts model={model} />;
    case 'clv':
      return <ClvCharts model={model} />;
  }
}

export function ModelCharts({ model }: { model: StoredModel }) {
  return (
    <section aria-label="Model">
      <h3>Model</h3>
      <ModelBody model={model} />
      {model.notes.length > 0 && (
        <ul className="muted">
          {model.notes.map((note) => (
            <li key={note}>{note}</li>
          ))}
        </ul>
      )}
    </section>
  );
}
