import { formatPercent } from '../format';

export interface IntervalRow {
  label: string;
  estimate: number;
  lower: number;
  upper: number;
  tone?: 'treatment' | 'control' | 'lift';
}

/**
 * Horizontal point estimates with their intervals on one shared axis. A zero line is drawn when
 * the axis crosses it (lift), so "the interval includes no effect" is visible at a glance.
 */
export function IntervalChart({ rows: given, label, width = 560 }: { rows: IntervalRow[]; label: string; width?: number }) {
  // An arm with no members has no rate (null): it is left out rather than drawn at NaN.
  const rows = given.filter((row) =>
    [row.estimate, row.lower, row.upper].every((value) => typeof value === 'number' && Number.isFinite(value)),
  );
  if (rows.length === 0) return <p className="muted">{label}: no data yet</p>;
  const left = 150;
  const right = 20;
  const rowHeight = 34;
  const height = rows.length * rowHeight + 30;
  const lows = rows.map((row) => row.lower);
  const highs = rows.map((row) => row.upper);
  let min = Math.min(0, ...lows);
  let max = Math.max(...highs, min + 0.01);
  const pad = (max - min) * 0.05;
  min -= min < 0 ? pad : 0;
  max += pad;
  const x = (value: number) => left + ((value - min) / (max - min)) * (width - left - right);
  const ticks = [min, (min + max) / 2, max];
  return (
    <svg className="chart" width={width} height={height} role="img" aria-label={label}>
      <title>{label}</title>
      {min < 0 && <line x1={x(0)} x2={x(0)} y1={4} y2={height - 24} className="zero" />}
      {rows.map((row, index) => {
        const y = index * rowHeight + 18;
        return (
          <g key={row.label} className={`tone-${row.tone ?? 'treatment'}`}>
            <text x={left - 8} y={y + 4} textAnchor="end" className="axis-label">
              {row.label}
            </text>
            <line x1={x(row.lower)} x2={x(row.upper)} y1={y} y2={y} className="whisker" />
            <line x1={x(row.lower)} x2={x(row.lower)} y1={y - 6} y2={y + 6} className="whisker" />
            <line x1={x(row.upper)} x2={x(row.upper)} y1={y - 6} y2={y + 6} className="whisker" />
            <circle cx={x(row.estimate)} cy={y} r={5} className="point" />
            <title>{`${row.label}: ${formatPercent(row.estimate)} (${formatPercent(row.lower)} to ${formatPercent(row.upper)})`}</title>
          </g>
        );
      })}
      {ticks.map((tick) => (
        <text key={tick} x={x(tick)} y={height - 6} textAnchor="middle" className="tick">
          {formatPercent(tick)}
        </text>
      ))}
    </svg>
  );
}
