import { formatDate, formatFixed, formatNumber, formatPercent } from '../format';
import { useApi } from '../use-api';

interface DriftBin {
  label: string;
  expected: number;
  actual: number;
}

interface FeatureDrift {
  feature: string;
  kind: 'numeric' | 'categorical';
  psi: number;
  flagged: boolean;
  bins: DriftBin[];
}

/** What GET /segments/:id/drift answers for a propensity (or churn) segment (#21). */
export interface ModelDrift {
  segmentId: string;
  version: number;
  fittedAt: string;
  cutoff: string;
  measuredAt: string;
  psiThreshold: number;
  aucFloor: number;
  psi:
    | { available: true; psiThreshold: number; rows: number; features: FeatureDrift[]; score: Omit<FeatureDrift, 'feature' | 'kind'> }
    | { available: false; reason: string };
  auc:
    | { available: true; auc: number; profiles: number; positives: number; windowClosedAt: string; flagged: boolean }
    | { available: false; reason: string; windowClosesAt?: string };
  flags: string[];
  flagged: boolean;
}

const flag = (flagged: boolean) =>
  flagged ? <span className="badge badge-failed">drifted</span> : <span className="badge badge-succeeded">stable</span>;

/** The bins of one feature: share at fit time beside share now. */
function Bins({ bins }: { bins: DriftBin[] }) {
  return (
    <details>
      <summary>bins</summary>
      <table>
        <thead>
          <tr>
            <th scope="col">Bin</th>
            <th scope="col">At fit</th>
            <th scope="col">Now</th>
          </tr>
        </thead>
        <tbody>
          {bins.map((bin) => (
            <tr key={bin.label}>
              <th scope="row">{bin.label}</th>
              <td>{formatPercent(bin.expected)}</td>
              <td>{formatPercent(bin.actual)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}

/**
 * The drift table of a model (presentational, for {@link ModelDriftCard} and the rendering test):
 * PSI of each feature and of the score against the threshold, the AUC since the fit against the
 * floor, or the reason a measure is not available yet; flagged rows carry a "drifted" badge.
 */
export function DriftTable({ drift }: { drift: ModelDrift }) {
  const { psi, auc } = drift;
  return (
    <div>
      <p role="status" data-flagged={drift.flagged}>
        {drift.flagged ? `Drift flagged: ${drift.flags.join('; ')}` : 'No drift flagged'} · v{drift.version} fitted{' '}
        {formatDate(drift.fittedAt)} (features as of {formatDate(drift.cutoff)}), measured {formatDate(drift.measuredAt)}
      </p>
      {psi.available ? (
        <table aria-label="Population stability">
          <thead>
            <tr>
              <th scope="col">Feature</th>
              <th scope="col">PSI (flag &gt; {drift.psiThreshold})</th>
              <th scope="col">Flag</th>
              <th scope="col">Distribution</th>
            </tr>
          </thead>
          <tbody>
            {psi.features.map((feature) => (
              <tr key={feature.feature} data-flagged={feature.flagged}>
                <th scope="row">
                  {feature.feature} <small>({feature.kind})</small>
                </th>
                <td>{formatFixed(feature.psi, 4)}</td>
                <td>{flag(feature.flagged)}</td>
                <td>
                  <Bins bins={feature.bins} />
                </td>
              </tr>
            ))}
            <tr data-flagged={psi.score.flagged}>
              <th scope="row">score</th>
              <td>{formatFixed(psi.score.psi, 4)}</td>
              <td>{flag(psi.score.flagged)}</td>
              <td>
                <Bins bins={psi.score.bins} />
              </td>
            </tr>
          </tbody>
        </table>
      ) : (
        <p>PSI not available: {psi.reason}</p>
      )}
      {psi.available && <p>{formatNumber(psi.rows)} profiles now compared with the training rows.</p>}
      {auc.available ? (
        <p data-flagged={auc.flagged}>
          AUC since the fit: <strong>{formatFixed(auc.auc, 3)}</strong> (floor {drift.aucFloor}) on {formatNumber(auc.profiles)} profiles,{' '}
          {formatNumber(auc.positives)} positive, outcomes up to {formatDate(auc.windowClosedAt)} {flag(auc.flagged)}
        </p>
      ) : (
        <p>AUC since the fit not available: {auc.reason}</p>
      )}
    </div>
  );
}

/** The drift card of a propensity segment's page (`GET /segments/:id/drift`). */
export function ModelDriftCard({ segmentId }: { segmentId: string }) {
  const drift = useApi<ModelDrift>(`/segments/${segmentId}/drift`);
  return (
    <section className="card" aria-labelledby="drift-title">
      <div className="page-head">
        <h2 id="drift-title">Drift</h2>
        <button type="button" onClick={drift.reload}>
          Measure again
        </button>
      </div>
      {drift.error && <p className="error-text">{drift.error}</p>}
      {drift.data ? <DriftTable drift={drift.data} /> : !drift.error && <p>Measuring…</p>}
    </section>
  );
}
