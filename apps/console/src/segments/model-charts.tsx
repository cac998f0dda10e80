import { BarChart } from '../charts/bar-chart';
import { CalibrationChart } from '../charts/calibration-chart';
import { formatDate, formatFixed, formatNumber, formatPercent } from '../format';
import type { Definition, StoredClusterModel, StoredClvModel, StoredModel, StoredPropensityModel } from '../types';

// The API stores, per fitted version, the chosen k's silhouette and the cluster profiles (not the
// silhouette/elbow curve over k), and for propensity the held-out AUC, calibration and weights (the
// outcome — performed or churn — is in the version's definition).
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

/** A propensity definition's `outcome` as the API stores it (libs/segments-domain model-definitions.schema). */
interface PropensityOutcome {
  kind?: 'performed' | 'churn';
  event: string;
  withinDays: number;
  active?: { lookbackDays: number; events: 'outcome_event' | 'any_event' };
}

function outcomeOf(definition: Definition | undefined): PropensityOutcome | undefined {
  const outcome = definition?.type === 'propensity' ? (definition['outcome'] as PropensityOutcome | undefined) : undefined;
  return outcome && typeof outcome.event === 'string' ? outcome : undefined;
}

/** What the model predicts, in words: churn says "did not", who counted as active, and that top = highest risk. */
function OutcomeLine({ outcome, cutoff }: { outcome: PropensityOutcome; cutoff?: string }) {
  const after = cutoff ? `the cutoff ${formatDate(cutoff)}` : 'the cutoff';
  if (outcome.kind !== 'churn') {
    return (
      <p>
        Outcome: performed “{outcome.event}” within {formatNumber(outcome.withinDays)} days after {after}.
      </p>
    );
  }
  const activeBy = outcome.active?.events === 'any_event' ? 'any event' : `“${outcome.event}” events`;
  return (
    <p>
      Outcome: <strong>churn</strong> — did <strong>not</strong> perform “{outcome.event}” within {formatNumber(outcome.withinDays)} days
      after {after}
      {outcome.active ? `, among profiles active (with ${activeBy}) in the ${formatNumber(outcome.active.lookbackDays)} days before` : ''}.
      Top tier = highest churn risk.
    </p>
  );
}

function PropensityCharts({ model, definition }: { model: StoredPropensityModel; definition?: Definition }) {
  const outcome = outcomeOf(definition);
  const churn = outcome?.kind === 'churn';
  return (
    <div>
      {outcome && <OutcomeLine outcome={outcome} cutoff={model.cutoff} />}
      <p>
        Held-out AUC <strong>{formatFixed(model.heldOutAuc, 3)}</strong> (train {formatFixed(model.trainAuc, 3)}) ·{' '}
        {formatNumber(model.positives)} {churn ? 'churned' : 'positives'} of {formatNumber(model.profiles)}
        {churn ? ' active' : ''} · Brier {formatFixed(model.calibration.brierScore, 3)}
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

function ModelBody({ model, definition }: { model: StoredModel; definition?: Definition }) {
  switch (model.kind) {
    case 'cluster':
      return <ClusterCharts model={model} />;
    case 'propensity':
      return <PropensityCharts model={model} definition={definition} />;
    case 'clv':
      return <ClvCharts model={model} />;
  }
}

/** The card of a version's stored model; `definition` (the same version's) says what a propensity model predicts. */
export function ModelCharts({ model, definition }: { model: StoredModel; definition?: Definition }) {
  return (
    <section aria-label="Model">
      <h3>Model</h3>
      <ModelBody model={model} definition={definition} />
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
