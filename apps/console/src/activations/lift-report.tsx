import { IntervalChart } from '../charts/interval-chart';
import { formatFixed, formatNumber, formatPercent } from '../format';
import type { LiftResponse } from '../types';

export function LiftReport({ lift }: { lift: LiftResponse }) {
  const report = lift.report;
  if (!report) return <p>No exposures yet: sync the activation first.</p>;
  const { control, treatment } = report.arms;
  const level = formatPercent(report.confidenceLevel, 0);
  const absolute = report.conversion.absoluteLift;
  const srm = report.sampleRatioMismatch;
  const mde = report.power?.minimumDetectableEffect;
  return (
    <div className="lift">
      <p>
        KPI: <strong>{lift.kpi.event}</strong> within {lift.kpi.windowDays} days of exposure · as of{' '}
        {new Date(lift.asOf).toLocaleString('en-GB')}
      </p>
      <div className="grid">
        <div>
          <h3>Conversion per arm ({level} intervals)</h3>
          <IntervalChart
            label={`Conversion: treatment ${formatPercent(treatment.conversionRate)}, control ${formatPercent(control.conversionRate)}`}
            rows={[
              {
                label: `Treatment (${formatNumber(treatment.members)})`,
                estimate: treatment.conversionRate,
                ...treatment.conversionRateInterval,
                tone: 'treatment',
              },
              {
                label: `Control (${formatNumber(control.members)})`,
                estimate: control.conversionRate,
                ...control.conversionRateInterval,
                tone: 'control',
              },
            ]}
          />
          <table aria-label="Arms">
            <thead>
              <tr>
                <th scope="col">Arm</th>
                <th scope="col">Members</th>
                <th scope="col">Conversions</th>
                <th scope="col">Rate</th>
              </tr>
            </thead>
            <tbody>
              {(['treatment', 'control'] as const).map((arm) => (
                <tr key={arm}>
                  <th scope="row">{arm}</th>
                  <td className="number">{formatNumber(report.arms[arm].members)}</td>
                  <td className="number">{formatNumber(report.arms[arm].conversions)}</td>
                  <td className="number">{formatPercent(report.arms[arm].conversionRate)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <div>
          <h3>Lift ({level} interval)</h3>
          {absolute ? (
            <IntervalChart
              label={`Absolute lift ${formatPercent(absolute.estimate)} (${formatPercent(absolute.lower)} to ${formatPercent(absolute.upper)})`}
              rows={[{ label: 'Absolute lift', estimate: absolute.estimate, lower: absolute.lower, upper: absolute.upper, tone: 'lift' }]}
            />
          ) : (
            <p>No lift yet.</p>
          )}
          <dl className="facts">
            <dt>Absolute lift</dt>
            <dd>
              {absolute ? `${formatPercent(absolute.estimate)} [${formatPercent(absolute.lower)}, ${formatPercent(absolute.upper)}]` : '—'}
            </dd>
            <dt>Relative lift</dt>
            <dd>
              {report.conversion.relativeLift
                ? `${formatPercent(report.conversion.relativeLift.estimate)} [${formatPercent(report.conversion.relativeLift.lower)}, ${formatPercent(report.conversion.relativeLift.upper)}]`
                : '—'}
            </dd>
            <dt>p-value</dt>
            <dd>{report.conversion.test ? formatFixed(report.conversion.test.pValue, 4) : '—'}</dd>
            <dt>Sample ratio</dt>
            <dd>
              {srm ? (
                <span
                  className={`badge ${srm.detected ? 'badge-failed' : 'badge-succeeded'}`}
                  aria-label={srm.detected ? 'sample ratio mismatch detected' : 'no sample ratio mismatch'}
                >
                  {srm.detected ? 'SRM detected' : 'no SRM'} (p = {formatFixed(srm.pValue, 3)})
                </span>
              ) : (
                '—'
              )}
            </dd>
            <dt>MDE ({formatPercent(report.power?.power ?? null, 0)} power)</dt>
            <dd>
              {formatPercent(mde?.absolute ?? null)} absolute
              {mde?.relative !== null && mde?.relative !== undefined ? `, ${formatPercent(mde.relative)} relative` : ''}
            </dd>
            <dt>Control share</dt>
            <dd>{formatPercent(report.configuredControlShare, 0)} configured</dd>
          </dl>
        </div>
      </div>
      {report.notes.length > 0 && (
        <details>
          <summary>Notes ({report.notes.length})</summary>
          <ul className="muted">
            {report.notes.map((note) => (
              <li key={note.path}>
                {note.path}: {note.message}
              </li>
            ))}
          </ul>
        </details>
      )}
    </div>
  );
}
